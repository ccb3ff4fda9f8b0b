import type { Hub, HubObserver } from '../hub/hub.js';
import type { Stream } from '../hub/stream.js';
import { trackSummary } from '../hub/track-summary.js';
import { MAX_STATS_STREAMS } from '../../protocol/control/messages.js';
import type { ControlChannel } from './control-channel.js';

/**
 * Turns hub events into control notifications (`streamPublished`, `streamTracks`,
 * `streamUnpublished`) and sends `streamStats` every interval: ingest bitrate over the
 * interval, readers by protocol, drops.
 */
export class StreamReporter implements HubObserver {
  readonly #channel: ControlChannel;
  readonly #hub: Hub;
  readonly #intervalMs: number;
  readonly #timer: NodeJS.Timeout;
  /** bytesIn at the last report, per stream object (a republished path is a new object). */
  #lastBytes = new WeakMap<Stream, number>();
  #lastAt = Date.now();

  constructor(channel: ControlChannel, hub: Hub, intervalMs: number) {
    this.#channel = channel;
    this.#hub = hub;
    this.#intervalMs = intervalMs;
    this.#timer = setInterval(() => this.report(), intervalMs);
    this.#timer.unref();
  }

  onPublished(stream: Stream): void {
    this.#lastBytes.set(stream, 0);
    this.#channel.notify('streamPublished', {
      path: stream.path,
      origin: stream.origin,
      tracks: stream.tracks.map(trackSummary),
      remoteAddress: stream.publisher.remoteAddress,
      startedAt: stream.startedAt,
    });
  }

  onTracks(stream: Stream): void {
    this.#channel.notify('streamTracks', { path: stream.path, tracks: stream.tracks.map(trackSummary) });
  }

  onUnpublished(stream: Stream, reason: string): void {
    this.#channel.notify('streamUnpublished', { path: stream.path, reason: reason.slice(0, 200) });
  }

  /** Sends one stats notification now (also called by the timer). */
  report(): void {
    const now = Date.now();
    const seconds = Math.max(0.001, (now - this.#lastAt) / 1000);
    this.#lastAt = now;
    const streams = [];
    for (const s of this.#hub.streams()) {
      if (s.mirror) continue; // reported by the worker that owns it
      const last = this.#lastBytes.get(s) ?? 0;
      this.#lastBytes.set(s, s.bytesIn);
      streams.push({ path: s.path, bitrate: Math.round(((s.bytesIn - last) * 8) / seconds), readers: s.readerCounts(), drops: s.drops });
    }
    for (let i = 0; i < streams.length; i += MAX_STATS_STREAMS) {
      this.#channel.notify('streamStats', { streams: streams.slice(i, i + MAX_STATS_STREAMS) });
    }
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
