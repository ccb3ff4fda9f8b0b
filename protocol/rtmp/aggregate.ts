/**
 * Aggregate messages (RTMP spec 1.0 §7.1.6, type 22): several audio/video/data sub-messages in
 * one message, each framed like an FLV tag (11-byte header, body, 4-byte back pointer). Servers
 * relaying recorded streams (FMS, Wowza) send them. The sub-message timestamps are relative:
 * each keeps its offset from the first, re-based on the aggregate's own timestamp.
 */
import { ParseError } from '../errors.js';
import { FLV_TAG_HEADER_SIZE, parseFlvTagHeader, PREVIOUS_TAG_SIZE_SIZE } from '../flv/tag.js';
import type { RtmpMessage } from './messages.js';

/**
 * Splits an aggregate message into its sub-messages, on the aggregate's message stream.
 * ParseError 'truncated' when a sub-message runs past the end; tag header errors pass through.
 */
export function splitAggregate(msg: RtmpMessage): RtmpMessage[] {
  const out: RtmpMessage[] = [];
  const p = msg.payload;
  let off = 0;
  let first: number | undefined;
  while (off < p.length) {
    const h = parseFlvTagHeader(p.subarray(off));
    if (!h) throw new ParseError('truncated', `aggregate sub-message header at ${off}`);
    const end = off + FLV_TAG_HEADER_SIZE + h.dataSize;
    if (end > p.length) throw new ParseError('truncated', `aggregate sub-message of ${h.dataSize} bytes at ${off}`);
    first ??= h.timestamp;
    out.push({
      typeId: h.type,
      streamId: msg.streamId,
      timestamp: msg.timestamp + ((h.timestamp - first) >>> 0),
      payload: p.slice(off + FLV_TAG_HEADER_SIZE, end),
    });
    // The back pointer may be missing after the last sub-message.
    off = Math.min(p.length, end + PREVIOUS_TAG_SIZE_SIZE);
  }
  return out;
}
