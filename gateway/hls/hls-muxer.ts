import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { AU_CLOCK_RATE, type AccessUnit, type TrackInfo } from '../../protocol/media/access-unit.js';
import type { ReaderItem } from '../hub/reader.js';
import { PLAIN_PLAYLIST_NAME, PLAYLIST_NAME, initName, removeFiles, writeAtomic } from './hls-files.js';
import { renderPlaylist } from './playlist-text.js';
import { PlaylistWindow } from './playlist-window.js';
import { concat, type SegmentFormat } from './segment-format.js';
import { HlsSegmenter, type SegmenterEvent, type SegmenterPart } from './segmenter.js';

/** What a muxer needs to know from `hls.*` (gateway/hls/hls-config.ts). */
export interface HlsMuxerOptions {
  /** The stream's directory (`<hls.dir>/<stream path>`). */
  dir: string;
  format: SegmentFormat;
  /** Seconds. */
  segmentDuration: number;
  /** Seconds; 0 (or an MPEG-TS format) disables parts. */
  partDuration: number;
  windowSegments: number;
  log: Logger;
  /** Wall clock for EXT-X-PROGRAM-DATE-TIME (tests pass a fake). */
  now?: () => number;
}

/**
 * One stream's HLS output (RFC 8216bis): feeds the stream's reader items through the
 * segmenter, encodes parts and segments, and writes them with the playlist under `dir`.
 * File writes run in order on one promise chain; the playlist is rewritten (atomically) after
 * every part and segment, so it never names a file that is not complete on disk.
 * After `end()` (unpublish) a later `push` of a new publisher's items continues the same
 * playlist after an EXT-X-DISCONTINUITY (see HlsPackager for the grace period).
 */
export class HlsMuxer {
  readonly #o: HlsMuxerOptions;
  readonly #segmenter: HlsSegmenter;
  readonly #window: PlaylistWindow;
  readonly #now: () => number;
  readonly #partTarget: number;
  #io: Promise<void>;
  /** Init generation (0 for init.mp4) and its URI; -1 before the first. */
  #generation = -1;
  #initUri: string | undefined;
  #discontinuity = false;
  /** Wall clock and DTS at the start of the generation: maps DTS to PROGRAM-DATE-TIME. */
  #clockBase: { wall: number; dts: number } | undefined;
  /** Encoded parts of the open segment (fMP4): the segment file is their concatenation. */
  #segmentChunks: Uint8Array[] = [];
  #closed = false;
  #writeErrors = 0;

