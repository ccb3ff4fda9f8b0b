/**
 * Playlist request parameters of Low-Latency HLS (rfc8216bis §6.2.5): `_HLS_msn`,
 * `_HLS_part` and `_HLS_skip`, and the server's decision for a blocking reload.
 */
import { ParseError } from '../errors.js';
import type { MediaPlaylist } from './playlist.js';

export interface HlsQuery {
  /** _HLS_msn: block until this Media Sequence Number is in the playlist. */
  msn?: number;
  /** _HLS_part: … and this Partial Segment of it. */
  part?: number;
  /** _HLS_skip: YES for a delta update, v2 to also skip date ranges. */
  skip?: 'YES' | 'v2';
}

/** A decimal-integer (§4.2) kept within JS safe integers; 16 digits bound the work. */
const DECIMAL_INTEGER = /^\d{1,16}$/;

function one(params: URLSearchParams, name: string, reason: string): string | undefined {
  const all = params.getAll(name);
  if (all.length > 1) throw new ParseError(reason, `${name} given ${all.length} times`);
  return all[0];
}

function integer(v: string, name: string, reason: string): number {
  const n = Number(v);
  if (!DECIMAL_INTEGER.test(v) || !Number.isSafeInteger(n)) throw new ParseError(reason, `${name}=${v}`);
  return n;
}

/**
 * Reads and validates the delivery directives. Throws ParseError ('bad-msn', 'bad-part',
 * 'part-without-msn', 'bad-skip'); the server answers those with 400 (§6.2.5.2).
 */
export function parseHlsQuery(params: URLSearchParams): HlsQuery {
  const q: HlsQuery = {};
  const msn = one(params, '_HLS_msn', 'bad-msn');
  const part = one(params, '_HLS_part', 'bad-part');
  const skip = one(params, '_HLS_skip', 'bad-skip');
  if (msn !== undefined) q.msn = integer(msn, '_HLS_msn', 'bad-msn');
  if (part !== undefined) {
    if (msn === undefined) throw new ParseError('part-without-msn', '_HLS_part needs _HLS_msn');
    q.part = integer(part, '_HLS_part', 'bad-part');
  }
  if (skip !== undefined) {
    if (skip !== 'YES' && skip !== 'v2') throw new ParseError('bad-skip', `_HLS_skip=${skip}`);
    q.skip = skip;
  }
  return q;
}

/**
 * rfc8216bis §6.2.5.2: a request for an MSN more than two segments past the last one in the
 * playlist is answered with 400 rather than held.
 */
export const MAX_MSN_AHEAD = 2;

/**
 * What a blocking reload for (msn, part) should do with the current playlist: 'ready' when
 * the segment (or the part) is in it, 'wait' when it is expected soon, 'too-far' (400) when
 * it is more than two segments ahead.
 */
export function blockingReloadState(pl: MediaPlaylist, msn: number, part?: number): 'ready' | 'wait' | 'too-far' {
  const pendingMsn = pl.mediaSequence + pl.segments.length; // the segment being written
  if (msn < pendingMsn || pl.endList) return 'ready';
  if (msn > pendingMsn - 1 + MAX_MSN_AHEAD) return 'too-far';
  if (msn === pendingMsn && part !== undefined && part < (pl.pendingParts?.length ?? 0)) return 'ready';
  return 'wait';
}
