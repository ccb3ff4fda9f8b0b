import { writeU16, writeU32 } from '../rtp/header.js';
import { sequenceNumbersToNackItems } from './nack.js';
import { PSFB_FMT, RTCP_PT, RTPFB_FMT, SDES_CNAME, type ReportBlock } from './packets.js';

/**
 * RTCP builders (RFC 3550 §6.4-6.6, RFC 4585 §6.2.1/§6.3.1, RFC 5104 §4.3.1,
 * draft-alvestrand-rmcat-remb-03 §2.2). Each returns a fresh buffer holding one packet; concatenate
 * them for a compound packet.
 */

/** REMB's mantissa field is 18 bits wide. */
const REMB_MANTISSA_MAX = 0x3ffff;
/** RFC 3550 §6.5: SDES item text is at most 255 octets. */
const MAX_SDES_TEXT = 255;

function header(buf: Uint8Array, count: number, packetType: number): void {
  buf[0] = 0x80 | (count & 0x1f); // V=2, P=0
  buf[1] = packetType;
  writeU16(buf, 2, buf.length / 4 - 1);
}

function writeReportBlocks(buf: Uint8Array, offset: number, reports: readonly ReportBlock[]): void {
  reports.forEach((r, i) => {
    const o = offset + 24 * i;
    writeU32(buf, o, r.ssrc);
    const lost = r.packetsLost < 0 ? r.packetsLost + 0x1000000 : r.packetsLost;
    writeU32(buf, o + 4, ((r.fractionLost & 0xff) << 24) | (lost & 0xffffff));
    writeU32(buf, o + 8, r.highestSequence);
    writeU32(buf, o + 12, r.jitter);
    writeU32(buf, o + 16, r.lastSr);
    writeU32(buf, o + 20, r.delaySinceLastSr);
  });
}

export interface SenderInfo {
  ssrc: number;
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

/** Sender Report, RFC 3550 §6.4.1 (at most 31 report blocks). */
export function buildSenderReport(info: SenderInfo, reports: readonly ReportBlock[] = []): Uint8Array {
  if (reports.length > 31) throw new RangeError('at most 31 report blocks');
  const buf = new Uint8Array(28 + 24 * reports.length);
  header(buf, reports.length, RTCP_PT.SR);
  writeU32(buf, 4, info.ssrc);
  writeU32(buf, 8, info.ntpSeconds);
  writeU32(buf, 12, info.ntpFraction);
  writeU32(buf, 16, info.rtpTimestamp);
  writeU32(buf, 20, info.packetCount);
  writeU32(buf, 24, info.octetCount);
  writeReportBlocks(buf, 28, reports);
  return buf;
}

/** Receiver Report, RFC 3550 §6.4.2. */
export function buildReceiverReport(ssrc: number, reports: readonly ReportBlock[] = []): Uint8Array {
  if (reports.length > 31) throw new RangeError('at most 31 report blocks');
  const buf = new Uint8Array(8 + 24 * reports.length);
  header(buf, reports.length, RTCP_PT.RR);
  writeU32(buf, 4, ssrc);
  writeReportBlocks(buf, 8, reports);
  return buf;
}

/** SDES with one chunk holding only a CNAME, RFC 3550 §6.5.1. */
export function buildSdesCname(ssrc: number, cname: string): Uint8Array {
  const text = new TextEncoder().encode(cname);
  if (text.length > MAX_SDES_TEXT) throw new RangeError('CNAME longer than 255 octets');
  // SSRC + type + length + text + at least one null octet, padded to 32 bits.
  const chunkLength = (4 + 2 + text.length + 1 + 3) & ~3;
  const buf = new Uint8Array(4 + chunkLength);
  header(buf, 1, RTCP_PT.SDES);
  writeU32(buf, 4, ssrc);
  buf[8] = SDES_CNAME;
  buf[9] = text.length;
  buf.set(text, 10);
  return buf;
}

/** BYE, RFC 3550 §6.6. */
export function buildBye(ssrcs: readonly number[], reason?: string): Uint8Array {
  if (ssrcs.length > 31) throw new RangeError('at most 31 SSRCs');
  const text = reason === undefined ? undefined : new TextEncoder().encode(reason);
  if (text && text.length > MAX_SDES_TEXT) throw new RangeError('reason longer than 255 octets');
  const reasonLength = text ? (1 + text.length + 3) & ~3 : 0;
  const buf = new Uint8Array(4 + 4 * ssrcs.length + reasonLength);
  header(buf, ssrcs.length, RTCP_PT.BYE);
  ssrcs.forEach((s, i) => writeU32(buf, 4 + 4 * i, s));
  if (text) {
    buf[4 + 4 * ssrcs.length] = text.length;
    buf.set(text, 5 + 4 * ssrcs.length);
  }
  return buf;
}

/** Generic NACK, RFC 4585 §6.2.1, for the given lost sequence numbers. */
export function buildNack(senderSsrc: number, mediaSsrc: number, sequenceNumbers: readonly number[]): Uint8Array {
  const items = sequenceNumbersToNackItems(sequenceNumbers);
  const buf = new Uint8Array(12 + 4 * items.length);
  header(buf, RTPFB_FMT.NACK, RTCP_PT.RTPFB);
  writeU32(buf, 4, senderSsrc);
  writeU32(buf, 8, mediaSsrc);
  items.forEach((it, i) => {
    writeU16(buf, 12 + 4 * i, it.pid);
    writeU16(buf, 14 + 4 * i, it.blp);
  });
  return buf;
}

/** Picture Loss Indication, RFC 4585 §6.3.1 (no FCI). */
export function buildPli(senderSsrc: number, mediaSsrc: number): Uint8Array {
  const buf = new Uint8Array(12);
  header(buf, PSFB_FMT.PLI, RTCP_PT.PSFB);
  writeU32(buf, 4, senderSsrc);
  writeU32(buf, 8, mediaSsrc);
  return buf;
}

/** Full Intra Request, RFC 5104 §4.3.1 (media source SSRC 0, one FCI entry). */
export function buildFir(senderSsrc: number, mediaSsrc: number, sequenceNumber: number): Uint8Array {
  const buf = new Uint8Array(20);
  header(buf, PSFB_FMT.FIR, RTCP_PT.PSFB);
  writeU32(buf, 4, senderSsrc);
  writeU32(buf, 8, 0);
  writeU32(buf, 12, mediaSsrc);
  buf[16] = sequenceNumber & 0xff;
  return buf;
}

/** REMB, draft-alvestrand-rmcat-remb-03 §2.2: bitrate as an 18-bit mantissa times 2^exp. */
export function buildRemb(senderSsrc: number, bitrate: number, ssrcs: readonly number[]): Uint8Array {
  if (ssrcs.length > 255) throw new RangeError('at most 255 SSRCs');
  let mantissa = Math.max(0, Math.floor(bitrate));
  let exp = 0;
  while (mantissa > REMB_MANTISSA_MAX) {
    mantissa = Math.floor(mantissa / 2);
    exp++;
  }
  const buf = new Uint8Array(20 + 4 * ssrcs.length);
  header(buf, PSFB_FMT.AFB, RTCP_PT.PSFB);
  writeU32(buf, 4, senderSsrc);
  writeU32(buf, 8, 0); // media source SSRC is 0 for REMB
  buf.set([0x52, 0x45, 0x4d, 0x42], 12); // 'REMB'
  buf[16] = ssrcs.length;
  buf[17] = (exp << 2) | (mantissa >>> 16);
  writeU16(buf, 18, mantissa & 0xffff);
  ssrcs.forEach((s, i) => writeU32(buf, 20 + 4 * i, s));
  return buf;
}
