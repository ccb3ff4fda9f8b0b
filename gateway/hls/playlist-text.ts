import { MIN_PART_HOLD_BACK_PARTS, writeMediaPlaylist } from '../../protocol/hls/media-playlist-writer.js';
import type { HlsPart, HlsSegment, MediaPlaylist } from '../../protocol/hls/playlist.js';
import type { PartEntry, WindowSnapshot } from './playlist-window.js';

export interface RenderOptions {
  /** PART-TARGET in seconds: renders the LL-HLS playlist; undefined renders plain HLS. */
  partTarget: number | undefined;
}

/**
 * Renders the window as a live media playlist (RFC 8216bis §4.4, written by protocol/hls):
 * no EXT-X-ENDLIST, since a republish continues it. With `partTarget` it is the LL-HLS
 * playlist: CAN-BLOCK-RELOAD, PART-HOLD-BACK = 3 part targets (§4.4.3.8), EXT-X-PART for
 * recent segments and the open one (§4.4.4.9), EXT-X-PRELOAD-HINT for the next part (§4.4.5.3).
 *
 * The open segment's parts are listed only when it continues the previous segment's init
 * and timeline: the model has no place for a DISCONTINUITY or MAP before pending parts, so
 * after a re-init its parts appear with the complete segment (one segment later).
 */
export function renderPlaylist(w: WindowSnapshot, options: RenderOptions): string {
  const ll = options.partTarget !== undefined;
  let map: string | undefined;
  const segments = w.segments.map((s): HlsSegment => {
    const out: HlsSegment = {
      uri: s.uri,
      duration: s.duration,
      programDateTime: new Date(s.programDateTime),
      parts: s.parts.map(part),
    };
    if (s.discontinuity) out.discontinuity = true;
    if (s.initUri !== undefined && s.initUri !== map) out.map = { uri: s.initUri };
    map = s.initUri;
    return out;
  });
  const pl: MediaPlaylist = {
    targetDuration: w.targetDuration,
    mediaSequence: w.mediaSequence,
    // Every segment starts with a keyframe (HlsSegmenter), §4.4.2.1.
    independentSegments: true,
    segments,
  };
  if (w.discontinuitySequence > 0) pl.discontinuitySequence = w.discontinuitySequence;
  if (ll) {
    pl.partTarget = options.partTarget;
    pl.serverControl = { canBlockReload: true, partHoldBack: MIN_PART_HOLD_BACK_PARTS * (options.partTarget as number) };
    const open = w.open;
    const continues = open !== undefined && !open.discontinuity && (segments.length === 0 || open.initUri === map);
    if (open === undefined || continues) {
      if (open) pl.pendingParts = open.parts.map(part);
      // Before the first segment completes, its init segment has no segment to hang on.
      if (segments.length === 0 && open?.initUri !== undefined) pl.map = { uri: open.initUri };
      if (w.preloadHint !== undefined) pl.preloadHint = { type: 'PART', uri: w.preloadHint };
    }
  }
  return writeMediaPlaylist(pl, { lowLatency: ll });
}

function part(p: PartEntry): HlsPart {
  return p.independent ? { uri: p.uri, duration: p.duration, independent: true } : { uri: p.uri, duration: p.duration };
}
