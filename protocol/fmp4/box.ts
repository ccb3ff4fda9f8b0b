/**
 * Box writing helpers for ISO 14496-12 §4.2: a box is size (u32) + type (four characters) +
 * body; a FullBox adds version (u8) and flags (u24).
 */
import { ByteWriter } from '../bits/byte-writer.js';

/** size + type. */
export const BOX_HEADER_SIZE = 8;

/** Writes a box whose body `fill` writes; the size is patched afterwards. */
export function box(w: ByteWriter, type: string, fill: () => void): void {
  if (type.length !== 4) throw new TypeError(`box type must be 4 characters: ${type}`);
  const start = w.length;
  w.u32(0).ascii(type);
  fill();
  w.setU32At(start, w.length - start);
}

/** Writes a FullBox (§4.2.2): version and 24-bit flags before the body. */
export function fullBox(w: ByteWriter, type: string, version: number, flags: number, fill: () => void): void {
  box(w, type, () => {
    w.u8(version).u24(flags);
    fill();
  });
}

/** The unity transformation matrix of mvhd/tkhd (§8.2.2.3): 16.16 and 2.30 fixed point. */
export function writeUnityMatrix(w: ByteWriter): void {
  for (const v of [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000]) w.u32(v);
}

/** Packs an ISO 639-2/T language code into the 15 bits of mdhd (§8.4.2.3). */
export function packLanguage(code: string): number {
  if (!/^[a-z]{3}$/.test(code)) throw new TypeError(`bad language code ${code}`);
  let v = 0;
  for (let i = 0; i < 3; i += 1) v = (v << 5) | (code.charCodeAt(i) - 0x60);
  return v;
}

export { ByteWriter };
