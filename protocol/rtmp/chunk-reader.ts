import { concatBytes } from '../bits/byte-writer.js';
import { ParseError } from '../errors.js';
import {
  DEFAULT_CHUNK_SIZE,
  EXTENDED_TIMESTAMP,
  MAX_CHUNK_SIZE,
  MAX_CHUNK_STREAMS,
  MAX_MESSAGE_LENGTH,
  unwrapTimestamp,
} from './chunk-stream.js';
import { MessageType, type RtmpMessage } from './messages.js';

/** What one `push()` produced. */
export interface ChunkReadResult {
  /** Messages completed by these bytes, in order. */
  messages: RtmpMessage[];
  /**
   * When set, an Acknowledgement (§5.4.3) with this sequence number is due: the bytes received
   * since the last one reached the window the peer set with Window Acknowledgement Size.
   */
  ack: number | undefined;
}

/** Per chunk stream header state (§5.3.1.2: later headers are deltas against it). */
interface ChunkStreamState {
  /** Unwrapped timestamp of the latest message on this chunk stream. */
  timestamp: number;
  /** The latest fmt 0/1/2 timestamp field (absolute for fmt 0), re-applied by a fmt 3 that starts a message. */
  delta: number;
  length: number;
  typeId: number;
  streamId: number;
  /** The latest fmt 0/1/2 header used an Extended Timestamp, so fmt 3 chunks carry one too (§5.3.1.3). */
  extended: boolean;
  partial: { pieces: Uint8Array[]; received: number } | undefined;
}

/** Longest chunk header: 3-byte basic header + 11-byte type 0 header + 4-byte extended timestamp. */
const MAX_HEADER_SIZE = 18;
const MESSAGE_HEADER_SIZE = [11, 7, 3, 0] as const;

/**
 * Reassembles RTMP messages from chunks (RTMP spec 1.0 §5.3): all four chunk header types,
 * 1/2/3-byte basic headers, extended timestamps (repeated on fmt 3 chunks), interleaved chunk
 * streams. Set Chunk Size, Abort and Window Acknowledgement Size are applied as soon as they
 * complete (they change how the next byte is read) and are still returned to the caller.
 *
 * Feed any slicing of the byte stream to `push()`; partial chunks are kept ("need more bytes"
 * is not an error). A ParseError leaves the reader unusable: close the connection.
 */
export class RtmpChunkReader {
  private chunkSize = DEFAULT_CHUNK_SIZE;
  private readonly streams = new Map<number, ChunkStreamState>();
  private readonly header = new Uint8Array(MAX_HEADER_SIZE);
  private headerFilled = 0;
  /** Chunk stream whose payload is being read, and how many payload bytes of this chunk remain. */
  private current: ChunkStreamState | undefined;
  private chunkRemaining = 0;
  private received = 0;
  private lastAck = 0;
  private windowSize = 0;
  private failed: ParseError | undefined;

  /** The chunk size the peer set (§5.4.1). */
  get incomingChunkSize(): number {
    return this.chunkSize;
  }

  /** Window Acknowledgement Size set by the peer (§5.4.4); 0 until it sends one. */
  get ackWindow(): number {
    return this.windowSize;
  }

  /** Bytes received so far (not wrapped). */
  get bytesReceived(): number {
    return this.received;
  }

  /** Feeds received bytes (not modified); returns the messages they complete. */
  push(bytes: Uint8Array): ChunkReadResult {
    if (this.failed) throw this.failed;
    try {
      return this.read(bytes);
    } catch (err) {
      if (err instanceof ParseError) this.failed = err;
      throw err;
    }
  }

  private read(bytes: Uint8Array): ChunkReadResult {
    const messages: RtmpMessage[] = [];
    this.received += bytes.length;
    let off = 0;
    while (off < bytes.length) {
      if (!this.current) {
        const before = this.headerFilled;
        const n = Math.min(MAX_HEADER_SIZE - before, bytes.length - off);
        this.header.set(bytes.subarray(off, off + n), before);
        this.headerFilled += n;
        const used = this.parseHeader(messages);
        if (used === undefined) {
          off += n;
          continue;
        }
        off += used - before;
        this.headerFilled = 0;
        continue;
      }
      const st = this.current;
      const partial = st.partial;
      if (!partial) throw new Error('unreachable: chunk payload without a message');
      const n = Math.min(this.chunkRemaining, bytes.length - off);
      partial.pieces.push(bytes.slice(off, off + n));
      partial.received += n;
      this.chunkRemaining -= n;
      off += n;
      if (this.chunkRemaining === 0) {
        this.current = undefined;
        if (partial.received === st.length) this.complete(st, messages);
      }
    }
    let ack: number | undefined;
    if (this.windowSize > 0 && this.received - this.lastAck >= this.windowSize) {
      ack = this.received % 2 ** 32;
      this.lastAck = this.received;
    }
    return { messages, ack };
  }

