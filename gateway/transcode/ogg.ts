/**
 * Ogg pages (RFC 3533 §6), to carry Opus (RFC 7845) to and from ffmpeg: a bounded page reader
 * that yields whole packets, and a page writer. Pure: bytes in, values out.
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    | capture_pattern: Magic number for page start "OggS"           |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    | version       | header_type   | granule_position              |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *    |                                                               |
 *    +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                               | bitstream_serial_number       |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *    |                               | page_sequence_number          |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *    |                               | CRC_checksum                  |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *    |                               |page_segments  | segment_table |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { ParseError } from '../../protocol/errors.js';

/** The fixed part of a page header, before the segment table (RFC 3533 §6: 27 octets). */
export const OGG_HEADER_SIZE = 27;
/** Largest page: 27 + 255 lacing values + 255·255 body octets (RFC 3533 §6). */
export const OGG_MAX_PAGE_SIZE = OGG_HEADER_SIZE + 255 + 255 * 255;
/**
 * Largest packet reassembled across pages. An Opus packet is at most 1275·3+7 octets
 * (RFC 6716 §3.2.5 code 3, 120 ms); OpusTags are small from ffmpeg. 256 KB bounds a hostile
 * or broken stream of endless continuation pages.
 */
export const OGG_MAX_PACKET_SIZE = 256 * 1024;
/** Most unparsed bytes buffered: two whole pages. Beyond that the input is not Ogg; it is dropped. */
export const OGG_MAX_BUFFER = 2 * OGG_MAX_PAGE_SIZE;

const CAPTURE = [0x4f, 0x67, 0x67, 0x53]; // "OggS"
const CONTINUED = 0x01;
export const OGG_BOS = 0x02;
export const OGG_EOS = 0x04;

/** CRC-32 of RFC 3533 §6: polynomial 0x04C11DB7, initial 0, MSB first, no reflection, no final XOR. */
const CRC_TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function oggCrc(data: Uint8Array): number {
  let crc = 0;
  for (const b of data) crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ b) & 0xff] as number)) >>> 0;
  return crc >>> 0;
}

/** One packet out of the reader. `granule` is the page's granule position when the packet ends the page, else -1. */
export interface OggPacket {
  data: Uint8Array;
  serial: number;
  granule: number;
}

function u32le(b: Uint8Array, at: number): number {
  return ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;
}

function findCapture(b: Uint8Array, from: number): number {
  for (let i = from; i + 4 <= b.length; i++) {
    if (b[i] === CAPTURE[0] && b[i + 1] === CAPTURE[1] && b[i + 2] === CAPTURE[2] && b[i + 3] === CAPTURE[3]) return i;
  }
  return -1;
}

/**
 * Reads Ogg pages from a byte stream cut anywhere and yields packets. A bad page (version,
 * CRC, oversize packet) is counted, the partial packet dropped, and reading resyncs at the
 * next capture pattern. Never holds more than OGG_MAX_BUFFER + OGG_MAX_PACKET_SIZE bytes.
 */
export class OggPageReader {
  #buf: Uint8Array = new Uint8Array(0);
  #partial: Uint8Array[] = [];
  #partialSize = 0;
  /** Pages dropped as corrupt; bytes skipped while looking for a page. */
  errors = 0;
  skippedBytes = 0;

  /** Forgets buffered bytes and a partial packet (a new stream follows). */
  reset(): void {
    this.#buf = new Uint8Array(0);
    this.#dropPartial();
  }

