/**
 * PES packet header (ISO 13818-1 §2.4.3.6, §2.4.3.7) with PTS and optional DTS.
 */
import { ParseError } from '../errors.js';
import { readPtsField, writePtsField } from './timestamp.js';

/** stream_id values (Table 2-22): first video and first audio stream. */
export const StreamId = { Video: 0xe0, Audio: 0xc0, PrivateStream1: 0xbd } as const;

/** packet_start_code_prefix (3) + stream_id (1) + PES_packet_length (2). */
const PES_PREFIX_SIZE = 6;
/** The '10' flags byte, the PTS_DTS_flags byte and PES_header_data_length. */
const PES_OPTIONAL_FIXED = 3;
const PTS_SIZE = 5;
/** PES_packet_length is 16 bits; 0 means "unbounded", allowed for video only (§2.4.3.7). */
export const MAX_PES_PACKET_LENGTH = 0xffff;

/**
 * Builds a PES header for `payloadLength` bytes. DTS is written only when it differs from
 * PTS. For video the length may be 0 (unbounded) when the packet would be too long.
 */
export function buildPesHeader(p: { streamId: number; pts: number; dts?: number; payloadLength: number; dataAlignment?: boolean }): Uint8Array {
  const withDts = p.dts !== undefined && p.dts !== p.pts;
  const headerDataLength = withDts ? 2 * PTS_SIZE : PTS_SIZE;
  const out = new Uint8Array(PES_PREFIX_SIZE + PES_OPTIONAL_FIXED + headerDataLength);
  out[2] = 0x01;
  out[3] = p.streamId;
  const length = PES_OPTIONAL_FIXED + headerDataLength + p.payloadLength;
  const isVideo = p.streamId >= 0xe0 && p.streamId <= 0xef;
  if (length > MAX_PES_PACKET_LENGTH && !isVideo) throw new TypeError(`PES payload of ${p.payloadLength} bytes too long for a non-video stream`);
  const field = length > MAX_PES_PACKET_LENGTH ? 0 : length;
  out[4] = field >>> 8;
  out[5] = field & 0xff;
  // '10', PES_scrambling_control 00, priority 0, data_alignment_indicator, copyright 0, original 0
  out[6] = 0x80 | (p.dataAlignment ? 0x04 : 0);
  out[7] = withDts ? 0xc0 : 0x80; // PTS_DTS_flags '11' or '10', no other optional fields
  out[8] = headerDataLength;
  writePtsField(out, 9, withDts ? 0x3 : 0x2, p.pts);
  if (withDts) writePtsField(out, 9 + PTS_SIZE, 0x1, p.dts as number);
  return out;
}

export interface PesHeader {
  streamId: number;
  /** PES_packet_length; 0 for an unbounded video packet. */
  packetLength: number;
  pts?: number;
  dts?: number;
  /** Offset of the elementary stream data from the start of the packet. */
  payloadOffset: number;
}

/**
 * Parses a PES header. Returns undefined when more bytes are needed to see all of it;
 * throws ParseError on a missing start code or inconsistent lengths.
 */
export function parsePesHeader(data: Uint8Array): PesHeader | undefined {
  if (data.length < PES_PREFIX_SIZE) return undefined;
  if (data[0] !== 0 || data[1] !== 0 || data[2] !== 1) throw new ParseError('bad-start-code', 'PES packet_start_code_prefix missing');
  const streamId = data[3] as number;
  const packetLength = ((data[4] as number) << 8) | (data[5] as number);
  if (data.length < PES_PREFIX_SIZE + PES_OPTIONAL_FIXED) return undefined;
  if (((data[6] as number) & 0xc0) !== 0x80) throw new ParseError('bad-pes-header', 'optional header marker bits are not 10');
  const flags = (data[7] as number) >>> 6;
  const headerDataLength = data[8] as number;
  const payloadOffset = PES_PREFIX_SIZE + PES_OPTIONAL_FIXED + headerDataLength;
  if (data.length < payloadOffset) return undefined;
  if (packetLength !== 0 && packetLength < PES_OPTIONAL_FIXED + headerDataLength) throw new ParseError('bad-pes-length', `PES_packet_length ${packetLength}`);
  const header: PesHeader = { streamId, packetLength, payloadOffset };
  if (flags === 0x1) throw new ParseError('bad-pes-header', 'PTS_DTS_flags 01 is forbidden');
  const need = flags === 0x3 ? 2 * PTS_SIZE : flags === 0x2 ? PTS_SIZE : 0;
  if (headerDataLength < need) throw new ParseError('bad-pes-header', 'PES_header_data_length too short for its timestamps');
  if (flags & 0x2) header.pts = readPtsField(data, 9);
  if (flags === 0x3) header.dts = readPtsField(data, 9 + PTS_SIZE);
  return header;
}
