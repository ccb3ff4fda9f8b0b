import type { AccessUnit, TrackInfo } from '../../protocol/media/access-unit.js';
import type { StreamProtocol } from '../../protocol/control/messages.js';

/**
 * Most items a reader may have queued. Larger than GOP_CACHE_MAX_UNITS so a late reader's
 * cached GOP always fits; about 10 s of 30 fps video + audio, which is as far as a live
 * viewer should fall behind before it skips ahead.
 */
export const READER_QUEUE_MAX_UNITS = 1024;
/**
 * Most payload bytes a reader may have queued (units are shared with the stream, not copied,
 * but a stalled reader must still not pin more than this): ~5 s at 8 Mb/s beyond a full GOP.
 */
export const READER_QUEUE_MAX_BYTES = 24 * 1024 * 1024;

/** What a reader pulls: a media unit, or the stream's new track set (sequence headers). */
export type ReaderItem = { kind: 'unit'; unit: AccessUnit } | { kind: 'tracks'; tracks: readonly TrackInfo[] };

/** Handlers an egress module gives when it subscribes. */
export interface ReaderHandlers {
  /** The queue went from empty to non-empty: pull with `shift()` until it returns undefined. */
  onReadable(): void;
  /** The stream ended (or the reader was closed by the hub). Called once. */
  onClose(reason: string): void;
}

/**
 * One consumer of a stream (an FLV viewer, an RTMP player, a packager) with a bounded queue
 * (ARCHITECTURE.md "every reader has a bounded queue"). The publisher pushes and never waits;
 * when the queue is full the reader drops every unit, audio included, until the next video
 * keyframe, counting each dropped unit, and resumes from that keyframe (discarding what was
 * still queued if there is no room for it), so the viewer skips ahead on a decodable frame.
 */
export class Reader {
  readonly id: number;
  readonly protocol: StreamProtocol;
  readonly remoteAddress: string;
  #queue: ReaderItem[] = [];
  #head = 0;
  #bytes = 0;
  #waitingForKeyframe = false;
  #drops = 0;
  #closed = false;
  readonly #handlers: ReaderHandlers;
  readonly #onDetach: (reader: Reader) => void;
  /** True while the stream has a video track: drop-until-keyframe needs one to resume on. */
  #hasVideo: () => boolean;

  constructor(options: {
    id: number;
    protocol: StreamProtocol;
    remoteAddress: string;
    handlers: ReaderHandlers;
    hasVideo: () => boolean;
    onDetach: (reader: Reader) => void;
    /** What a late reader starts with (track set, cached GOP); no onReadable for these. */
    initial?: ReaderItem[];
  }) {
    this.id = options.id;
    this.protocol = options.protocol;
    this.remoteAddress = options.remoteAddress;
    this.#handlers = options.handlers;
    this.#hasVideo = options.hasVideo;
    this.#onDetach = options.onDetach;
    for (const item of options.initial ?? []) {
      this.#queue.push(item);
      if (item.kind === 'unit') this.#bytes += item.unit.data.byteLength;
    }
  }

  /** Units dropped because this reader fell behind. */
  get drops(): number {
    return this.#drops;
  }

  get queuedUnits(): number {
    return this.#queue.length - this.#head;
  }

  get queuedBytes(): number {
    return this.#bytes;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Next queued item, or undefined when the queue is empty. */
  shift(): ReaderItem | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const item = this.#queue[this.#head]!;
    this.#queue[this.#head] = undefined as unknown as ReaderItem;
    this.#head++;
    // Compact once the consumed prefix dominates, so shift() stays O(1) amortized.
    if (this.#head >= 256 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    if (item.kind === 'unit') this.#bytes -= item.unit.data.byteLength;
    return item;
  }

  /** Hub side: queue a unit, or drop it when this reader is behind. Never blocks. */
  pushUnit(unit: AccessUnit): void {
    if (this.#closed) return;
    const size = unit.data.byteLength;
    const resumes = unit.type === 'video' ? unit.keyframe : !this.#hasVideo();
    if (this.#waitingForKeyframe) {
      if (!resumes) {
        this.#drops++;
        return;
      }
      if (!this.#fits(size)) this.#discardQueuedUnits();
      this.#waitingForKeyframe = false;
    } else if (!this.#fits(size)) {
      this.#waitingForKeyframe = true;
      this.#drops++;
      if (!resumes) return;
      this.#discardQueuedUnits();
      this.#waitingForKeyframe = false;
    }
    this.#enqueue({ kind: 'unit', unit }, size);
  }

  /** Hub side: queue a track change. Never dropped (a few bytes, and players need it). */
  pushTracks(tracks: readonly TrackInfo[]): void {
    if (this.#closed) return;
    // A newer track set replaces one not yet read, so repeated headers cannot grow the queue.
    const last = this.#queue[this.#queue.length - 1];
    if (this.queuedUnits > 0 && last?.kind === 'tracks') {
      this.#queue[this.#queue.length - 1] = { kind: 'tracks', tracks };
      return;
    }
    this.#enqueue({ kind: 'tracks', tracks }, 0);
  }

  /** Detaches from the stream; `onClose` is called with the reason. Idempotent. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#onDetach(this);
    this.#handlers.onClose(reason);
  }

  #fits(size: number): boolean {
    return this.queuedUnits < READER_QUEUE_MAX_UNITS && this.#bytes + size <= READER_QUEUE_MAX_BYTES;
  }

  /** Drops queued units, keeping the latest track change (the units after it depend on it). */
  #discardQueuedUnits(): void {
    let lastTracks: ReaderItem | undefined;
    for (let i = this.#head; i < this.#queue.length; i++) {
      const item = this.#queue[i]!;
      if (item.kind === 'unit') this.#drops++;
      else lastTracks = item;
    }
    this.#queue = lastTracks ? [lastTracks] : [];
    this.#head = 0;
    this.#bytes = 0;
  }

  #enqueue(item: ReaderItem, size: number): void {
    const wasEmpty = this.queuedUnits === 0;
    this.#queue.push(item);
    this.#bytes += size;
    if (wasEmpty) this.#handlers.onReadable();
  }
}