  push(chunk: Uint8Array): OggPacket[] {
    const merged = new Uint8Array(this.#buf.length + chunk.length);
    merged.set(this.#buf, 0);
    merged.set(chunk, this.#buf.length);
    const out: OggPacket[] = [];
    let at = 0;
    for (;;) {
      const start = findCapture(merged, at);
      if (start < 0) {
        // Keep up to 3 bytes that may begin a capture pattern.
        const keep = Math.max(at, merged.length - 3);
        this.skippedBytes += keep - at;
        at = keep;
        break;
      }
      this.skippedBytes += start - at;
      at = start;
      const page = this.#page(merged, at, out);
      if (page === 'more') break;
      at = page;
    }
    this.#buf = merged.slice(at);
    if (this.#buf.length > OGG_MAX_BUFFER) {
      this.errors++;
      this.skippedBytes += this.#buf.length;
      this.#buf = new Uint8Array(0);
    }
    return out;
  }

  /** Parses the page at `at`: its end offset, 'more', or at+1 after a bad page (resync). */
  #page(b: Uint8Array, at: number, out: OggPacket[]): number | 'more' {
    if (b.length - at < OGG_HEADER_SIZE) return 'more';
    const segments = b[at + 26] as number;
    const headerSize = OGG_HEADER_SIZE + segments;
    if (b.length - at < headerSize) return 'more';
    let bodySize = 0;
    for (let i = 0; i < segments; i++) bodySize += b[at + OGG_HEADER_SIZE + i] as number;
    if (b.length - at < headerSize + bodySize) return 'more';
    const page = b.subarray(at, at + headerSize + bodySize);
    try {
      this.#checkPage(page);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.errors++;
      this.#dropPartial();
      return at + 1;
    }
    const type = page[5] as number;
    const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    const granule = Number(view.getBigInt64(6, true));
    const serial = u32le(page, 14);
    if ((type & CONTINUED) === 0) this.#dropPartial();
    let body = headerSize;
    let lastEnd = -1;
    for (let i = 0; i < segments; i++) if ((page[OGG_HEADER_SIZE + i] as number) < 255) lastEnd = i;
    for (let i = 0; i < segments; i++) {
      const lace = page[OGG_HEADER_SIZE + i] as number;
      if (this.#partialSize + lace > OGG_MAX_PACKET_SIZE) {
        this.errors++;
        this.#dropPartial();
        return at + headerSize + bodySize;
      }
      this.#partial.push(page.subarray(body, body + lace));
      this.#partialSize += lace;
      body += lace;
      if (lace < 255) {
        const data = new Uint8Array(this.#partialSize);
        let o = 0;
        for (const p of this.#partial) {
          data.set(p, o);
          o += p.length;
        }
        this.#partial = [];
        this.#partialSize = 0;
        out.push({ data, serial, granule: i === lastEnd ? granule : -1 });
      }
    }
    return at + headerSize + bodySize;
  }

  #checkPage(page: Uint8Array): void {
    if (page[4] !== 0) throw new ParseError('bad-version', `Ogg version ${page[4]}`);
    const stored = u32le(page, 22);
    const copy = page.slice();
    copy.fill(0, 22, 26);
    if (oggCrc(copy) !== stored) throw new ParseError('bad-crc', 'Ogg page CRC mismatch');
  }

  #dropPartial(): void {
    this.#partial = [];
    this.#partialSize = 0;
  }
}

/**
 * One Ogg page holding whole packets (each packet ≤ 255·255 octets in total with the others;
 * packets are not split across pages here, which RFC 3533 allows).
 */
export function buildOggPage(p: { packets: readonly Uint8Array[]; granule: number; serial: number; sequence: number; headerType?: number }): Uint8Array {
  const lacing: number[] = [];
  let bodySize = 0;
  for (const pkt of p.packets) {
    let n = pkt.length;
    while (n >= 255) {
      lacing.push(255);
      n -= 255;
    }
    lacing.push(n);
    bodySize += pkt.length;
  }
  if (lacing.length > 255) throw new TypeError('packets need more than 255 lacing values');
  const page = new Uint8Array(OGG_HEADER_SIZE + lacing.length + bodySize);
  const view = new DataView(page.buffer);
  page.set(CAPTURE, 0);
  page[4] = 0;
  page[5] = p.headerType ?? 0;
  view.setBigInt64(6, BigInt(Math.trunc(p.granule)), true);
  view.setUint32(14, p.serial >>> 0, true);
  view.setUint32(18, p.sequence >>> 0, true);
  page[26] = lacing.length;
  page.set(lacing, OGG_HEADER_SIZE);
  let at = OGG_HEADER_SIZE + lacing.length;
  for (const pkt of p.packets) {
    page.set(pkt, at);
    at += pkt.length;
  }
  view.setUint32(22, oggCrc(page), true);
  return page;
}
