/**
 * A growable big-endian byte builder. Values out of range for their field are a programming
 * error (TypeError), not something to truncate silently.
 */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
    this.view = new DataView(this.buf.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.len;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private checkUint(v: number, bits: number): void {
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) throw new TypeError(`${v} is not a uint${bits}`);
  }

  u8(v: number): this {
    this.checkUint(v, 8);
    this.reserve(1);
    this.buf[this.len++] = v;
    return this;
  }

  u16(v: number): this {
    this.checkUint(v, 16);
    this.reserve(2);
    this.view.setUint16(this.len, v);
    this.len += 2;
    return this;
  }

  i16(v: number): this {
    if (!Number.isInteger(v) || v < -0x8000 || v > 0x7fff) throw new TypeError(`${v} is not an int16`);
    this.reserve(2);
    this.view.setInt16(this.len, v);
    this.len += 2;
    return this;
  }

  u24(v: number): this {
    this.checkUint(v, 24);
    this.reserve(3);
    this.buf[this.len] = v >>> 16;
    this.view.setUint16(this.len + 1, v & 0xffff);
    this.len += 3;
    return this;
  }

  /** Signed 24-bit big-endian, two's complement (FLV SI24). */
  i24(v: number): this {
    if (!Number.isInteger(v) || v < -0x800000 || v > 0x7fffff) throw new TypeError(`${v} is not an int24`);
    return this.u24(v < 0 ? v + 0x1000000 : v);
  }

  u32(v: number): this {
    this.checkUint(v, 32);
    this.reserve(4);
    this.view.setUint32(this.len, v);
    this.len += 4;
    return this;
  }

  u32le(v: number): this {
    this.checkUint(v, 32);
    this.reserve(4);
    this.view.setUint32(this.len, v, true);
    this.len += 4;
    return this;
  }

  f64(v: number): this {
    this.reserve(8);
    this.view.setFloat64(this.len, v);
    this.len += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** A copy of what was written, sized exactly. */
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
