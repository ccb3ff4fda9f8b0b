import { ParseError } from '../errors.js';
import { readU16, readU32 } from '../rtp/header.js';
import { nackItemsToSequenceNumbers, type NackItem } from './nack.js';
import { PSFB_FMT, RTCP_PT, RTPFB_FMT, SDES_CNAME, type ReportBlock, type RtcpPacket } from './packets.js';

/**
 * A compound RTCP packet carries a handful of packets (RFC 3550 §6.1: SR/RR, SDES, maybe BYE and
 * feedback); 64 bounds the walk far above what any stack sends in one datagram.
 */
export const MAX_RTCP_PACKETS_PER_COMPOUND = 64;
/** NACK items in one packet: a 1500-octet datagram holds at most ~370, so cap the expansion. */
export const MAX_NACK_ITEMS = 400;
/** REMB and FIR lists: the 8-bit SSRC count of REMB bounds it; FIR entries likewise. */
const MAX_SSRC_LIST = 255;

const HEADER_LENGTH = 4;
const REPORT_BLOCK_LENGTH = 24;
/** "REMB" in ASCII, the AFB unique identifier (draft-alvestrand-rmcat-remb-03 §2.2). */
const REMB_ID = 0x52454d42;

/**
 * Walks a compound RTCP packet (RFC 3550 §6.1; also a single packet or a reduced-size one,
 * RFC 5506) and decodes each packet. Every common header is checked (version 2, length within
 * the buffer, §6.4.1) and each decoder sees only its own slice. Throws ParseError on framing
 * errors; the input is never mutated.
 *
 *      0                   1                   2                   3
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |V=2|P|  count  |      PT       |   length (32-bit words - 1)   |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export function parseRtcp(buf: Uint8Array): RtcpPacket[] {
  const out: RtcpPacket[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (out.length >= MAX_RTCP_PACKETS_PER_COMPOUND) throw new ParseError('too-many-packets', `more than ${MAX_RTCP_PACKETS_PER_COMPOUND} RTCP packets`);
    if (offset + HEADER_LENGTH > buf.length) throw new ParseError('truncated', 'RTCP header past the end');
    const b0 = buf[offset] as number;
    if (b0 >> 6 !== 2) throw new ParseError('bad-version', `RTCP version ${b0 >> 6}`);
    const length = 4 * (readU16(buf, offset + 2) + 1);
    if (offset + length > buf.length) throw new ParseError('truncated', `RTCP packet of ${length} octets past the end`);
    let body = buf.subarray(offset, offset + length);
    if (b0 & 0x20) {
      const pad = body[length - 1] as number;
      if (pad === 0 || pad > length - HEADER_LENGTH) throw new ParseError('bad-padding', `padding of ${pad}`);
      body = body.subarray(0, length - pad);
    }
    out.push(parseOne(body));
    offset += length;
  }
  return out;
}

function parseOne(p: Uint8Array): RtcpPacket {
  const count = (p[0] as number) & 0x1f;
  const pt = p[1] as number;
  switch (pt) {
    case RTCP_PT.SR: {
      need(p, 28 + count * REPORT_BLOCK_LENGTH, 'SR');
      return {
        type: 'sr',
        ssrc: readU32(p, 4),
        ntpSeconds: readU32(p, 8),
        ntpFraction: readU32(p, 12),
        rtpTimestamp: readU32(p, 16),
        packetCount: readU32(p, 20),
        octetCount: readU32(p, 24),
        reports: reportBlocks(p, 28, count),
      };
    }
    case RTCP_PT.RR:
      need(p, 8 + count * REPORT_BLOCK_LENGTH, 'RR');
      return { type: 'rr', ssrc: readU32(p, 4), reports: reportBlocks(p, 8, count) };
    case RTCP_PT.SDES:
      return { type: 'sdes', chunks: sdesChunks(p, count) };
    case RTCP_PT.BYE: {
      need(p, 4 + 4 * count, 'BYE');
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++) ssrcs.push(readU32(p, 4 + 4 * i));
      const at = 4 + 4 * count;
      const reasonLength = p[at];
      if (reasonLength === undefined || at + 1 + reasonLength > p.length) return { type: 'bye', ssrcs };
      return { type: 'bye', ssrcs, reason: latin1(p.subarray(at + 1, at + 1 + reasonLength)) };
    }
    case RTCP_PT.RTPFB:
      return transportFeedback(p, count);
    case RTCP_PT.PSFB:
      return payloadFeedback(p, count);
    default:
      return { type: 'unknown', packetType: pt, format: count };
  }
}

/** RFC 4585 §6.1 feedback header: sender SSRC at 4, media SSRC at 8, FCI from 12. */
function transportFeedback(p: Uint8Array, fmt: number): RtcpPacket {
  need(p, 12, 'RTPFB');
  const senderSsrc = readU32(p, 4);
  const mediaSsrc = readU32(p, 8);
  if (fmt === RTPFB_FMT.NACK) {
    const n = Math.min((p.length - 12) >> 2, MAX_NACK_ITEMS);
    const items: NackItem[] = [];
    for (let i = 0; i < n; i++) items.push({ pid: readU16(p, 12 + 4 * i), blp: readU16(p, 14 + 4 * i) });
    return { type: 'nack', senderSsrc, mediaSsrc, sequenceNumbers: nackItemsToSequenceNumbers(items) };
  }
  if (fmt === RTPFB_FMT.TWCC) return { type: 'twcc', senderSsrc, mediaSsrc };
  return { type: 'unknown', packetType: RTCP_PT.RTPFB, format: fmt };
}