  /**
   * Parses the chunk header in `this.header[0..headerFilled)`. Returns its length, or undefined
   * when more bytes are needed. On success the chunk stream state is updated and either
   * `this.current` is set for the payload or (zero-length message) the message is emitted.
   */
  private parseHeader(out: RtmpMessage[]): number | undefined {
    const h = this.header;
    const have = this.headerFilled;
    const b0 = h[0] ?? 0;
    const fmt = b0 >> 6;
    const low = b0 & 0x3f;
    const basic = low === 0 ? 2 : low === 1 ? 3 : 1;
    if (have < basic) return undefined;
    const csid = low === 0 ? 64 + (h[1] ?? 0) : low === 1 ? 64 + (h[1] ?? 0) + (h[2] ?? 0) * 256 : low;
    const mh = MESSAGE_HEADER_SIZE[fmt as 0 | 1 | 2 | 3];
    if (have < basic + mh) return undefined;
    const st = this.streams.get(csid);
    if (fmt !== 0 && !st) throw new ParseError('no-previous-header', `fmt ${fmt} on chunk stream ${csid} before any fmt 0`);
    const at = (i: number): number => h[basic + i] ?? 0;
    const field = fmt < 3 ? (at(0) << 16) | (at(1) << 8) | at(2) : 0;
    const extended = fmt < 3 ? field === EXTENDED_TIMESTAMP : (st?.extended ?? false);
    const total = basic + mh + (extended ? 4 : 0);
    if (have < total) return undefined;
    const ext = extended
      ? (((h[basic + mh] ?? 0) << 24) | ((h[basic + mh + 1] ?? 0) << 16) | ((h[basic + mh + 2] ?? 0) << 8) | (h[basic + mh + 3] ?? 0)) >>> 0
      : 0;
    const tsValue = extended ? ext : field;

    let s: ChunkStreamState;
    if (fmt === 0) {
      if (st?.partial) throw new ParseError('message-interrupted', `new message on chunk stream ${csid} mid-message`);
      const length = (at(3) << 16) | (at(4) << 8) | at(5);
      const typeId = at(6);
      const streamId = (at(7) | (at(8) << 8) | (at(9) << 16) | (at(10) << 24)) >>> 0;
      this.checkLength(length);
      if (!st && this.streams.size >= MAX_CHUNK_STREAMS) {
        throw new ParseError('too-many-chunk-streams', `more than ${MAX_CHUNK_STREAMS} chunk streams`);
      }
      s = st ?? { timestamp: 0, delta: 0, length: 0, typeId: 0, streamId: 0, extended: false, partial: undefined };
      s.timestamp = unwrapTimestamp(tsValue, st?.timestamp);
      s.delta = tsValue;
      s.length = length;
      s.typeId = typeId;
      s.streamId = streamId;
      s.extended = extended;
      this.streams.set(csid, s);
    } else {
      s = st as ChunkStreamState;
      if (fmt !== 3 && s.partial) throw new ParseError('message-interrupted', `new message on chunk stream ${csid} mid-message`);
      if (fmt === 1) {
        const length = (at(3) << 16) | (at(4) << 8) | at(5);
        this.checkLength(length);
        s.length = length;
        s.typeId = at(6);
      }
      if (fmt === 1 || fmt === 2) {
        s.delta = tsValue;
        s.extended = extended;
        s.timestamp += tsValue;
      } else if (!s.partial) {
        // fmt 3 starting a new message: same header as before, timestamp advanced by the same delta.
        s.timestamp += s.delta;
      }
    }
    if (!s.partial) s.partial = { pieces: [], received: 0 };
    this.chunkRemaining = Math.min(this.chunkSize, s.length - s.partial.received);
    if (s.length === 0) this.complete(s, out);
    else this.current = s;
    return total;
  }

  private checkLength(length: number): void {
    if (length > MAX_MESSAGE_LENGTH) {
      throw new ParseError('message-too-large', `message length ${length} > ${MAX_MESSAGE_LENGTH}`);
    }
  }

  private complete(s: ChunkStreamState, out: RtmpMessage[]): void {
    const pieces = s.partial?.pieces ?? [];
    s.partial = undefined;
    const payload = pieces.length === 1 && pieces[0] ? pieces[0] : concatBytes(pieces);
    const msg: RtmpMessage = { typeId: s.typeId, streamId: s.streamId, timestamp: s.timestamp, payload };
    this.applyControl(msg);
    out.push(msg);
  }

  /** Applies the control messages that change how the following bytes are read (§5.4). */
  private applyControl(msg: RtmpMessage): void {
    if (msg.typeId !== MessageType.SetChunkSize && msg.typeId !== MessageType.Abort && msg.typeId !== MessageType.WindowAckSize) {
      return;
    }
    const p = msg.payload;
    if (p.length < 4) throw new ParseError('truncated', `control message type ${msg.typeId} with ${p.length} bytes`);
    const v = (((p[0] ?? 0) << 24) | ((p[1] ?? 0) << 16) | ((p[2] ?? 0) << 8) | (p[3] ?? 0)) >>> 0;
    if (msg.typeId === MessageType.SetChunkSize) {
      if (v === 0 || v > MAX_CHUNK_SIZE) throw new ParseError('bad-chunk-size', `Set Chunk Size ${v}`);
      this.chunkSize = v;
    } else if (msg.typeId === MessageType.Abort) {
      const st = this.streams.get(v);
      if (st) st.partial = undefined;
    } else {
      this.windowSize = v;
    }
  }
}
