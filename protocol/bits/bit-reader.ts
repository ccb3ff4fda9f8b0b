/**
 * Bounds-checked MSB-first bit reader for codec headers (SPS, PPS, VPS, AudioSpecificConfig):
 * fixed-width fields `u(n)`, flags, and the Exp-Golomb codes `ue(v)` / `se(v)` of
 * ITU-T H.264 §9.1 and H.265 §9.2. Every read checks the remaining length first and throws
 * ParseError('truncated') rather than reading past the end; the input is never modified.
 */
import { ParseError } from '../errors.js';

/** Widest fixed field read at once: 32 bits still fits a JS number exactly. */
export const MAX_BITS_PER_READ = 32;

/**
 * Most leading zero bits an Exp-Golomb code may have here. H.264 §9.1 and H.265 §9.2 bound
 * ue(v) values to 2^32 − 2, which needs at most 31 leading zeros; more means corrupt data.
 */
export const MAX_EXP_GOLOMB_LEADING_ZEROS = 31;

export class BitReader {
  /** Absolute bit position from the start of `data`. */
  private pos: number;
  private readonly endBit: number;

  /** Reads `data[byteOffset, byteOffset + byteLength)`; the bytes are only ever read. */
  constructor(
    private readonly data: Uint8Array,
    byteOffset = 0,
    byteLength = data.length - byteOffset,
  ) {
    if (byteOffset < 0 || byteLength < 0 || byteOffset + byteLength > data.length) {
      throw new RangeError('BitReader: range outside the buffer');
    }
    this.pos = byteOffset * 8;
    this.endBit = (byteOffset + byteLength) * 8;
  }

  /** Bits not yet read. */
  get bitsLeft(): number {
    return this.endBit - this.pos;
  }

  /** Bits read so far, counted from `byteOffset`. */
  get bitPosition(): number {
    return this.pos;
  }

  /** True when the next read starts on a byte boundary. */
  get byteAligned(): boolean {
    return this.pos % 8 === 0;
  }

  private need(n: number): void {
    if (n > this.endBit - this.pos) {
      throw new ParseError('truncated', `need ${n} bits, ${this.endBit - this.pos} left`);
    }
  }

  /** u(n): an unsigned big-endian field of 0..32 bits. */
  readBits(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n > MAX_BITS_PER_READ) {
      throw new RangeError(`BitReader: cannot read ${n} bits at once`);
    }
    this.need(n);
    let value = 0;
    let left = n;
    while (left > 0) {
      const byte = this.data[this.pos >>> 3] as number;
      const bitInByte = this.pos & 7;
      const take = Math.min(8 - bitInByte, left);
      const chunk = (byte >>> (8 - bitInByte - take)) & ((1 << take) - 1);
      // Multiplication, not `<<`, so a 32-bit result stays unsigned.
      value = value * (1 << take) + chunk;
      this.pos += take;
      left -= take;
    }
    return value;
  }

  /** u(1). */
  readBit(): number {
    return this.readBits(1);
  }

  /** u(1) as a boolean. */
  readFlag(): boolean {
    return this.readBits(1) === 1;
  }

  /** Skips `n` bits (any count). */
  skipBits(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`BitReader: cannot skip ${n} bits`);
    this.need(n);
    this.pos += n;
  }

  /** ue(v): unsigned Exp-Golomb code (H.264 §9.1). */
  readUe(): number {
    let zeros = 0;
    while (this.readBits(1) === 0) {
      zeros += 1;
      if (zeros > MAX_EXP_GOLOMB_LEADING_ZEROS) {
        throw new ParseError('exp-golomb-overflow', `more than ${MAX_EXP_GOLOMB_LEADING_ZEROS} leading zeros`);
      }
    }
    if (zeros === 0) return 0;
    return 2 ** zeros - 1 + this.readBits(zeros);
  }

  /** se(v): signed Exp-Golomb code, mapped per H.264 §9.1.1 (k → (−1)^(k+1) · Ceil(k ÷ 2)). */
  readSe(): number {
    const k = this.readUe();
    const magnitude = Math.ceil(k / 2);
    return k % 2 === 1 ? magnitude : 0 - magnitude;
  }
}
