/**
 * Program Specific Information (ISO 13818-1 §2.4.4): the Program Association Table and the
 * Program Map Table for a single program, with CRC_32.
 */
import { ParseError } from '../errors.js';
import { crc32Mpeg2 } from './crc32.js';

/** stream_type values (ISO 13818-1 Table 2-34, and its amendments for H.265). */
export const StreamType = {
  /** ISO 13818-7 / 14496-3 audio with ADTS transport syntax. */
  AacAdts: 0x0f,
  H264: 0x1b,
  H265: 0x24,
  /** PES private data (Opus uses it with a registration descriptor). */
  PrivateData: 0x06,
} as const;

export const TableId = { Pat: 0x00, Pmt: 0x02 } as const;

/** PID of the PAT (Table 2-3). */
export const PAT_PID = 0x0000;

/** Largest section_length for PAT and PMT (§2.4.4.3, §2.4.4.8: must not exceed 1021). */
export const MAX_SECTION_LENGTH = 1021;

/** Bytes from table_id through section_length. */
const SECTION_HEADER_SIZE = 3;
const CRC_SIZE = 4;

export interface PmtStream {
  streamType: number;
  pid: number;
}

export interface Pmt {
  programNumber: number;
  pcrPid: number;
  streams: PmtStream[];
}

/** Wraps a section body (after section_length) with table_id, length and CRC_32. */
function section(tableId: number, body: number[]): Uint8Array {
  const length = body.length + CRC_SIZE;
  const out = new Uint8Array(SECTION_HEADER_SIZE + length);
  out[0] = tableId;
  out[1] = 0xb0 | (length >>> 8); // section_syntax_indicator 1, '0', reserved '11'
  out[2] = length & 0xff;
  out.set(body, SECTION_HEADER_SIZE);
  const crc = crc32Mpeg2(out.subarray(0, out.length - CRC_SIZE));
  new DataView(out.buffer).setUint32(out.length - CRC_SIZE, crc);
  return out;
}

/** Common fields after section_length: id, reserved/version/current_next, section numbers. */
function syntaxHeader(id: number, version: number): number[] {
  return [id >>> 8, id & 0xff, 0xc1 | ((version & 0x1f) << 1), 0, 0];
}

/** Builds a PAT section (§2.4.4.3) listing one program. */
export function buildPat(p: { transportStreamId?: number; programNumber: number; pmtPid: number; version?: number }): Uint8Array {
  return section(TableId.Pat, [
    ...syntaxHeader(p.transportStreamId ?? 1, p.version ?? 0),
    p.programNumber >>> 8, p.programNumber & 0xff, 0xe0 | (p.pmtPid >>> 8), p.pmtPid & 0xff,
  ]);
}

/** Builds a PMT section (§2.4.4.8) with no descriptors. */
export function buildPmt(p: Pmt & { version?: number }): Uint8Array {
  const body = [...syntaxHeader(p.programNumber, p.version ?? 0), 0xe0 | (p.pcrPid >>> 8), p.pcrPid & 0xff, 0xf0, 0x00];
  for (const s of p.streams) body.push(s.streamType, 0xe0 | (s.pid >>> 8), s.pid & 0xff, 0xf0, 0x00);
  return section(TableId.Pmt, body);
}

/** Checks table_id, length and CRC of a section; returns the bytes between header and CRC. */
function openSection(data: Uint8Array, tableId: number): Uint8Array {
  if (data.length < SECTION_HEADER_SIZE) throw new ParseError('truncated', 'section header');
  if (data[0] !== tableId) throw new ParseError('bad-table-id', `table_id ${data[0]}, expected ${tableId}`);
  const length = (((data[1] as number) & 0x0f) << 8) | (data[2] as number);
  if (length > MAX_SECTION_LENGTH || length < 5 + CRC_SIZE) throw new ParseError('bad-section-length', `section_length ${length}`);
  if (data.length < SECTION_HEADER_SIZE + length) throw new ParseError('truncated', 'section body');
  const whole = data.subarray(0, SECTION_HEADER_SIZE + length);
  if (crc32Mpeg2(whole) !== 0) throw new ParseError('bad-crc', 'CRC_32 mismatch');
  return whole.subarray(SECTION_HEADER_SIZE, whole.length - CRC_SIZE);
}

/** Parses a PAT section: the programs and their PMT PIDs (program 0, the network PID, is skipped). */
export function parsePat(data: Uint8Array): Array<{ programNumber: number; pmtPid: number }> {
  const body = openSection(data, TableId.Pat);
  const out: Array<{ programNumber: number; pmtPid: number }> = [];
  for (let i = 5; i + 4 <= body.length; i += 4) {
    const programNumber = ((body[i] as number) << 8) | (body[i + 1] as number);
    const pid = (((body[i + 2] as number) & 0x1f) << 8) | (body[i + 3] as number);
    if (programNumber !== 0) out.push({ programNumber, pmtPid: pid });
  }
  return out;
}

/** Parses a PMT section: PCR PID and elementary streams (descriptors skipped). */
export function parsePmt(data: Uint8Array): Pmt {
  const body = openSection(data, TableId.Pmt);
  if (body.length < 9) throw new ParseError('truncated', 'PMT fixed fields');
  const programNumber = ((body[0] as number) << 8) | (body[1] as number);
  const pcrPid = (((body[5] as number) & 0x1f) << 8) | (body[6] as number);
  const infoLength = (((body[7] as number) & 0x0f) << 8) | (body[8] as number);
  let i = 9 + infoLength;
  if (i > body.length) throw new ParseError('truncated', 'program_info');
  const streams: PmtStream[] = [];
  while (i < body.length) {
    if (body.length - i < 5) throw new ParseError('truncated', 'PMT stream entry');
    const streamType = body[i] as number;
    const pid = (((body[i + 1] as number) & 0x1f) << 8) | (body[i + 2] as number);
    const esInfoLength = (((body[i + 3] as number) & 0x0f) << 8) | (body[i + 4] as number);
    i += 5 + esInfoLength;
    if (i > body.length) throw new ParseError('truncated', 'ES_info');
    streams.push({ streamType, pid });
  }
  return { programNumber, pcrPid, streams };
}
