/**
 * Emulation prevention for NAL units (ITU-T H.264 §7.4.1 and H.265 §7.4.2): inside a NAL unit
 * the byte sequence 0x000000..0x000003 never appears; an encoder inserts
 * emulation_prevention_three_byte (0x03) after every two zero bytes followed by a byte ≤ 0x03.
 */

/**
 * Returns the RBSP of a NAL unit (or any part of one): every 0x03 that follows two zero bytes
 * is dropped. The input is not modified; when it holds no emulation prevention byte the input
 * view itself is returned (callers only read it).
 */
export function removeEmulationPrevention(nal: Uint8Array): Uint8Array {
  let first = -1;
  for (let i = 2; i < nal.length; i += 1) {
    if (nal[i] === 0x03 && nal[i - 1] === 0 && nal[i - 2] === 0) {
      first = i;
      break;
    }
  }
  if (first < 0) return nal;
  const out = new Uint8Array(nal.length);
  out.set(nal.subarray(0, first), 0);
  let n = first;
  let zeros = 0;
  for (let i = first + 1; i < nal.length; i += 1) {
    const b = nal[i] as number;
    if (zeros >= 2 && b === 0x03) {
      zeros = 0;
      continue;
    }
    out[n] = b;
    n += 1;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, n);
}

/**
 * Returns the NAL unit payload for an RBSP: 0x03 is inserted after two zero bytes whenever the
 * next byte is ≤ 0x03, and appended when the data ends in two zero bytes (§7.4.1: an RBSP
 * ending in a cabac_zero_word gets a final 0x03).
 */
export function insertEmulationPrevention(rbsp: Uint8Array): Uint8Array {
  const out: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 0x03) {
      out.push(0x03);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  if (zeros >= 2) out.push(0x03);
  return Uint8Array.from(out);
}
