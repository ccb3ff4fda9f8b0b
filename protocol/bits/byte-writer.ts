/**
 * Growable big-endian byte writer for every wire format Estuary writes: boxes (ISO 14496-12),
 * PSI tables (ISO 13818-1), RTMP messages, AMF and FLV tags. Sizes not known in advance are
 * written as placeholders and patched with `setU32At`. A value out of range for its field is a
 * programming error (RangeError), never truncated silently.
 */

const INITIAL_CAPACITY = 256;

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;

  constructor(capacity = INITIAL_CAPACITY) {
    this.buf = new Uint8Array(Math.max(capacity, 16));
    this.view = new DataView(this.buf.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.len;
  }

  /**
   * Claims `n` bytes and returns their offset. It may replace `buf` and `view`, so callers
   * must call it before reading either (not inside the same expression).
   */
  private reserve(n: number): number {
    const at = this.len;
    if (at + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < at + n) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, at));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.len += n;
    return at;
  }

  private static check(value: number, bits: number): void {
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
      throw new RangeError(`ByteWriter: ${value} does not fit in u${bits}`);
    }
  }

  u8(value: number): this {
    ByteWriter.check(value, 8);
    const at = this.reserve(1);
    this.buf[at] = value;
    return this;
  }

  u16(value: number): this {
    ByteWriter.check(value, 16);
    const at = this.reserve(2);
    this.view.setUint16(at, value);
    return this;
  }

  u24(value: number): this {
    ByteWriter.check(value, 24);
    const at = this.reserve(3);
    this.buf[at] = value >>> 16;
    this.buf[at + 1] = (value >>> 8) & 0xff;
    this.buf[at + 2] = value & 0xff;
    return this;
  }

  u32(value: number): this {
    ByteWriter.check(value, 32);
    const at = this.reserve(4);
    this.view.setUint32(at, value);
    return this;
  }

  i16(value: number): this {
    if (!Number.isInteger(value) || value < -0x8000 || value > 0x7fff) throw new RangeError(`ByteWriter: ${value} does not fit in i16`);
    const at = this.reserve(2);
    this.view.setInt16(at, value);
    return this;
  }

  /** Signed 24-bit, two's complement (FLV SI24 composition time). */
  i24(value: number): this {
    if (!Number.isInteger(value) || value < -0x800000 || value > 0x7fffff) throw new RangeError(`ByteWriter: ${value} does not fit in i24`);
    return this.u24(value < 0 ? value + 0x1000000 : value);
  }

  /** Little-endian u32 (the RTMP message header's stream id, RTMP spec §6.1.1). */
  u32le(value: number): this {
    ByteWriter.check(value, 32);
    const at = this.reserve(4);
    this.view.setUint32(at, value, true);
    return this;
  }

  /** IEEE 754 double (AMF0 number, AMF0 spec §2.2). */
  f64(value: number): this {
    const at = this.reserve(8);
    this.view.setFloat64(at, value);
    return this;
  }

  i32(value: number): this {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new RangeError(`ByteWriter: ${value} does not fit in i32`);
    const at = this.reserve(4);
    this.view.setInt32(at, value);
    return this;
  }

  /** u64 from a safe integer, split without bitwise operators (values may exceed 2^32). */
  u64(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`ByteWriter: ${value} is not a safe u64`);
    const at = this.reserve(8);
    this.view.setUint32(at, Math.floor(value / 2 ** 32));
    this.view.setUint32(at + 4, value % 2 ** 32);
    return this;
  }

  bytes(data: Uint8Array): this {
    const at = this.reserve(data.length);
    this.buf.set(data, at);
    return this;
  }

  /** `n` copies of `value` (stuffing, reserved fields). */
  fill(value: number, n: number): this {
    ByteWriter.check(value, 8);
    const at = this.reserve(n);
    this.buf.fill(value, at, at + n);
    return this;
  }

  /** ASCII text such as a four-character code, without terminator. */
  ascii(text: string): this {
    const at = this.reserve(text.length);
    for (let i = 0; i < text.length; i += 1) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) throw new RangeError('ByteWriter: non-ASCII text');
      this.buf[at + i] = c;
    }
    return this;
  }

  /** Overwrites a u32 written earlier (a box size placeholder). */
  setU32At(offset: number, value: number): this {
    ByteWriter.check(value, 32);
    if (offset < 0 || offset + 4 > this.len) throw new RangeError('ByteWriter: patch outside written data');
    this.view.setUint32(offset, value);
    return this;
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Concatenates byte slices into one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
