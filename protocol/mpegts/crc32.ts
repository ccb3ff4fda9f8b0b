/**
 * CRC_32 of PSI sections (ISO 13818-1 Annex A): polynomial 0x04C11DB7, initial value
 * 0xFFFFFFFF, MSB first, no reflection, no final XOR. A section including its CRC_32 field
 * yields 0.
 */

const TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i += 1) {
    let c = i << 24;
    for (let k = 0; k < 8; k += 1) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC_32 (MPEG-2) of `data`. */
export function crc32Mpeg2(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of data) crc = ((crc << 8) ^ (TABLE[((crc >>> 24) ^ b) & 0xff] as number)) >>> 0;
  return crc >>> 0;
}
