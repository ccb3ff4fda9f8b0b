/**
 * Limits and helpers shared by the RTMP chunk reader and writer (RTMP spec 1.0 §5.3).
 */

/** Chunk size both sides start with (§5.4.1). */
export const DEFAULT_CHUNK_SIZE = 128;

/**
 * Largest chunk size a peer may set. §5.4.1 allows 1..2^31-1 (the top bit must be 0) and notes
 * that sizes above 0xFFFFFF behave alike because no message is longer than that. We accept the
 * whole spec range: the chunk size never drives an allocation here (a chunk's payload is at
 * most what is left of its message, and messages are capped by MAX_MESSAGE_LENGTH), so a
 * smaller cap would only reject conforming peers.
 */
export const MAX_CHUNK_SIZE = 0x7fffffff;

/**
 * Largest message we reassemble. The 24-bit length field allows 16 MiB − 1. A 4K HEVC IDR at
 * broadcast bitrates (≈ 50–60 Mb/s, an IDR ≈ 10× an average frame) is 2–4 MB; 8 MiB keeps
 * ~2× headroom over that while halving what a hostile peer can make us hold per chunk stream.
 */
export const MAX_MESSAGE_LENGTH = 8 * 1024 * 1024;

/**
 * Most chunk streams a peer may use at once. Real clients use 2..8 (control, command, audio,
 * video, data); each chunk stream keeps header state and possibly a partial message, so an
 * unbounded count would let a peer spread MAX_MESSAGE_LENGTH partials over 65 598 ids.
 */
export const MAX_CHUNK_STREAMS = 64;

/** Lowest and highest chunk stream id (§5.3.1.1: 0 and 1 select the 2- and 3-byte forms). */
export const MIN_CSID = 2;
export const MAX_CSID = 65599;

/** 24-bit timestamp field value meaning "the real value is in the Extended Timestamp" (§5.3.1.3). */
export const EXTENDED_TIMESTAMP = 0xffffff;

const TWO_32 = 2 ** 32;
const TWO_31 = 2 ** 31;

/**
 * Turns a 32-bit wire timestamp into the unwrapped value nearest to `previous` (wrap-aware:
 * a step of less than 2^31 either way is a step, not a wrap), so timestamps keep increasing
 * past 2^32 ms (49.7 days) and a backwards jump (a new publisher restarting at 0) stays one.
 */
export function unwrapTimestamp(wire: number, previous: number | undefined): number {
  if (previous === undefined) return wire;
  let t = Math.floor(previous / TWO_32) * TWO_32 + wire;
  if (t - previous > TWO_31 && t >= TWO_32) t -= TWO_32;
  else if (previous - t > TWO_31) t += TWO_32;
  return t;
}
