/**
 * 33-bit PTS/DTS and PCR fields (ISO 13818-1 §2.4.3.7, §2.4.3.5). Values above 2^32 are
 * handled with arithmetic, never bitwise operators (which truncate to 32 bits).
 */

/** PTS, DTS and PCR base count modulo 2^33 (§2.4.3.7). */
export const PTS_MODULO = 2 ** 33;

/** A 90 kHz time reduced into [0, 2^33). */
export function wrapPts(t: number): number {
  return ((t % PTS_MODULO) + PTS_MODULO) % PTS_MODULO;
}

/**
 * Signed difference a − b of two wrapped 33-bit times, taking the shorter way round the
 * circle: a PTS just after the wrap minus one just before is small and positive.
 */
export function ptsDiff(a: number, b: number): number {
  const d = wrapPts(a - b);
  return d >= PTS_MODULO / 2 ? d - PTS_MODULO : d;
}

/**
 * Writes a PTS or DTS field (5 bytes, §2.4.3.6):
 * `prefix(4) TS[32..30](3) marker(1) TS[29..15](15) marker(1) TS[14..0](15) marker(1)`.
 * `prefix` is '0010' (PTS only), '0011' (PTS with DTS) or '0001' (DTS).
 */
export function writePtsField(out: Uint8Array, at: number, prefix: number, t: number): void {
  const v = wrapPts(Math.round(t));
  const high = Math.floor(v / 2 ** 30); // 3 bits
  const mid = Math.floor(v / 2 ** 15) % 2 ** 15;
  const low = v % 2 ** 15;
  out[at] = (prefix << 4) | (high << 1) | 1;
  out[at + 1] = mid >>> 7;
  out[at + 2] = ((mid & 0x7f) << 1) | 1;
  out[at + 3] = low >>> 7;
  out[at + 4] = ((low & 0x7f) << 1) | 1;
}

/** Reads a 5-byte PTS/DTS field written as above (the caller checks that 5 bytes exist). */
export function readPtsField(data: Uint8Array, at: number): number {
  const b = (k: number): number => data[at + k] as number;
  const high = (b(0) >>> 1) & 0x07;
  const mid = (b(1) << 7) | (b(2) >>> 1);
  const low = (b(3) << 7) | (b(4) >>> 1);
  return high * 2 ** 30 + mid * 2 ** 15 + low;
}

/** Size of program_clock_reference in an adaptation field (§2.4.3.4). */
export const PCR_FIELD_SIZE = 6;

/**
 * Writes program_clock_reference (§2.4.3.4): base(33) reserved(6) extension(9), with the
 * base in 90 kHz and the 27 MHz extension left at 0.
 */
export function writePcrField(out: Uint8Array, at: number, base90k: number): void {
  const v = wrapPts(Math.floor(base90k));
  out[at] = Math.floor(v / 2 ** 25);
  out[at + 1] = Math.floor(v / 2 ** 17) % 256;
  out[at + 2] = Math.floor(v / 2 ** 9) % 256;
  out[at + 3] = Math.floor(v / 2) % 256;
  out[at + 4] = ((v % 2) << 7) | 0x7e; // last base bit, 6 reserved '1' bits, extension bit 8 = 0
  out[at + 5] = 0;
}

/** Reads the 90 kHz base of a program_clock_reference. */
export function readPcrBase(data: Uint8Array, at: number): number {
  const b = (k: number): number => data[at + k] as number;
  return b(0) * 2 ** 25 + b(1) * 2 ** 17 + b(2) * 2 ** 9 + b(3) * 2 + (b(4) >>> 7);
}
