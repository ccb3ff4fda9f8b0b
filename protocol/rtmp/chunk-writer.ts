import { concatBytes } from '../bits/byte-writer.js';
import {
  DEFAULT_CHUNK_SIZE,
  EXTENDED_TIMESTAMP,
  MAX_CSID,
  MAX_MESSAGE_LENGTH,
  MIN_CSID,
} from './chunk-stream.js';
import { defaultChunkStreamId, type RtmpMessage, setChunkSizeMessage } from './messages.js';

/** Header state of the last message sent on a chunk stream. */
interface SentState {
  timestamp: number;
  /** Timestamp field of the last fmt 0/1/2 header (absolute for fmt 0): what a fmt 3 re-applies. */
  delta: number;
  length: number;
  typeId: number;
  streamId: number;
}

/**
 * Largest outgoing chunk size we set. Chunk sizes above the largest message gain nothing
 * (§5.4.1), and a bounded value keeps a caller's typo from producing a 2 GiB header promise.
 */
export const MAX_OUTGOING_CHUNK_SIZE = 0xffffff;

const TWO_32 = 2 ** 32;

/**
 * Splits RTMP messages into chunks (RTMP spec 1.0 §5.3) with the current outgoing chunk size,
 * choosing the most compressed header the receiver can resolve (§5.3.1.2): fmt 0 for the first
 * message on a chunk stream, a new message stream id or a timestamp that goes backwards; fmt 1
 * when length or type changed; fmt 2 when only the timestamp delta changed; fmt 3 when even the
 * delta repeats. Timestamps ≥ 0xFFFFFF use the Extended Timestamp, repeated on every fmt 3
 * continuation chunk (§5.3.1.3). Pure: returns bytes, keeps only header state.
 */
export class RtmpChunkWriter {
  private size = DEFAULT_CHUNK_SIZE;
  private readonly sent = new Map<number, SentState>();

  /** The outgoing chunk size. */
  get chunkSize(): number {
    return this.size;
  }

  /**
   * Encodes a Set Chunk Size message (with the old size) and switches to `size` for every
   * message written after it. Send the returned bytes before anything written later.
   */
  setChunkSize(size: number): Uint8Array {
    if (!Number.isInteger(size) || size < 1 || size > MAX_OUTGOING_CHUNK_SIZE) {
      throw new TypeError(`chunk size ${size} out of range 1..${MAX_OUTGOING_CHUNK_SIZE}`);
    }
    const bytes = this.write(setChunkSizeMessage(size));
    this.size = size;
    return bytes;
  }

  /** Encodes several messages into one buffer (one socket write). */
  writeAll(msgs: readonly RtmpMessage[]): Uint8Array {
    return concatBytes(msgs.map((m) => this.write(m)));
  }

  /** Encodes one message as chunks. */
  write(msg: RtmpMessage): Uint8Array {
    const csid = msg.csid ?? defaultChunkStreamId(msg.typeId);
    if (!Number.isInteger(csid) || csid < MIN_CSID || csid > MAX_CSID) throw new TypeError(`csid ${csid} out of range`);
    const length = msg.payload.length;
    if (length > MAX_MESSAGE_LENGTH) throw new TypeError(`message of ${length} bytes exceeds ${MAX_MESSAGE_LENGTH}`);
    if (!Number.isInteger(msg.timestamp) || msg.timestamp < 0) throw new TypeError(`bad timestamp ${msg.timestamp}`);
    if (!Number.isInteger(msg.typeId) || msg.typeId < 0 || msg.typeId > 255) throw new TypeError(`bad type ${msg.typeId}`);

    const prev = this.sent.get(csid);
    const d = prev ? msg.timestamp - prev.timestamp : -1;
    let fmt: 0 | 1 | 2 | 3;
    let field: number;
    if (!prev || prev.streamId !== msg.streamId || d < 0 || d >= TWO_32) {
      fmt = 0;
      field = msg.timestamp % TWO_32;
    } else {
      field = d;
      if (prev.length !== length || prev.typeId !== msg.typeId) fmt = 1;
      else if (prev.delta !== d) fmt = 2;
      else fmt = 3;
    }
    // A fmt 3 that starts a message re-uses the previous header's extended-ness.
    const extended = fmt === 3 ? (prev?.delta ?? 0) >= EXTENDED_TIMESTAMP : field >= EXTENDED_TIMESTAMP;
    this.sent.set(csid, {
      timestamp: msg.timestamp,
      delta: fmt === 3 ? (prev?.delta ?? field) : field,
      length,
      typeId: msg.typeId,
      streamId: msg.streamId,
    });

    const basic = csid < 64 ? 1 : csid < 320 ? 2 : 3;
    const mh = [11, 7, 3, 0][fmt] ?? 0;
    const extLen = extended ? 4 : 0;
    const chunks = Math.max(1, Math.ceil(length / this.size));
    const out = new Uint8Array(basic + mh + extLen + length + (chunks - 1) * (basic + extLen));
    let o = 0;
    const putBasic = (f: number): void => {
      if (basic === 1) out[o++] = (f << 6) | csid;
      else if (basic === 2) {
        out[o++] = f << 6;
        out[o++] = csid - 64;
      } else {
        out[o++] = (f << 6) | 1;
        out[o++] = (csid - 64) & 0xff;
        out[o++] = (csid - 64) >> 8;
      }
    };
    const put24 = (v: number): void => {
      out[o++] = (v >>> 16) & 0xff;
      out[o++] = (v >>> 8) & 0xff;
      out[o++] = v & 0xff;
    };
    const extValue = fmt === 3 ? (prev?.delta ?? 0) : field;
    const putExt = (): void => {
      if (!extended) return;
      out[o++] = (extValue >>> 24) & 0xff;
      out[o++] = (extValue >>> 16) & 0xff;
      out[o++] = (extValue >>> 8) & 0xff;
      out[o++] = extValue & 0xff;
    };

    putBasic(fmt);
    if (fmt <= 2) put24(extended ? EXTENDED_TIMESTAMP : field);
    if (fmt <= 1) {
      put24(length);
      out[o++] = msg.typeId;
    }
    if (fmt === 0) {
      const sid = msg.streamId >>> 0;
      out[o++] = sid & 0xff;
      out[o++] = (sid >>> 8) & 0xff;
      out[o++] = (sid >>> 16) & 0xff;
      out[o++] = (sid >>> 24) & 0xff;
    }
    putExt();
    for (let pos = 0; pos < length; pos += this.size) {
      if (pos > 0) {
        putBasic(3);
        putExt();
      }
      const end = Math.min(length, pos + this.size);
      out.set(msg.payload.subarray(pos, end), o);
      o += end - pos;
    }
    return out;
  }
}