  constructor(options: HlsMuxerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    const withParts = options.format.fragmented && options.partDuration > 0;
    this.#partTarget = withParts ? options.partDuration : 0;
    this.#segmenter = new HlsSegmenter({
      segmentTicks: Math.round(options.segmentDuration * AU_CLOCK_RATE),
      partTicks: Math.round(this.#partTarget * AU_CLOCK_RATE),
      usable: (t) => options.format.usable(t),
    });
    this.#window = new PlaylistWindow({
      windowSegments: options.windowSegments,
      extension: options.format.extension,
      withParts,
      minTargetDuration: options.segmentDuration,
    });
    this.#io = mkdir(options.dir, { recursive: true }).then(() => undefined);
  }

  get dir(): string {
    return this.#o.dir;
  }

  /** Units the segmenter dropped (before a keyframe, unusable tracks, DTS going back). */
  get dropped(): number {
    return this.#segmenter.dropped;
  }

  /** File operations that failed (disk full, directory removed); each is logged. */
  get writeErrors(): number {
    return this.#writeErrors;
  }

  push(item: ReaderItem): void {
    if (this.#closed) return;
    const events = item.kind === 'tracks' ? this.#segmenter.setTracks(item.tracks) : this.#segmenter.push(item.unit);
    this.#apply(events);
  }

  /** Convenience for tests and adapters: the track set then units. */
  pushUnit(unit: AccessUnit): void {
    this.push({ kind: 'unit', unit });
  }

  setTracks(tracks: readonly TrackInfo[]): void {
    this.push({ kind: 'tracks', tracks });
  }

  /** The publisher stopped: the open segment is closed and the preload hint removed. */
  end(): void {
    if (this.#closed) return;
    this.#apply(this.#segmenter.restart());
    this.#window.end();
    this.#writePlaylists(true);
  }

  /** Resolves when every file operation queued so far has finished. */
  idle(): Promise<void> {
    return this.#io;
  }

  /** Stops writing (the packager removes the directory). Idempotent. */
  close(): void {
    this.#closed = true;
  }

  #apply(events: SegmenterEvent[]): void {
    for (const e of events) {
      switch (e.kind) {
        case 'init':
          this.#startGeneration(e.tracks, e.discontinuity);
          break;
        case 'part':
          this.#addPart(e.part);
          break;
        case 'segment':
          this.#closeSegment();
          break;
      }
    }
  }

  #startGeneration(tracks: TrackInfo[], discontinuity: boolean): void {
    const init = this.#o.format.start(tracks);
    this.#discontinuity = discontinuity || this.#generation >= 0;
    this.#clockBase = undefined;
    if (init) {
      this.#generation++;
      const name = initName(this.#generation);
      this.#initUri = name;
      this.#queue(() => writeAtomic(this.#o.dir, name, init));
    } else {
      this.#generation++;
    }
    this.#o.log.debug({ generation: this.#generation, tracks: tracks.map((t) => t.codec) }, 'hls track set');
  }

  #addPart(part: SegmenterPart): void {
    this.#clockBase ??= { wall: this.#now(), dts: part.startDts };
    const first = this.#segmentChunks.length === 0;
    this.#window.open({
      programDateTime: this.#clockBase.wall + ((part.startDts - this.#clockBase.dts) * 1000) / AU_CLOCK_RATE,
      discontinuity: this.#discontinuity,
      initUri: this.#initUri,
    });
    this.#discontinuity = false;
    const bytes = this.#o.format.encode(part, first);
    this.#segmentChunks.push(bytes);
    const duration = (part.endDts - part.startDts) / AU_CLOCK_RATE;
    if (this.#partTarget > 0) {
      const name = this.#window.addPart(duration, part.independent);
      this.#queue(() => writeAtomic(this.#o.dir, name, bytes));
      this.#writePlaylists(false);
    } else {
      this.#window.addDuration(duration);
    }
  }

  #closeSegment(): void {
    const seg = this.#window.snapshot().open;
    if (!seg) return;
    const bytes = concat(this.#segmentChunks);
    this.#segmentChunks = [];
    this.#queue(() => writeAtomic(this.#o.dir, seg.uri, bytes));
    const expired = this.#window.closeSegment();
    this.#writePlaylists(true);
    if (expired.length > 0) this.#queue(() => removeFiles(this.#o.dir, expired));
  }

  /** Rewrites index.m3u8 (and, after a segment, plain.m3u8 when parts are on). */
  #writePlaylists(segmentDone: boolean): void {
    const snapshot = this.#window.snapshot();
    const ll = this.#partTarget > 0;
    const text = renderPlaylist(snapshot, { partTarget: ll ? this.#partTarget : undefined });
    this.#queue(() => writeAtomic(this.#o.dir, PLAYLIST_NAME, text));
    if (ll && segmentDone) {
      const plain = renderPlaylist(snapshot, { partTarget: undefined });
      this.#queue(() => writeAtomic(this.#o.dir, PLAIN_PLAYLIST_NAME, plain));
    }
  }

  #queue(op: () => Promise<void>): void {
    this.#io = this.#io.then(async () => {
      if (this.#closed) return;
      try {
        await op();
      } catch (err) {
        this.#writeErrors++;
        this.#o.log.warn({ err, dir: this.#o.dir }, 'hls write failed');
      }
    });
  }
}
