import type { AccessUnit, TrackInfo } from '../../protocol/media/access-unit.js';
import type { StreamOrigin, StreamProtocol, ReaderCounts } from '../../protocol/control/messages.js';
import type { AmfObject } from '../../protocol/rtmp/amf-value.js';
import { GopCache } from './gop-cache.js';
import { Reader, type ReaderHandlers, type ReaderItem } from './reader.js';

/** The publishing side of a stream: the hub closes it on a kick or a takeover. */
export interface Publisher {
  remoteAddress: string;
  /** Ends the publishing session; it then unpublishes the stream. */
  close(reason: string): void;
}

/**
 * One live stream inside a gateway (ARCHITECTURE.md "the stream model"): path, origin,
 * tracks, the publisher, its readers and its last GOP. The publisher pushes units and never
 * waits; each reader has its own bounded queue.
 */
export class Stream {
  readonly path: string;
  readonly origin: StreamOrigin;
  readonly publisher: Publisher;
  /**
   * A local copy of a stream another worker carries (pulled by the relay for readers that
   * landed here). Not reported to the server and not packaged: its owner does both.
   */
  readonly mirror: boolean;
  readonly startedAt = Date.now();
  #tracks: TrackInfo[] = [];
  /** The publisher's onMetaData object (RTMP/FLV), replayed to FLV and RTMP readers. */
  #metadata: AmfObject | null = null;
  readonly #gop = new GopCache();
  readonly #readers = new Map<number, Reader>();
  #nextReaderId = 1;
  #bytesIn = 0;
  #unitsIn = 0;
  /** Drops of readers that have gone, so the stream's total does not shrink. */
  #dropsOfClosedReaders = 0;
  #closed = false;
  readonly #onTracks: (stream: Stream) => void;

  constructor(options: { path: string; origin: StreamOrigin; publisher: Publisher; mirror?: boolean; onTracks: (stream: Stream) => void }) {
    this.path = options.path;
    this.mirror = options.mirror ?? false;
    this.origin = options.origin;
    this.publisher = options.publisher;
    this.#onTracks = options.onTracks;
  }

  get tracks(): readonly TrackInfo[] {
    return this.#tracks;
  }

  get metadata(): AmfObject | null {
    return this.#metadata;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get bytesIn(): number {
    return this.#bytesIn;
  }

  get unitsIn(): number {
    return this.#unitsIn;
  }

  get readers(): IterableIterator<Reader> {
    return this.#readers.values();
  }

  get readerCount(): number {
    return this.#readers.size;
  }

  get gopUnits(): readonly AccessUnit[] {
    return this.#gop.units;
  }

  get hasVideo(): boolean {
    return this.#tracks.some((t) => t.type === 'video');
  }

  /** Units dropped by slow readers since the stream started. */
  get drops(): number {
    let n = this.#dropsOfClosedReaders;
    for (const r of this.#readers.values()) n += r.drops;
    return n;
  }

  readerCounts(): ReaderCounts {
    const counts: ReaderCounts = {};
    for (const r of this.#readers.values()) counts[r.protocol] = (counts[r.protocol] ?? 0) + 1;
    return counts;
  }

  /** Replaces one track (matched by type) with new parameters, e.g. from a sequence header. */
  setTrack(track: TrackInfo): void {
    if (this.#closed) return;
    const i = this.#tracks.findIndex((t) => t.type === track.type);
    if (i >= 0 && sameTrack(this.#tracks[i]!, track)) return;
    const tracks = [...this.#tracks];
    if (i >= 0) tracks[i] = track;
    else tracks.push(track);
    // Video first: muxers and players expect it (FLV, and the order ffprobe reports).
    tracks.sort((a, b) => (a.type === b.type ? 0 : a.type === 'video' ? -1 : 1));
    this.#tracks = tracks;
    for (const r of this.#readers.values()) r.pushTracks(this.#tracks);
    this.#onTracks(this);
  }

  setMetadata(metadata: AmfObject | null): void {
    this.#metadata = metadata;
  }

  /** The publisher's path for media: cache and fan out. Never blocks. */
  pushUnit(unit: AccessUnit): void {
    if (this.#closed) return;
    this.#bytesIn += unit.data.byteLength;
    this.#unitsIn++;
    this.#gop.push(unit);
    for (const r of this.#readers.values()) r.pushUnit(unit);
  }

  /**
   * Adds a reader. It starts with the track set and the cached GOP already queued: the
   * caller drains with `shift()` right away; `onReadable` fires for later units only.
   */
  subscribe(protocol: StreamProtocol, remoteAddress: string, handlers: ReaderHandlers): Reader {
    if (this.#closed) throw new TypeError(`stream ${this.path} is closed`);
    const initial: ReaderItem[] = [];
    if (this.#tracks.length > 0) initial.push({ kind: 'tracks', tracks: this.#tracks });
    for (const unit of this.#gop.units) initial.push({ kind: 'unit', unit });
    const reader = new Reader({
      id: this.#nextReaderId++,
      protocol,
      remoteAddress,
      handlers,
      initial,
      hasVideo: () => this.hasVideo,
      onDetach: (r) => {
        if (this.#readers.delete(r.id)) this.#dropsOfClosedReaders += r.drops;
      },
    });
    this.#readers.set(reader.id, reader);
    return reader;
  }

  /** Ends the stream for every reader. Called by the hub; idempotent. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const r of [...this.#readers.values()]) r.close(reason);
    this.#gop.clear();
  }
}

function sameTrack(a: TrackInfo, b: TrackInfo): boolean {
  if (a.type !== b.type || a.codec !== b.codec) return false;
  if (a.type === 'video' && b.type === 'video' && (a.width !== b.width || a.height !== b.height)) return false;
  if (a.type === 'audio' && b.type === 'audio' && (a.sampleRate !== b.sampleRate || a.channels !== b.channels)) return false;
  const ca = a.config;
  const cb = b.config;
  if (!ca || !cb) return ca === cb;
  return ca.byteLength === cb.byteLength && ca.every((v, i) => v === cb[i]);
}
