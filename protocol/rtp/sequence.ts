/**
 * Wrap-aware arithmetic on RTP sequence numbers (16 bits) and timestamps (32 bits), in the sense
 * of RFC 3550 Appendix A.1: the shorter way round the circle decides which value is newer.
 */

const SEQ_MOD = 0x1_0000;
const HALF_SEQ = 0x8000;
const TS_MOD = 0x1_0000_0000;
const HALF_TS = 0x8000_0000;

/** Signed distance a - b in [-32768, 32767]: positive when `a` is newer than `b`. */
export function seqDelta(a: number, b: number): number {
  const d = (a - b) & 0xffff;
  return d >= HALF_SEQ ? d - SEQ_MOD : d;
}

/** Whether sequence number `a` comes after `b` (RFC 3550 A.1, modulo 2^16). */
export function seqNewer(a: number, b: number): boolean {
  return seqDelta(a, b) > 0;
}

/** Signed distance a - b of two 32-bit RTP timestamps, in [-2^31, 2^31). No bitwise ops past 32 bits. */
export function tsDelta(a: number, b: number): number {
  const d = (a - b) % TS_MOD;
  const u = d < 0 ? d + TS_MOD : d;
  return u >= HALF_TS ? u - TS_MOD : u;
}

/** Whether timestamp `a` comes after `b`, modulo 2^32. */
export function tsNewer(a: number, b: number): boolean {
  return tsDelta(a, b) > 0;
}

/** (a + b) modulo 2^32 as an unsigned integer. */
export function tsAdd(a: number, b: number): number {
  const s = (a + b) % TS_MOD;
  return s < 0 ? s + TS_MOD : s;
}
