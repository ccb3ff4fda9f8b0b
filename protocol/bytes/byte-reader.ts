import { ParseError } from '../errors.js';

/**
 * A bounds-checked big-endian cursor over a byte slice (after hls.js / livekit packet readers).
 * Every read checks the remaining length first and throws ParseError('truncated') instead of
 * reading past the end; callers that parse incrementally check `remaining` before reading so
 * that "need more bytes" never becomes an error. The input is never written.
 */
export class ByteReader {
  private readonly view: DataView;
  private pos = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.pos;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Throws ParseError(reason) unless `n` more bytes are available. */
  need(n: number, reason = 'truncated'): void {
    if (n > this.remaining) throw new ParseError(reason, `need ${n} bytes at offset ${this.pos}, have ${this.remaining}`);
  }

  /** Moves the cursor to an absolute offset within the input (used to step past a sub-parse). */
  seek(offset: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset > this.bytes.length) throw new RangeError(`seek to ${offset}`);
    this.pos = offset;
  }

  /** The next byte without consuming it. */
  peekU8(): number {
    this.need(1);
    return this.view.getUint8(this.pos);
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  i16(): number {
    this.need(2);
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.need(3);
    const v = (this.view.getUint8(this.pos) << 16) | this.view.getUint16(this.pos + 1);
    this.pos += 3;
    return v;
  }

  /** Signed 24-bit big-endian (FLV CompositionTime, SI24). */
  i24(): number {
    const v = this.u24();
    return v & 0x800000 ? v - 0x1000000 : v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  u32le(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  /** A view (not a copy) of the next `n` bytes. */
  bytesView(n: number): Uint8Array {
    this.need(n);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A copy of the next `n` bytes, safe to keep after the input buffer is reused. */
  bytesCopy(n: number): Uint8Array {
    return this.bytesView(n).slice();
  }

  /** The rest of the input as a view. */
  rest(): Uint8Array {
    return this.bytesView(this.remaining);
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}
