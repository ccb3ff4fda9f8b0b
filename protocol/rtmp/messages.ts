/**
 * RTMP messages (RTMP spec 1.0 §5.4 protocol control, §6.2 user control, §7.1 message types):
 * the message type ids, the decoded message shape the chunk reader returns and the writer
 * takes, and builders/parsers for the protocol control and user control messages.
 */
import { ByteReader } from '../bytes/byte-reader.js';
import { ByteWriter } from '../bits/byte-writer.js';
import { ParseError } from '../errors.js';

/** Message type ids (§5.4 and §7.1). */
export const MessageType = {
  SetChunkSize: 1,
  Abort: 2,
  Acknowledgement: 3,
  UserControl: 4,
  WindowAckSize: 5,
  SetPeerBandwidth: 6,
  Audio: 8,
  Video: 9,
  DataAmf3: 15,
  SharedObjectAmf3: 16,
  CommandAmf3: 17,
  DataAmf0: 18,
  SharedObjectAmf0: 19,
  CommandAmf0: 20,
  Aggregate: 22,
} as const;
export type MessageTypeId = (typeof MessageType)[keyof typeof MessageType];

/** One reassembled RTMP message. */
export interface RtmpMessage {
  typeId: number;
  /** Message stream id (0 = the NetConnection; createStream hands out others). */
  streamId: number;
  /**
   * Milliseconds. The reader unwraps the 32-bit wire value, so it keeps increasing past 2^32
   * (49.7 days); the writer sends it modulo 2^32.
   */
  timestamp: number;
  payload: Uint8Array;
  /** Chunk stream id; the writer picks one from `typeId` when absent (see `defaultChunkStreamId`). */
  csid?: number;
}

/**
 * Chunk stream ids used for each kind of message, as ffmpeg and OBS use them. §5.3.1.1 reserves
 * csid 2 for protocol control messages; the rest is convention. Keeping audio and video on their
 * own chunk streams lets header compression work (same length/type on a stream).
 */
export const ChunkStreamId = { Control: 2, Command: 3, Audio: 4, Video: 6, Data: 5 } as const;

/** The chunk stream a message travels on when the caller does not say. */
export function defaultChunkStreamId(typeId: number): number {
  if (typeId >= MessageType.SetChunkSize && typeId <= MessageType.SetPeerBandwidth) return ChunkStreamId.Control;
  if (typeId === MessageType.Audio) return ChunkStreamId.Audio;
  if (typeId === MessageType.Video) return ChunkStreamId.Video;
  if (typeId === MessageType.DataAmf0 || typeId === MessageType.DataAmf3) return ChunkStreamId.Data;
  return ChunkStreamId.Command;
}

/** Set Peer Bandwidth limit types (§5.4.5). */
export const BandwidthLimit = { Hard: 0, Soft: 1, Dynamic: 2 } as const;

/** User control event types (§6.2, §7.1.7). */
export const UserControlEvent = {
  StreamBegin: 0,
  StreamEof: 1,
  StreamDry: 2,
  SetBufferLength: 3,
  StreamIsRecorded: 4,
  PingRequest: 6,
  PingResponse: 7,
} as const;

/** Decoded user control message. */
export type UserControl =
  | { event: 'streamBegin' | 'streamEof' | 'streamDry' | 'streamIsRecorded'; streamId: number }
  | { event: 'setBufferLength'; streamId: number; bufferMs: number }
  | { event: 'pingRequest' | 'pingResponse'; timestamp: number }
  | { event: 'unknown'; type: number; data: Uint8Array };

/** Decoded protocol control message (types 1–6). */
export type ControlMessage =
  | { type: 'setChunkSize'; chunkSize: number }
  | { type: 'abort'; csid: number }
  | { type: 'acknowledgement'; sequenceNumber: number }
  | { type: 'windowAckSize'; windowSize: number }
  | { type: 'setPeerBandwidth'; windowSize: number; limitType: number }
  | { type: 'userControl'; control: UserControl };

function control(typeId: number, payload: Uint8Array): RtmpMessage {
  return { typeId, streamId: 0, timestamp: 0, payload, csid: ChunkStreamId.Control };
}
const u32Payload = (v: number): Uint8Array => new ByteWriter(4).u32(v >>> 0).finish();

/** Set Chunk Size (§5.4.1): the top bit must be zero. */
export function setChunkSizeMessage(chunkSize: number): RtmpMessage {
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > 0x7fffffff) {
    throw new TypeError(`chunk size ${chunkSize} out of range 1..2^31-1`);
  }
  return control(MessageType.SetChunkSize, u32Payload(chunkSize));
}

