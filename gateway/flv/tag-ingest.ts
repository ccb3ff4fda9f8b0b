import type { Logger } from 'pino';
import { audioTrackOf, toStream } from '../../protocol/flv/access-unit.js';
import { parseOnMetaData } from '../../protocol/flv/script.js';
import { FlvTagType, type FlvTag } from '../../protocol/flv/tag.js';
import { ParseError } from '../../protocol/errors.js';
import type { Hub } from '../hub/hub.js';
import type { Stream } from '../hub/stream.js';
import { withDimensions } from '../hub/track-summary.js';

/** Bad frames logged per publisher (the rest are only counted) so a broken encoder cannot flood the log. */
export const MAX_LOGGED_BAD_FRAMES = 5;

/**
 * Feeds FLV tags into a hub stream: audio/video tag bodies (FLV spec Annex E.4.2/E.4.3,
 * enhanced RTMP for H.265/AV1/VP9) become track updates and AccessUnits through the FLV
 * adapters; onMetaData is kept for FLV/RTMP viewers. RTMP publish sends its media messages
 * here as tags (same bodies), the relay its pulled HTTP-FLV tags. A tag that does not parse
 * is counted and skipped: one bad frame does not end a healthy publish.
 */
export class FlvTagIngest {
  readonly stream: Stream;
  readonly #hub: Hub;
  readonly #log: Logger;
  #badFrames = 0;

  constructor(options: { hub: Hub; stream: Stream; log: Logger }) {
    this.#hub = options.hub;
    this.stream = options.stream;
    this.#log = options.log;
  }

  get badFrames(): number {
    return this.#badFrames;
  }

  onTag(tag: FlvTag): void {
    if (tag.data.byteLength === 0) return; // empty media messages are keep-alives some encoders send
    try {
      this.#onTag(tag);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.#badFrames++;
      if (this.#badFrames <= MAX_LOGGED_BAD_FRAMES) this.#log.warn({ path: this.stream.path, reason: err.reason, badFrames: this.#badFrames }, 'bad media frame skipped');
    }
  }

  /** Ends the publish: the stream leaves the hub and its readers are closed. */
  close(reason: string): void {
    this.#hub.unpublish(this.stream, reason);
  }

  #onTag(tag: FlvTag): void {
    if (tag.type === FlvTagType.Script) {
      const meta = parseOnMetaData(tag.data);
      if (meta) this.stream.setMetadata(meta);
      return;
    }
    const item = toStream(tag);
    if (!item) return;
    switch (item.kind) {
      case 'track':
        this.stream.setTrack(withDimensions(item.track));
        return;
      case 'unit':
        if (item.unit.type === 'audio' && !this.stream.tracks.some((t) => t.type === 'audio')) {
          const track = audioTrackOf(tag);
          if (track) this.stream.setTrack(track);
        }
        this.stream.pushUnit(item.unit);
        return;
      case 'end':
        return;
    }
  }
}
