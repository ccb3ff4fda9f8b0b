import type { GatewayNotification, ReaderCounts, StreamOrigin, TrackSummary, WebrtcStatus } from '../../protocol/control/messages.js';
import { EnhancedEventEmitter } from '../lib/EnhancedEventEmitter.js';
import { logger } from '../lib/logger.js';

const log = logger.child({ mod: 'registry' });

/** One live stream as the server knows it (ARCHITECTURE.md "stream registry"). */
export interface StreamEntry {
  path: string;
  origin: StreamOrigin;
  tracks: TrackSummary[];
  remoteAddress: string;
  /** Epoch ms when the publish began. */
  startedAt: number;
  /** Id of the gateway worker that carries it. */
  worker: number;
  /** Ingest bitrate over the last stats interval, bits per second. */
  bitrate: number;
  readers: ReaderCounts;
  /** Frames dropped by slow readers since the stream started. */
  drops: number;
  /** The stream's WebRTC bridge (gateway → SFU), from the worker's `bridgeStatus`; not bridged until then. */
  webrtc: WebrtcStatus;
}

export type RegistryEvents = {
  published: [StreamEntry];
  updated: [StreamEntry];
  unpublished: [StreamEntry, string];
};

/**
 * Every live stream on this node, fed by the gateway workers' notifications. The single
 * owner of StreamEntry objects; the API, publish rules and other subsystems read it.
 * Each entry belongs to one worker: a worker's messages never touch another's streams.
 */
export class StreamRegistry extends EnhancedEventEmitter<RegistryEvents> {
  readonly #streams = new Map<string, StreamEntry>();

  get(path: string): StreamEntry | undefined {
    return this.#streams.get(path);
  }

  list(): StreamEntry[] {
    return [...this.#streams.values()];
  }

  get size(): number {
    return this.#streams.size;
  }

  /** A worker published a stream; replaces an entry of the same path (takeover). */
  add(worker: number, n: GatewayNotification<'streamPublished'>): StreamEntry {
    const previous = this.#streams.get(n.path);
    if (previous) this.#remove(previous, 'taken over');
    const entry: StreamEntry = { ...n, worker, bitrate: 0, readers: {}, drops: 0, webrtc: { bridged: false, videoTranscoded: false } };
    this.#streams.set(n.path, entry);
    this.safeEmit('published', entry);
    return entry;
  }

  setTracks(worker: number, n: GatewayNotification<'streamTracks'>): void {
    const entry = this.#owned(worker, n.path);
    if (!entry) return;
    entry.tracks = n.tracks;
    this.safeEmit('updated', entry);
  }

  applyStats(worker: number, n: GatewayNotification<'streamStats'>): void {
    for (const s of n.streams) {
      const entry = this.#owned(worker, s.path);
      if (!entry) continue;
      entry.bitrate = s.bitrate;
      entry.readers = s.readers;
      entry.drops = s.drops;
    }
  }

  /** The worker's bridge of a stream changed state (`bridgeStatus`, `bridgeClosed`). */
  setWebrtc(worker: number, path: string, webrtc: WebrtcStatus): void {
    const entry = this.#owned(worker, path);
    if (!entry) return;
    entry.webrtc = webrtc;
    this.safeEmit('updated', entry);
  }

  remove(worker: number, path: string, reason: string): void {
    const entry = this.#owned(worker, path);
    if (entry) this.#remove(entry, reason);
  }

  /** A worker died: every stream it carried is unpublished. Returns how many. */
  removeWorker(worker: number, reason: string): number {
    let n = 0;
    for (const entry of [...this.#streams.values()]) {
      if (entry.worker !== worker) continue;
      this.#remove(entry, reason);
      n++;
    }
    return n;
  }

  #owned(worker: number, path: string): StreamEntry | undefined {
    const entry = this.#streams.get(path);
    if (entry && entry.worker !== worker) {
      log.warn({ path, worker, owner: entry.worker }, 'ignored update from a worker that does not own the stream');
      return undefined;
    }
    return entry;
  }

  #remove(entry: StreamEntry, reason: string): void {
    if (this.#streams.get(entry.path) !== entry) return;
    this.#streams.delete(entry.path);
    this.safeEmit('unpublished', entry, reason);
  }
}