/** Abort Message (§5.4.2): the peer drops the partial message on chunk stream `csid`. */
export function abortMessage(csid: number): RtmpMessage {
  return control(MessageType.Abort, u32Payload(csid));
}

/** Acknowledgement (§5.4.3): bytes received so far, modulo 2^32. */
export function acknowledgementMessage(sequenceNumber: number): RtmpMessage {
  return control(MessageType.Acknowledgement, u32Payload(sequenceNumber));
}

/** Window Acknowledgement Size (§5.4.4). */
export function windowAckSizeMessage(windowSize: number): RtmpMessage {
  return control(MessageType.WindowAckSize, u32Payload(windowSize));
}

/** Set Peer Bandwidth (§5.4.5). */
export function setPeerBandwidthMessage(windowSize: number, limitType: number = BandwidthLimit.Dynamic): RtmpMessage {
  return control(MessageType.SetPeerBandwidth, new ByteWriter(5).u32(windowSize >>> 0).u8(limitType).finish());
}

/** User Control message (§6.2, §7.1.7): event type (16 bits) then event data. */
export function userControlMessage(uc: UserControl): RtmpMessage {
  const w = new ByteWriter(10);
  switch (uc.event) {
    case 'streamBegin':
      w.u16(UserControlEvent.StreamBegin).u32(uc.streamId);
      break;
    case 'streamEof':
      w.u16(UserControlEvent.StreamEof).u32(uc.streamId);
      break;
    case 'streamDry':
      w.u16(UserControlEvent.StreamDry).u32(uc.streamId);
      break;
    case 'streamIsRecorded':
      w.u16(UserControlEvent.StreamIsRecorded).u32(uc.streamId);
      break;
    case 'setBufferLength':
      w.u16(UserControlEvent.SetBufferLength).u32(uc.streamId).u32(uc.bufferMs);
      break;
    case 'pingRequest':
      w.u16(UserControlEvent.PingRequest).u32(uc.timestamp >>> 0);
      break;
    case 'pingResponse':
      w.u16(UserControlEvent.PingResponse).u32(uc.timestamp >>> 0);
      break;
    case 'unknown':
      w.u16(uc.type).bytes(uc.data);
      break;
  }
  return { typeId: MessageType.UserControl, streamId: 0, timestamp: 0, payload: w.finish(), csid: ChunkStreamId.Control };
}

/** Parses a User Control payload (§7.1.7). Unknown event types are returned, not rejected. */
export function parseUserControl(payload: Uint8Array): UserControl {
  const r = new ByteReader(payload);
  const type = r.u16();
  switch (type) {
    case UserControlEvent.StreamBegin:
      return { event: 'streamBegin', streamId: r.u32() };
    case UserControlEvent.StreamEof:
      return { event: 'streamEof', streamId: r.u32() };
    case UserControlEvent.StreamDry:
      return { event: 'streamDry', streamId: r.u32() };
    case UserControlEvent.StreamIsRecorded:
      return { event: 'streamIsRecorded', streamId: r.u32() };
    case UserControlEvent.SetBufferLength:
      return { event: 'setBufferLength', streamId: r.u32(), bufferMs: r.u32() };
    case UserControlEvent.PingRequest:
      return { event: 'pingRequest', timestamp: r.u32() };
    case UserControlEvent.PingResponse:
      return { event: 'pingResponse', timestamp: r.u32() };
    default:
      return { event: 'unknown', type, data: r.rest().slice() };
  }
}

/**
 * Parses a protocol control message (types 1–6). Returns undefined for other types.
 * ParseError 'truncated' if the payload is shorter than its type requires.
 */
export function parseControlMessage(msg: Pick<RtmpMessage, 'typeId' | 'payload'>): ControlMessage | undefined {
  const r = new ByteReader(msg.payload);
  switch (msg.typeId) {
    case MessageType.SetChunkSize: {
      const v = r.u32();
      if (v & 0x80000000 || v === 0) throw new ParseError('bad-chunk-size', `Set Chunk Size ${v}`);
      return { type: 'setChunkSize', chunkSize: v };
    }
    case MessageType.Abort:
      return { type: 'abort', csid: r.u32() };
    case MessageType.Acknowledgement:
      return { type: 'acknowledgement', sequenceNumber: r.u32() };
    case MessageType.WindowAckSize:
      return { type: 'windowAckSize', windowSize: r.u32() };
    case MessageType.SetPeerBandwidth:
      return { type: 'setPeerBandwidth', windowSize: r.u32(), limitType: r.u8() };
    case MessageType.UserControl:
      return { type: 'userControl', control: parseUserControl(msg.payload) };
    default:
      return undefined;
  }
}
