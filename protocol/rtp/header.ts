import { ParseError } from '../errors.js';

/**
 * RTP fixed header, RFC 3550 §5.1:
 *
 *      0                   1                   2                   3
 *      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |                           timestamp                           |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |           synchronization source (SSRC) identifier            |
 *     +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *     |            contributing source (CSRC) identifiers             |
 *     |                             ....                              |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * followed, when X is set, by the header extension of §5.3.1 (16-bit profile, 16-bit length in
 * 32-bit words, then the data) and, when P is set, by padding whose last octet is its count.
 */
export const RTP_VERSION = 2;
/** The 12 octets before the CSRC list. */
export const RTP_FIXED_HEADER_LENGTH = 12;

export interface RtpHeader {
  padding: boolean;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  /** The §5.3.1 profile word (0xBEDE one-byte, 0x1000-0x100F two-byte, RFC 8285), or -1 when absent. */
  extensionProfile: number;
  /** Offset of the extension data (after the 4-octet extension header) and its length in octets. */
  extensionOffset: number;
  extensionLength: number;
  /** Offset of the payload: the total header length. */
  payloadOffset: number;
  payloadLength: number;
  /** Padding octets at the end (0 when P is clear). */
  paddingLength: number;
}

/** RFC 5761 §4: RTCP packet types 192-223 (the second octet) mark RTCP on a muxed port. */
export function isRtcpPacket(buf: Uint8Array): boolean {
  const pt = buf[1];
  return buf.length >= 4 && pt !== undefined && pt >= 192 && pt <= 223;
}

/**
 * Parses the RTP header of `buf` (RFC 3550 §5.1, §5.3.1). Never reads past `buf.length`, never
 * mutates it. Throws ParseError ('truncated', 'bad-version', 'bad-padding') on invalid input.
 */
export function parseRtpHeader(buf: Uint8Array): RtpHeader {
  return parseRtpHeaderInto(buf, emptyRtpHeader());
}

/** A header for `parseRtpHeaderInto()` to fill, packet after packet. */
export function emptyRtpHeader(): RtpHeader {
  return {
    padding: false,
    marker: false,
    payloadType: 0,
    sequenceNumber: 0,
    timestamp: 0,
    ssrc: 0,
    csrcs: [],
    extensionProfile: -1,
    extensionOffset: 0,
    extensionLength: 0,
    payloadOffset: 0,
    payloadLength: 0,
    paddingLength: 0,
  };
}

/**
 * `parseRtpHeader()` into a caller-owned `out` (its `csrcs` array reused) and returns it: the
 * forwarding hot path parses every packet without allocating. Same checks and errors; `out` is
 * left unchanged when it throws.
 */
export function parseRtpHeaderInto(buf: Uint8Array, out: RtpHeader): RtpHeader {
  if (buf.length < RTP_FIXED_HEADER_LENGTH) throw new ParseError('truncated', `RTP packet of ${buf.length} octets`);
  const b0 = buf[0] as number;
  const b1 = buf[1] as number;
  if (b0 >> 6 !== RTP_VERSION) throw new ParseError('bad-version', `RTP version ${b0 >> 6}`);
  const csrcCount = b0 & 0x0f;
  let offset = RTP_FIXED_HEADER_LENGTH + 4 * csrcCount;
  if (offset > buf.length) throw new ParseError('truncated', 'CSRC list past the end');
  let extensionProfile = -1;
  let extensionOffset = 0;
  let extensionLength = 0;
  if (b0 & 0x10) {
    if (offset + 4 > buf.length) throw new ParseError('truncated', 'extension header past the end');
    extensionProfile = readU16(buf, offset);
    extensionLength = 4 * readU16(buf, offset + 2);
    extensionOffset = offset + 4;
    offset = extensionOffset + extensionLength;
    if (offset > buf.length) throw new ParseError('truncated', 'extension data past the end');
  }
  let paddingLength = 0;
  if (b0 & 0x20) {
    paddingLength = buf[buf.length - 1] as number;
    if (paddingLength === 0 || offset + paddingLength > buf.length) throw new ParseError('bad-padding', `padding of ${paddingLength}`);
  }
  out.padding = (b0 & 0x20) !== 0;
  out.marker = (b1 & 0x80) !== 0;
  out.payloadType = b1 & 0x7f;
  out.sequenceNumber = readU16(buf, 2);
  out.timestamp = readU32(buf, 4);
  out.ssrc = readU32(buf, 8);
  out.csrcs.length = 0;
  for (let i = 0; i < csrcCount; i++) out.csrcs.push(readU32(buf, RTP_FIXED_HEADER_LENGTH + 4 * i));
  out.extensionProfile = extensionProfile;
  out.extensionOffset = extensionOffset;
  out.extensionLength = extensionLength;
  out.payloadOffset = offset;
  out.payloadLength = buf.length - offset - paddingLength;
  out.paddingLength = paddingLength;
  return out;
}

/**
 * Rewrites payload type, sequence number, timestamp and SSRC of an RTP packet in place (the
 * caller's own copy: the forwarding path copies into a per-consumer buffer first). The marker bit
 * and everything after the fixed header are left alone.
 */
export function rewriteRtpHeader(buf: Uint8Array, payloadType: number, sequenceNumber: number, timestamp: number, ssrc: number): void {
  if (buf.length < RTP_FIXED_HEADER_LENGTH) throw new RangeError('not an RTP packet');
  buf[1] = ((buf[1] as number) & 0x80) | (payloadType & 0x7f);
  buf[2] = (sequenceNumber >>> 8) & 0xff;
  buf[3] = sequenceNumber & 0xff;
  writeU32(buf, 4, timestamp);
  writeU32(buf, 8, ssrc);
}

export function readU16(buf: Uint8Array, offset: number): number {
  return (((buf[offset] as number) << 8) | (buf[offset + 1] as number)) >>> 0;
}

export function readU32(buf: Uint8Array, offset: number): number {
  return (((buf[offset] as number) << 24) | ((buf[offset + 1] as number) << 16) | ((buf[offset + 2] as number) << 8) | (buf[offset + 3] as number)) >>> 0;
}

export function writeU16(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = (value >>> 8) & 0xff;
  buf[offset + 1] = value & 0xff;
}

export function writeU32(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = (value >>> 24) & 0xff;
  buf[offset + 1] = (value >>> 16) & 0xff;
  buf[offset + 2] = (value >>> 8) & 0xff;
  buf[offset + 3] = value & 0xff;
}
