/**
 * Interleaved binary data on the RTSP connection (RFC 2326 §10.12): RTP and RTCP sent over the
 * TCP connection itself, each packet framed as
 *
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |   '$' (0x24)  |    channel    |        length (16 bits)       |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |                  length octets of RTP or RTCP ...              |
 *
 * and `RtspConnectionReader`, which splits a connection's bytes into messages and frames
 * keeping "need more bytes" as state.
 */
import { ParseError } from '../errors.js';
import { copyBytes, MAX_RTSP_BODY_SIZE, MAX_RTSP_HEAD_SIZE, parseRtspMessage, type RtspMessage } from './message.js';

/** The magic octet that starts a frame. */
export const INTERLEAVED_MAGIC = 0x24;
/** '$', channel, 16-bit length. */
export const INTERLEAVED_HEADER_SIZE = 4;
/**
 * Shortest frame accepted: an RTCP header is 4 octets and an RTP header 12 (RFC 3550 §5.1,
 * §6.4). A zero-length frame carries nothing and is the typical result of a desynchronised
 * stream, so it is an error rather than a no-op.
 */
export const MIN_INTERLEAVED_LENGTH = 4;

export interface InterleavedFrame {
  channel: number;
  /** A copy of the frame's payload. */
  payload: Uint8Array;
}

/** Frames one packet on `channel` (0–255; payload ≤ 65535 octets). */
export function writeInterleavedFrame(channel: number, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(channel) || channel < 0 || channel > 255) throw new TypeError('channel must be 0..255');
  if (payload.length > 0xffff) throw new TypeError('interleaved payload over 65535 octets');
  const out = new Uint8Array(INTERLEAVED_HEADER_SIZE + payload.length);
  out[0] = INTERLEAVED_MAGIC;
  out[1] = channel;
  out[2] = payload.length >>> 8;
  out[3] = payload.length & 0xff;
  out.set(payload, INTERLEAVED_HEADER_SIZE);
  return out;
}

/** Parses a frame at `offset` ('$' already seen there): [frame, octets] or undefined for "more". */
export function parseInterleavedFrame(buf: Uint8Array, offset = 0): [InterleavedFrame, number] | undefined {
  if (buf.length - offset < INTERLEAVED_HEADER_SIZE) return undefined;
  if (buf[offset] !== INTERLEAVED_MAGIC) throw new ParseError('bad-interleaved', 'frame does not start with $');
  const channel = buf[offset + 1] as number;
  const length = ((buf[offset + 2] as number) << 8) | (buf[offset + 3] as number);
  if (length < MIN_INTERLEAVED_LENGTH) throw new ParseError('bad-interleaved-length', `frame of ${length} octets`);
  if (buf.length - offset - INTERLEAVED_HEADER_SIZE < length) return undefined;
  const start = offset + INTERLEAVED_HEADER_SIZE;
  return [{ channel, payload: copyBytes(buf, start, start + length) }, INTERLEAVED_HEADER_SIZE + length];
}

export type RtspConnectionItem = { kind: 'message'; message: RtspMessage } | { kind: 'frame'; frame: InterleavedFrame };

/**
 * Most bytes held waiting for the rest of an item: a whole message at its limits, or a frame
 * at its 64 KiB maximum, whichever is larger.
 */
export const MAX_PENDING_BYTES = MAX_RTSP_HEAD_SIZE + MAX_RTSP_BODY_SIZE + INTERLEAVED_HEADER_SIZE + 0xffff;

/**
 * Splits the bytes of one RTSP connection into messages and interleaved frames. Keeps a
 * partial item between pushes; throws ParseError (after which it is reset) on bad input.
 * Blank lines between items (CRLF keep-alives some clients send) are skipped.
 */
export class RtspConnectionReader {
  #pending: Uint8Array = new Uint8Array(0);

  push(bytes: Uint8Array): RtspConnectionItem[] {
    let buf: Uint8Array;
    if (this.#pending.length === 0) buf = bytes;
    else {
      buf = new Uint8Array(this.#pending.length + bytes.length);
      buf.set(this.#pending, 0);
      buf.set(bytes, this.#pending.length);
    }
    const items: RtspConnectionItem[] = [];
    let at = 0;
    try {
      while (at < buf.length) {
        const b = buf[at];
        if (b === 0x0d || b === 0x0a) {
          at++;
          continue;
        }
        if (b === INTERLEAVED_MAGIC) {
          const r = parseInterleavedFrame(buf, at);
          if (!r) break;
          items.push({ kind: 'frame', frame: r[0] });
          at += r[1];
          continue;
        }
        const r = parseRtspMessage(buf, at);
        if (!r) break;
        items.push({ kind: 'message', message: r[0] });
        at += r[1];
      }
    } catch (err) {
      this.#pending = new Uint8Array(0);
      throw err;
    }
    this.#pending = at >= buf.length ? new Uint8Array(0) : copyBytes(buf, at, buf.length);
    if (this.#pending.length > MAX_PENDING_BYTES) {
      this.#pending = new Uint8Array(0);
      throw new ParseError('too-much-pending', `over ${MAX_PENDING_BYTES} octets without a complete item`);
    }
    return items;
  }
}
