/**
 * Media Playlist writer (RFC 8216, draft-pantos-hls-rfc8216bis §4.4). One model gives either
 * a Low-Latency playlist (EXT-X-PART-INF, EXT-X-SERVER-CONTROL, EXT-X-PART,
 * EXT-X-PRELOAD-HINT, EXT-X-RENDITION-REPORT) or a plain one for players that do not ask for
 * Low-Latency (same segments, without parts and hints).
 */
import { formatDecimal, formatDecimalCeil, quoted } from './attributes.js';
import type { ByteRange, HlsMap, HlsPart, MediaPlaylist } from './playlist.js';

/**
 * rfc8216bis §4.4.3.8 requires PART-HOLD-BACK ≥ 2 × PART-TARGET and recommends 3 ×; Estuary
 * requires the recommendation so a player's start position survives a late part.
 */
export const MIN_PART_HOLD_BACK_PARTS = 3;
/** rfc8216bis §4.4.3.8: HOLD-BACK MUST be at least three times the Target Duration. */
export const MIN_HOLD_BACK_TARGETS = 3;
/** rfc8216bis §4.4.3.8: CAN-SKIP-UNTIL MUST be at least six times the Target Duration. */
export const MIN_SKIP_UNTIL_TARGETS = 6;

export interface MediaPlaylistWriteOptions {
  /** Write the Low-Latency tags (default: true when the playlist has a partTarget). */
  lowLatency?: boolean;
  /**
   * Write a delta update (rfc8216bis §6.2.5.1, `_HLS_skip=YES`): segments that end more than
   * CAN-SKIP-UNTIL seconds before the end of the playlist are replaced by EXT-X-SKIP.
   */
  skip?: boolean;
}

function byteRange(r: ByteRange): string {
  return r.offset === undefined ? `${r.length}` : `${r.length}@${r.offset}`;
}

function mapTag(m: HlsMap): string {
  return `#EXT-X-MAP:URI=${quoted(m.uri)}${m.byteRange ? `,BYTERANGE=${quoted(byteRange(m.byteRange))}` : ''}`;
}

function partTag(p: HlsPart): string {
  let s = `#EXT-X-PART:DURATION=${formatDecimal(p.duration)},URI=${quoted(p.uri)}`;
  if (p.independent) s += ',INDEPENDENT=YES';
  if (p.byteRange) s += `,BYTERANGE=${quoted(byteRange(p.byteRange))}`;
  if (p.gap) s += ',GAP=YES';
  return s;
}

/** Lowest EXT-X-VERSION that covers the features written (rfc8216bis §8). */
function requiredVersion(pl: MediaPlaylist, skipped: number): number {
  if (skipped > 0) return 9;
  if (pl.map || pl.segments.some((s) => s.map)) return 6;
  return 3; // floating-point EXTINF durations
}

/** How many leading segments a delta update may skip (rfc8216bis §6.2.5.1). */
function skippableSegments(pl: MediaPlaylist): number {
  const until = pl.serverControl?.canSkipUntil;
  if (until === undefined) return 0;
  let fromEnd = 0;
  let n = pl.segments.length;
  // Walk back from the last segment; everything that ends before `until` seconds is skippable.
  while (n > 0 && fromEnd < until) {
    n -= 1;
    fromEnd += (pl.segments[n] as { duration: number }).duration;
  }
  // A skipped EXT-X-MAP would change how the segments after the skip are read: stop before it.
  let k = 0;
  while (k < n && !pl.segments[k]?.map) k += 1;
  return k;
}

function validate(pl: MediaPlaylist, lowLatency: boolean): void {
  if (!Number.isInteger(pl.targetDuration) || pl.targetDuration < 1) throw new TypeError(`TARGETDURATION must be a positive integer, not ${pl.targetDuration}`);
  if (!Number.isSafeInteger(pl.mediaSequence) || pl.mediaSequence < 0) throw new TypeError(`bad MEDIA-SEQUENCE ${pl.mediaSequence}`);
  for (const s of pl.segments) {
    // rfc8216bis §4.4.3.1: EXTINF rounded to the nearest integer ≤ TARGETDURATION.
    if (Math.round(s.duration) > pl.targetDuration) throw new TypeError(`segment ${s.uri} (${s.duration} s) exceeds TARGETDURATION ${pl.targetDuration}`);
  }
  const sc = pl.serverControl;
  if (sc?.holdBack !== undefined && sc.holdBack < MIN_HOLD_BACK_TARGETS * pl.targetDuration) throw new TypeError(`HOLD-BACK must be ≥ ${MIN_HOLD_BACK_TARGETS} × TARGETDURATION`);
  if (sc?.canSkipUntil !== undefined && sc.canSkipUntil < MIN_SKIP_UNTIL_TARGETS * pl.targetDuration) throw new TypeError(`CAN-SKIP-UNTIL must be ≥ ${MIN_SKIP_UNTIL_TARGETS} × TARGETDURATION`);
  if (!lowLatency) return;
  const hasParts = pl.segments.some((s) => s.parts?.length) || (pl.pendingParts?.length ?? 0) > 0 || pl.preloadHint !== undefined;
  if (hasParts && pl.partTarget === undefined) throw new TypeError('a playlist with parts needs partTarget (EXT-X-PART-INF)');
  if (pl.partTarget !== undefined) {
    if (!(pl.partTarget > 0)) throw new TypeError(`bad PART-TARGET ${pl.partTarget}`);
    const phb = sc?.partHoldBack;
    if (phb !== undefined && phb < MIN_PART_HOLD_BACK_PARTS * pl.partTarget) throw new TypeError(`PART-HOLD-BACK must be ≥ ${MIN_PART_HOLD_BACK_PARTS} × PART-TARGET`);
  }
}

