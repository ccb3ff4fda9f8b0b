import type { SegmentEntry, WindowSnapshot } from './playlist-window.js';

/**
 * PART-HOLD-BACK in part targets: RFC 8216bis §4.4.3.8 requires at least 2 and recommends at
 * least 3, which leaves a player room for one late part without stalling.
 */
export const PART_HOLD_BACK_PARTS = 3;

/**
 * EXT-X-VERSION: 6 for EXT-X-MAP in a playlist without I-FRAMES-ONLY (RFC 8216bis §8), which
 * every fMP4 playlist has; MPEG-TS segments with decimal EXTINF need 3.
 */
const VERSION_FMP4 = 6;
const VERSION_TS = 3;

export interface RenderOptions {
  /** PART-TARGET in seconds: renders the LL-HLS playlist; undefined renders plain HLS. */
  partTarget: number | undefined;
}

/**
 * Renders a live media playlist (RFC 8216bis §4.4) from the window: no EXT-X-ENDLIST, since a
 * republish continues it. With `partTarget` it is the LL-HLS playlist: EXT-X-SERVER-CONTROL
 * with CAN-BLOCK-RELOAD (§4.4.3.8), EXT-X-PART-INF (§4.4.3.7), EXT-X-PART for recent segments
 * and the open one (§4.4.4.9), and EXT-X-PRELOAD-HINT for the next part (§4.4.5.3).
 */
export function renderPlaylist(w: WindowSnapshot, options: RenderOptions): string {
  const ll = options.partTarget !== undefined;
  const all = [...w.segments, ...(ll && w.open ? [w.open] : [])];
  const fmp4 = all.some((s) => s.initUri !== undefined);
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${fmp4 ? VERSION_FMP4 : VERSION_TS}`, `#EXT-X-TARGETDURATION:${w.targetDuration}`];
  if (ll) {
    const partTarget = options.partTarget as number;
    lines.push(`#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${seconds(PART_HOLD_BACK_PARTS * partTarget)}`);
    lines.push(`#EXT-X-PART-INF:PART-TARGET=${seconds(partTarget)}`);
  }
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${w.mediaSequence}`);
  if (w.discontinuitySequence > 0) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${w.discontinuitySequence}`);
  // Every segment starts with a keyframe (HlsSegmenter), §4.4.2.1.
  lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  let mapUri: string | undefined;
  for (const s of all) {
    if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (s.initUri !== undefined && s.initUri !== mapUri) {
      lines.push(`#EXT-X-MAP:URI="${s.initUri}"`);
      mapUri = s.initUri;
    }
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.programDateTime).toISOString()}`);
    if (ll) for (const p of s.parts) lines.push(`#EXT-X-PART:DURATION=${seconds(p.duration)},URI="${p.uri}"${p.independent ? ',INDEPENDENT=YES' : ''}`);
    if (s !== w.open) lines.push(...segmentLines(s));
  }
  if (ll && w.preloadHint !== undefined) lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${w.preloadHint}"`);
  return lines.join('\n') + '\n';
}

function segmentLines(s: SegmentEntry): string[] {
  return [`#EXTINF:${seconds(s.duration)},`, s.uri];
}

/** A decimal-floating-point (§4.2) with millisecond precision and no trailing zeros. */
function seconds(v: number): string {
  return String(Math.round(v * 1000) / 1000);
}
