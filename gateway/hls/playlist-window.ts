import { initName, partName, segmentName } from './hls-files.js';

/** One partial segment as listed (EXT-X-PART, RFC 8216bis §4.4.4.9). */
export interface PartEntry {
  uri: string;
  /** Seconds. */
  duration: number;
  independent: boolean;
}

/** One media segment as listed (EXTINF + URI), with its parts and where its init segment is. */
export interface SegmentEntry {
  msn: number;
  uri: string;
  /** Seconds. */
  duration: number;
  /** EXT-X-PROGRAM-DATE-TIME of its first sample, ms since the epoch (§4.4.4.6). */
  programDateTime: number;
  /** EXT-X-DISCONTINUITY before it (§4.4.4.3). */
  discontinuity: boolean;
  /** EXT-X-MAP URI (§4.4.4.5); undefined for MPEG-TS. */
  initUri: string | undefined;
  parts: PartEntry[];
}

/** Where the live window stands: what a playlist writer turns into text. */
export interface WindowSnapshot {
  /** EXT-X-TARGETDURATION, whole seconds (§4.4.3.1). */
  targetDuration: number;
  /** EXT-X-MEDIA-SEQUENCE (§4.4.3.2). */
  mediaSequence: number;
  /** EXT-X-DISCONTINUITY-SEQUENCE (§4.4.3.3). */
  discontinuitySequence: number;
  /** Complete segments, oldest first. Only the newest carry their parts (see PART_LIST_TARGETS). */
  segments: SegmentEntry[];
  /** The segment being cut: its parts so far (LL-HLS only). */
  open: SegmentEntry | undefined;
  /** EXT-X-PRELOAD-HINT URI of the next part (§4.4.5.3); undefined without parts or at the end. */
  preloadHint: string | undefined;
}

/**
 * Parts are listed for segments within this many target durations of the playlist's end
 * (RFC 8216bis §4.4.4.9: "EXT-X-PART tags SHOULD be removed from the Playlist after they are
 * greater than three Target Durations from the end"); older segments are listed whole.
 */
export const PART_LIST_TARGETS = 3;

/**
 * The sliding window of one stream's playlist (RFC 8216 §6.2.2): segments enter at the end,
 * the oldest leave once more than `windowSegments` are listed, and the files of a segment that
 * left stay for one more window (a client that loaded the playlist just before may still ask
 * for them, §6.2.2) before they are named for deletion.
 */
export class PlaylistWindow {
  readonly #windowSegments: number;
  readonly #extension: 'm4s' | 'ts';
  readonly #withParts: boolean;
  #targetDuration: number;
  #segments: SegmentEntry[] = [];
  /** Segments that left the playlist but whose files are kept a while. */
  #retired: SegmentEntry[] = [];
  #open: SegmentEntry | undefined;
  #nextMsn = 0;
  #discontinuitySequence = 0;
  #ended = false;
  /** Lowest init generation whose file may still exist. */
  #firstLiveInit = 0;

  constructor(options: { windowSegments: number; extension: 'm4s' | 'ts'; withParts: boolean; minTargetDuration: number }) {
    this.#windowSegments = options.windowSegments;
    this.#extension = options.extension;
    this.#withParts = options.withParts;
    this.#targetDuration = Math.max(1, Math.ceil(options.minTargetDuration));
  }

  get nextMsn(): number {
    return this.#nextMsn;
  }

  /** The open segment's msn and part count (what the next part will be named after). */
  get openParts(): number {
    return this.#open?.parts.length ?? 0;
  }

  /** Opens a segment if none is open; returns it. */
  open(start: { programDateTime: number; discontinuity: boolean; initUri: string | undefined }): SegmentEntry {
    if (!this.#open) {
      const msn = this.#nextMsn;
      this.#open = { msn, uri: segmentName(msn, this.#extension), duration: 0, ...start, parts: [] };
    }
    this.#ended = false;
    return this.#open;
  }

  /** Adds a part to the open segment (opened first by the caller); returns its file name. */
  addPart(duration: number, independent: boolean): string {
    const seg = this.#open;
    if (!seg) throw new Error('addPart with no open segment');
    const uri = partName(seg.msn, seg.parts.length);
    seg.parts.push({ uri, duration, independent });
    seg.duration += duration;
    return uri;
  }

  /** Adds to the open segment's duration when it has no parts (MPEG-TS mode). */
  addDuration(duration: number): void {
    if (this.#open) this.#open.duration += duration;
  }

  /**
   * Closes the open segment; returns the names of files that are now past keeping (segments
   * and parts more than one window behind the playlist, and init segments none of the kept
   * segments use).
   */
  closeSegment(): string[] {
    const seg = this.#open;
    if (!seg) return [];
    this.#open = undefined;
    this.#segments.push(seg);
    this.#nextMsn = seg.msn + 1;
    this.#targetDuration = Math.max(this.#targetDuration, Math.round(seg.duration));
    while (this.#segments.length > this.#windowSegments) {
      const gone = this.#segments.shift()!;
      if (gone.discontinuity) this.#discontinuitySequence++;
      this.#retired.push(gone);
    }
    const expired: string[] = [];
    while (this.#retired.length > this.#windowSegments) {
      const gone = this.#retired.shift()!;
      expired.push(gone.uri, ...gone.parts.map((p) => p.uri));
    }
    return expired.length > 0 ? [...expired, ...this.#unusedInits()] : expired;
  }

  /** The stream stopped: no preload hint until a segment opens again. */
  end(): void {
    this.#ended = true;
  }

  snapshot(): WindowSnapshot {
    const listPartsAfter = this.#partHorizon();
    const segments = this.#segments.map((s) => (s.parts.length > 0 && s.msn < listPartsAfter ? { ...s, parts: [] } : s));
    let preloadHint: string | undefined;
    if (this.#withParts && !this.#ended) preloadHint = this.#open ? partName(this.#open.msn, this.#open.parts.length) : partName(this.#nextMsn, 0);
    return {
      targetDuration: this.#targetDuration,
      mediaSequence: this.#segments[0]?.msn ?? this.#open?.msn ?? this.#nextMsn,
      discontinuitySequence: this.#discontinuitySequence,
      segments,
      open: this.#open,
      preloadHint,
    };
  }

  /** The first msn whose parts are listed: segments ending within PART_LIST_TARGETS targets of the end. */
  #partHorizon(): number {
    let span = this.#open?.duration ?? 0;
    for (let i = this.#segments.length - 1; i >= 0; i--) {
      const s = this.#segments[i]!;
      span += s.duration;
      if (span > PART_LIST_TARGETS * this.#targetDuration) return s.msn + 1;
    }
    return 0;
  }

  /** Init segments of generations older than every kept segment's (generations count up). */
  #unusedInits(): string[] {
    const kept = [...this.#retired, ...this.#segments, ...(this.#open ? [this.#open] : [])];
    let oldestKept = Infinity;
    for (const s of kept) if (s.initUri !== undefined) oldestKept = Math.min(oldestKept, generationOf(s.initUri));
    if (!Number.isFinite(oldestKept)) return [];
    const out: string[] = [];
    for (let g = this.#firstLiveInit; g < oldestKept; g++) out.push(initName(g));
    this.#firstLiveInit = Math.max(this.#firstLiveInit, oldestKept);
    return out;
  }
}

function generationOf(initUri: string): number {
  const m = /^init(\d*)\.mp4$/.exec(initUri);
  return m && m[1] ? Number(m[1]) : 0;
}