/** Writes a Media Playlist as text (lines end in LF). */
export function writeMediaPlaylist(pl: MediaPlaylist, options: MediaPlaylistWriteOptions = {}): string {
  const lowLatency = options.lowLatency ?? pl.partTarget !== undefined;
  validate(pl, lowLatency);
  const skipped = options.skip ? skippableSegments(pl) : 0;
  const lines: string[] = ['#EXTM3U', `#EXT-X-VERSION:${pl.version ?? requiredVersion(pl, skipped)}`];
  lines.push(`#EXT-X-TARGETDURATION:${pl.targetDuration}`);
  if (pl.playlistType) lines.push(`#EXT-X-PLAYLIST-TYPE:${pl.playlistType}`);
  if (pl.independentSegments) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  const sc = pl.serverControl;
  if (lowLatency && pl.partTarget !== undefined) {
    const attrs: string[] = [];
    if (sc?.canSkipUntil !== undefined) attrs.push(`CAN-SKIP-UNTIL=${formatDecimal(sc.canSkipUntil)}`);
    if (sc?.canBlockReload ?? true) attrs.push('CAN-BLOCK-RELOAD=YES');
    attrs.push(`HOLD-BACK=${formatDecimal(sc?.holdBack ?? MIN_HOLD_BACK_TARGETS * pl.targetDuration)}`);
    attrs.push(`PART-HOLD-BACK=${formatDecimal(sc?.partHoldBack ?? MIN_PART_HOLD_BACK_PARTS * pl.partTarget)}`);
    lines.push(`#EXT-X-SERVER-CONTROL:${attrs.join(',')}`);
    lines.push(`#EXT-X-PART-INF:PART-TARGET=${formatDecimalCeil(pl.partTarget)}`);
  } else if (sc?.holdBack !== undefined) {
    lines.push(`#EXT-X-SERVER-CONTROL:HOLD-BACK=${formatDecimal(sc.holdBack)}`);
  }
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${pl.mediaSequence}`);
  if (pl.discontinuitySequence) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${pl.discontinuitySequence}`);
  if (pl.map) lines.push(mapTag(pl.map));
  if (skipped > 0) lines.push(`#EXT-X-SKIP:SKIPPED-SEGMENTS=${skipped}`);
  for (const s of pl.segments.slice(skipped)) {
    if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (s.map) lines.push(mapTag(s.map));
    if (s.programDateTime) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${s.programDateTime.toISOString()}`);
    if (lowLatency && pl.partTarget !== undefined) for (const p of s.parts ?? []) lines.push(partTag(p));
    if (s.gap) lines.push('#EXT-X-GAP');
    lines.push(`#EXTINF:${formatDecimal(s.duration)},${s.title ?? ''}`, s.uri);
  }
  if (lowLatency && pl.partTarget !== undefined) {
    for (const p of pl.pendingParts ?? []) lines.push(partTag(p));
    const h = pl.preloadHint;
    if (h) {
      let s = `#EXT-X-PRELOAD-HINT:TYPE=${h.type},URI=${quoted(h.uri)}`;
      if (h.byteRangeStart !== undefined) s += `,BYTERANGE-START=${h.byteRangeStart}`;
      if (h.byteRangeLength !== undefined) s += `,BYTERANGE-LENGTH=${h.byteRangeLength}`;
      lines.push(s);
    }
    for (const r of pl.renditionReports ?? []) {
      lines.push(`#EXT-X-RENDITION-REPORT:URI=${quoted(r.uri)},LAST-MSN=${r.lastMsn}${r.lastPart === undefined ? '' : `,LAST-PART=${r.lastPart}`}`);
    }
  }
  if (pl.endList) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}
