import type { AccessUnit, TrackInfo } from '../../protocol/media/access-unit.js';

/**
 * How an HLS stream is cut, in 90 kHz ticks (AU_CLOCK_RATE).
 * `partTicks` 0 means no partial segments (plain HLS, MPEG-TS mode).
 */
export interface SegmenterOptions {
  segmentTicks: number;
  partTicks: number;
  /** Tracks this packager can carry (codec known to the muxer and its config present). */
  usable(track: TrackInfo): boolean;
}

/** A partial segment (RFC 8216bis §4.4.4.9): the units from `startDts` up to `endDts`. */
export interface SegmenterPart {
  units: AccessUnit[];
  startDts: number;
  /** Where the next part starts on the reference track (the part's duration is the difference). */
  endDts: number;
  /** Starts with a video keyframe (or the stream has no video): EXT-X-PART INDEPENDENT=YES. */
  independent: boolean;
}

/**
 * What the segmenter asks of the writer, in order:
 * - `init`: a new track set starts here (write an init segment; with `discontinuity`, the next
 *   segment carries EXT-X-DISCONTINUITY, RFC 8216bis §4.4.4.3);
 * - `part`: a part of the current segment is complete;
 * - `segment`: the current segment is complete (its parts were all sent).
 */
export type SegmenterEvent =
  | { kind: 'init'; tracks: TrackInfo[]; discontinuity: boolean }
  | { kind: 'part'; part: SegmenterPart }
  | { kind: 'segment' };

/**
 * Cuts a stream of AccessUnits into HLS segments and parts (the pure state machine of the HLS
 * packager: no I/O, no clock). The reference track is video when the stream has video, else
 * audio. A segment starts on a video keyframe and is cut at the first keyframe at or after
 * `segmentTicks` (RFC 8216bis §6.2.1: segments start with an IDR so each is independently
 * decodable). A part is cut before a reference unit that would carry it past `partTicks`, so
 * no part exceeds the Part Target Duration (RFC 8216bis §4.4.3.7) while frame spacing holds.
 * Units before the first keyframe of a track set are dropped: a player cannot decode them.
 */
export class HlsSegmenter {
  readonly #options: SegmenterOptions;
  /** The track set the current generation was started with (undefined: not started). */
  #tracks: TrackInfo[] | undefined;
  /** The latest usable track set announced (what the next generation starts with). */
  #pendingTracks: TrackInfo[] = [];
  #discontinuityPending = false;
  #part: SegmenterPart | undefined;
  #segmentStartDts = 0;
  #lastRefDts: number | undefined;
  /** Spacing of the last two reference units: the expected duration of the next one. */
  #refInterval = 0;
  readonly #lastDtsByType = new Map<'video' | 'audio', number>();
  #dropped = 0;

  constructor(options: SegmenterOptions) {
    this.#options = options;
  }

  /** Units dropped: before the first keyframe, of unusable tracks, or with dts going back. */
  get dropped(): number {
    return this.#dropped;
  }