function payloadFeedback(p: Uint8Array, fmt: number): RtcpPacket {
  need(p, 12, 'PSFB');
  const senderSsrc = readU32(p, 4);
  const mediaSsrc = readU32(p, 8);
  switch (fmt) {
    case PSFB_FMT.PLI:
      return { type: 'pli', senderSsrc, mediaSsrc };
    case PSFB_FMT.FIR: {
      // RFC 5104 §4.3.1.1: FCI entries of SSRC + (seq nr, 24 reserved bits).
      const n = Math.min((p.length - 12) >> 3, MAX_SSRC_LIST);
      const entries: { ssrc: number; sequenceNumber: number }[] = [];
      for (let i = 0; i < n; i++) entries.push({ ssrc: readU32(p, 12 + 8 * i), sequenceNumber: p[16 + 8 * i] as number });
      return { type: 'fir', senderSsrc, entries };
    }
    case PSFB_FMT.AFB: {
      // draft-alvestrand-rmcat-remb-03 §2.2: 'REMB', Num SSRC (8), BR Exp (6), BR Mantissa (18), SSRCs.
      if (p.length < 20 || readU32(p, 12) !== REMB_ID) return { type: 'unknown', packetType: RTCP_PT.PSFB, format: fmt };
      const numSsrc = p[16] as number;
      const exp = (p[17] as number) >> 2;
      const mantissa = (((p[17] as number) & 0x03) << 16) | readU16(p, 18);
      need(p, 20 + 4 * numSsrc, 'REMB');
      const ssrcs: number[] = [];
      for (let i = 0; i < numSsrc; i++) ssrcs.push(readU32(p, 20 + 4 * i));
      return { type: 'remb', senderSsrc, bitrate: mantissa * 2 ** exp, ssrcs };
    }
    default:
      return { type: 'unknown', packetType: RTCP_PT.PSFB, format: fmt };
  }
}

/** RFC 3550 §6.4.1 report blocks starting at `offset`. */
function reportBlocks(p: Uint8Array, offset: number, count: number): ReportBlock[] {
  const out: ReportBlock[] = [];
  for (let i = 0; i < count; i++) {
    const o = offset + i * REPORT_BLOCK_LENGTH;
    const lostRaw = ((p[o + 5] as number) << 16) | ((p[o + 6] as number) << 8) | (p[o + 7] as number);
    out.push({
      ssrc: readU32(p, o),
      fractionLost: p[o + 4] as number,
      packetsLost: lostRaw & 0x800000 ? lostRaw - 0x1000000 : lostRaw,
      highestSequence: readU32(p, o + 8),
      jitter: readU32(p, o + 12),
      lastSr: readU32(p, o + 16),
      delaySinceLastSr: readU32(p, o + 20),
    });
  }
  return out;
}

/** RFC 3550 §6.5: chunks of SSRC + items (type, length, text) ended by a null octet, 32-bit aligned. */
function sdesChunks(p: Uint8Array, count: number): { ssrc: number; cname?: string }[] {
  const chunks: { ssrc: number; cname?: string }[] = [];
  let o = 4;
  for (let c = 0; c < count && o + 4 <= p.length; c++) {
    const chunk: { ssrc: number; cname?: string } = { ssrc: readU32(p, o) };
    o += 4;
    while (o < p.length) {
      const itemType = p[o] as number;
      if (itemType === 0) break;
      const len = p[o + 1];
      if (len === undefined || o + 2 + len > p.length) throw new ParseError('truncated', 'SDES item past the end');
      if (itemType === SDES_CNAME) chunk.cname = latin1(p.subarray(o + 2, o + 2 + len));
      o += 2 + len;
    }
    o = (o + 4) & ~3; // the null item ends the chunk, then pad to the next 32-bit boundary
    chunks.push(chunk);
  }
  return chunks;
}

function need(p: Uint8Array, length: number, what: string): void {
  if (p.length < length) throw new ParseError('truncated', `${what} of ${p.length} octets, need ${length}`);
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}
