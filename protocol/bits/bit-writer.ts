/**
 * MSB-first bit writer for the few headers built bit by bit (AudioSpecificConfig, ADTS, PES
 * timestamps are byte-built instead). Growable; `finish()` pads the last byte with zeros.
 */

export class BitWriter {
  private bytes: number[] = [];
  private current = 0;
  private used = 0;

  /** Writes the low `n` bits (0..32) of `value`, most significant first. */
  writeBits(value: number, n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 32) throw new RangeError(`BitWriter: bad width ${n}`);
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** n) {
      throw new RangeError(`BitWriter: ${value} does not fit in ${n} bits`);
    }
    for (let i = n - 1; i >= 0; i -= 1) {
      const bit = Math.floor(value / 2 ** i) % 2;
      this.current = (this.current << 1) | bit;
      this.used += 1;
      if (this.used === 8) {
        this.bytes.push(this.current);
        this.current = 0;
        this.used = 0;
      }
    }
    return this;
  }

  /** Writes one flag bit. */
  writeFlag(flag: boolean): this {
    return this.writeBits(flag ? 1 : 0, 1);
  }

  /** Number of bits written so far. */
  get bitLength(): number {
    return this.bytes.length * 8 + this.used;
  }

  /** The bytes written, the last one zero-padded. */
  finish(): Uint8Array {
    const out = this.used > 0 ? [...this.bytes, this.current << (8 - this.used)] : this.bytes;
    return Uint8Array.from(out);
  }
}
