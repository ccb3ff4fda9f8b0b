/**
 * FLV file header and tag framing (Adobe Flash Video File Format Specification v10.1, Annex E:
 * E.2 header, E.3 body with PreviousTagSize, E.4.1 tag header). An RTMP audio/video/data
 * message is an FLV tag body: the same shape `FlvTag` carries both.
 */
import { ByteReader } from '../bytes/byte-reader.js';
import { ByteWriter } from '../bits/byte-writer.js';
import { ParseError } from '../errors.js';

/** TagType values (E.4.1); they equal the RTMP message type ids for audio, video and AMF0 data. */
export const FlvTagType = { Audio: 8, Video: 9, Script: 18 } as const;
export type FlvTagTypeId = (typeof FlvTagType)[keyof typeof FlvTagType];

/** Size of the FLV header (E.2) as written by version 1 files. */
export const FLV_HEADER_SIZE = 9;
/** Size of a tag header (E.4.1). */
export const FLV_TAG_HEADER_SIZE = 11;
/** Size of a PreviousTagSize field (E.3). */
export const PREVIOUS_TAG_SIZE_SIZE = 4;
/**
 * Largest tag body we accept: the same bound as an RTMP message (a tag is one RTMP message;
 * see chunk-stream.ts MAX_MESSAGE_LENGTH for why 8 MiB); the 24-bit field allows 16 MiB − 1.
 */
export const MAX_FLV_TAG_SIZE = 8 * 1024 * 1024;
/**
 * Largest DataOffset we skip to. Version 1 writes 9; the field exists for future versions,
 * and nobody writes more than a few bytes of extra header.
 */
export const MAX_FLV_DATA_OFFSET = 1024;

/** One FLV tag: its type, its timestamp in milliseconds, and its body. */
export interface FlvTag {
  type: FlvTagTypeId;
  /** Milliseconds. On the wire 32 bits (24 + extended 8); a caller may pass an unwrapped value. */
  timestamp: number;
  data: Uint8Array;
}

/** What the FLV header says (E.2). */
export interface FlvHeader {
  version: number;
  hasAudio: boolean;
  hasVideo: boolean;
  /** Offset of the body (9 for version 1). */
  dataOffset: number;
}

/** The 9-byte FLV header followed by PreviousTagSize0 = 0 (E.2, E.3): what starts a file or an HTTP-FLV response. */
export function buildFlvHeader(opts: { hasAudio: boolean; hasVideo: boolean }): Uint8Array {
  return new ByteWriter(13)
    .bytes(Uint8Array.from([0x46, 0x4c, 0x56, 1])) // 'FLV', version 1
    .u8((opts.hasAudio ? 4 : 0) | (opts.hasVideo ? 1 : 0))
    .u32(FLV_HEADER_SIZE)
    .u32(0)
    .finish();
}

/**
 * Parses the FLV header at the start of `bytes`. Returns undefined when fewer than 9 bytes
 * are present; ParseError 'bad-signature', 'bad-version' or 'bad-header' otherwise.
 */
export function parseFlvHeader(bytes: Uint8Array): FlvHeader | undefined {
  if (bytes.length < FLV_HEADER_SIZE) return undefined;
  const r = new ByteReader(bytes);
  if (r.u8() !== 0x46 || r.u8() !== 0x4c || r.u8() !== 0x56) throw new ParseError('bad-signature', 'not an FLV file');
  const version = r.u8();
  if (version !== 1) throw new ParseError('bad-version', `FLV version ${version}`);
  const flags = r.u8();
  const dataOffset = r.u32();
  if (dataOffset < FLV_HEADER_SIZE || dataOffset > MAX_FLV_DATA_OFFSET) {
    throw new ParseError('bad-header', `DataOffset ${dataOffset}`);
  }
  return { version, hasAudio: (flags & 4) !== 0, hasVideo: (flags & 1) !== 0, dataOffset };
}

/** A tag header (E.4.1). */
export interface FlvTagHeader {
  type: FlvTagTypeId;
  dataSize: number;
  /** 32-bit milliseconds: Timestamp (24 bits) with TimestampExtended as the upper 8 bits. */
  timestamp: number;
}

/**
 * Parses an 11-byte tag header. Returns undefined when fewer than 11 bytes are present;
 * ParseError 'bad-tag-type', 'encrypted' (Filter bit: FLV encryption is not supported),
 * 'tag-too-large' otherwise.
 */
export function parseFlvTagHeader(bytes: Uint8Array): FlvTagHeader | undefined {
  if (bytes.length < FLV_TAG_HEADER_SIZE) return undefined;
  const r = new ByteReader(bytes);
  const b0 = r.u8();
  if (b0 & 0x20) throw new ParseError('encrypted', 'FLV tag with the Filter bit set');
  const type = b0 & 0x1f;
  if (type !== FlvTagType.Audio && type !== FlvTagType.Video && type !== FlvTagType.Script) {
    throw new ParseError('bad-tag-type', `tag type ${type}`);
  }
  const dataSize = r.u24();
  if (dataSize > MAX_FLV_TAG_SIZE) throw new ParseError('tag-too-large', `tag of ${dataSize} bytes`);
  const low = r.u24();
  const timestamp = ((r.u8() << 24) | low) >>> 0;
  r.u24(); // StreamID: always 0
  return { type, dataSize, timestamp };
}

/** A complete tag: 11-byte header, body, and its PreviousTagSize (E.3, E.4.1). */
export function buildFlvTag(tag: FlvTag): Uint8Array {
  const size = tag.data.length;
  if (size > MAX_FLV_TAG_SIZE) throw new TypeError(`tag of ${size} bytes exceeds ${MAX_FLV_TAG_SIZE}`);
  if (!Number.isInteger(tag.timestamp) || tag.timestamp < 0) throw new TypeError(`bad timestamp ${tag.timestamp}`);
  const ts = tag.timestamp % 2 ** 32;
  return new ByteWriter(FLV_TAG_HEADER_SIZE + size + PREVIOUS_TAG_SIZE_SIZE)
    .u8(tag.type)
    .u24(size)
    .u24(ts & 0xffffff)
    .u8(ts >>> 24)
    .u24(0)
    .bytes(tag.data)
    .u32(FLV_TAG_HEADER_SIZE + size)
    .finish();
}