  /** A new track set (reader 'tracks' item). A change after media started opens a new generation. */
  setTracks(tracks: readonly TrackInfo[]): SegmenterEvent[] {
    const usable = tracks.filter((t) => this.#options.usable(t));
    this.#pendingTracks = usable;
    if (!this.#tracks || sameTracks(this.#tracks, usable)) {
      if (this.#tracks) this.#tracks = usable;
      return [];
    }
    // The track set changed mid-stream: end what was cut so far; wait for a keyframe.
    const events = this.#finish();
    this.#tracks = undefined;
    this.#discontinuityPending = true;
    return events;
  }

  /**
   * The source restarted (a republish within the grace period): timestamps start again, so
   * what comes next is a new generation after a discontinuity.
   */
  restart(): SegmenterEvent[] {
    const events = this.#finish();
    if (this.#tracks) this.#discontinuityPending = true;
    this.#tracks = undefined;
    this.#pendingTracks = [];
    return events;
  }

  push(unit: AccessUnit): SegmenterEvent[] {
    const events: SegmenterEvent[] = [];
    if (!this.#tracks) {
      if (!this.#startsGeneration(unit)) {
        this.#dropped++;
        return events;
      }
      this.#tracks = this.#pendingTracks;
      this.#lastDtsByType.clear();
      this.#lastRefDts = undefined;
      this.#refInterval = 0;
      events.push({ kind: 'init', tracks: this.#tracks, discontinuity: this.#discontinuityPending });
      this.#discontinuityPending = false;
    }
    if (!this.#tracks.some((t) => t.type === unit.type && t.codec === unit.codec)) {
      this.#dropped++;
      return events;
    }
    const lastDts = this.#lastDtsByType.get(unit.type);
    if (lastDts !== undefined && unit.dts < lastDts) {
      this.#dropped++;
      return events;
    }
    this.#lastDtsByType.set(unit.type, unit.dts);
    if (unit.type === this.#referenceType()) this.#pushReference(unit, events);
    else if (this.#part) this.#part.units.push(unit);
    else this.#dropped++;
    return events;
  }

  /** Ends the current part and segment (end of stream). */
  flush(): SegmenterEvent[] {
    return this.#finish();
  }

  #referenceType(): 'video' | 'audio' {
    return this.#tracks?.some((t) => t.type === 'video') ? 'video' : 'audio';
  }

  #startsGeneration(unit: AccessUnit): boolean {
    const tracks = this.#pendingTracks;
    if (tracks.length === 0) return false;
    const hasVideo = tracks.some((t) => t.type === 'video');
    if (hasVideo) return unit.type === 'video' && unit.keyframe && tracks.some((t) => t.codec === unit.codec);
    return tracks.some((t) => t.type === unit.type && t.codec === unit.codec);
  }

  #pushReference(unit: AccessUnit, events: SegmenterEvent[]): void {
    const isVideo = unit.type === 'video';
    let part = this.#part;
    let newSegment = !part;
    if (part) {
      newSegment = (!isVideo || unit.keyframe) && unit.dts - this.#segmentStartDts >= this.#options.segmentTicks;
      const partTicks = this.#options.partTicks;
      // Cut before this unit if it would end past the part target (its duration is about the
      // last spacing); a part always holds at least one reference unit.
      const newPart = partTicks > 0 && unit.dts > part.startDts && unit.dts + this.#refInterval - part.startDts > partTicks;
      if (newSegment || newPart) {
        part.endDts = unit.dts;
        events.push({ kind: 'part', part });
        if (newSegment) events.push({ kind: 'segment' });
        part = undefined;
      }
    }
    if (this.#lastRefDts !== undefined && unit.dts > this.#lastRefDts) this.#refInterval = unit.dts - this.#lastRefDts;
    this.#lastRefDts = unit.dts;
    if (newSegment) this.#segmentStartDts = unit.dts;
    if (!part) {
      part = { units: [], startDts: unit.dts, endDts: unit.dts, independent: !isVideo || unit.keyframe };
      this.#part = part;
    }
    part.units.push(unit);
  }

  #finish(): SegmenterEvent[] {
    const part = this.#part;
    if (!part) return [];
    this.#part = undefined;
    part.endDts = (this.#lastRefDts ?? part.startDts) + this.#refInterval;
    return [{ kind: 'part', part }, { kind: 'segment' }];
  }
}

function sameTracks(a: readonly TrackInfo[], b: readonly TrackInfo[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((t, i) => {
    const u = b[i];
    if (!u || u.type !== t.type || u.codec !== t.codec) return false;
    const ca = t.config;
    const cb = u.config;
    if (!ca || !cb) return ca === cb;
    return ca.byteLength === cb.byteLength && ca.every((v, j) => v === cb[j]);
  });
}
