/**
 * RTMP command and data messages (RTMP spec 1.0 §7.1.1, §7.1.2, §7.2): decoding a command
 * message into a typed discriminated union, and builders for every command and reply a server
 * or a publish/play client sends. Command bodies are AMF0 (type 20) or AMF3 (type 17: one
 * format byte, then AMF0 values that may switch to AMF3).
 */
import { ParseError } from '../errors.js';
import { decodeAmf0, encodeAmf0 } from './amf0.js';
import { AmfEcmaArray, amfObject, type AmfObject, amfProperties, type AmfValue } from './amf-value.js';
import { ChunkStreamId, MessageType, type RtmpMessage } from './messages.js';

/** onStatus / _error info object (§7.2.2): level, code, description, plus anything else. */
export interface StatusInfo {
  level: 'status' | 'warning' | 'error';
  code: string;
  description?: string;
  [extra: string]: AmfValue;
}

/** A decoded command message. `name` discriminates; unknown commands keep their arguments. */
export type RtmpCommand =
  | {
      name: 'connect';
      transactionId: number;
      /** The command object (app, tcUrl, flashVer, objectEncoding, ...). */
      command: AmfObject;
      app: string;
      tcUrl: string | undefined;
      objectEncoding: number;
      /** Optional user arguments after the command object. */
      args: AmfValue[];
    }
  | { name: 'createStream' | 'closeStream' | 'onBWDone'; transactionId: number }
  | {
      name: 'releaseStream' | 'FCPublish' | 'FCUnpublish' | 'getStreamLength';
      transactionId: number;
      streamName: string;
    }
  | { name: 'publish'; transactionId: number; streamName: string; publishType: string }
  | { name: 'play'; transactionId: number; streamName: string; start: number; duration: number; reset: boolean }
  | { name: 'play2'; transactionId: number; parameters: AmfObject }
  | { name: 'deleteStream'; transactionId: number; streamId: number }
  | { name: '_result' | '_error'; transactionId: number; properties: AmfValue; information: AmfValue }
  | { name: 'onStatus'; transactionId: number; info: StatusInfo }
  | { name: 'unknown'; commandName: string; transactionId: number; args: AmfValue[] };

/** Status codes a server sends (Flash Media Server's NetStream/NetConnection info codes). */
export const StatusCode = {
  ConnectSuccess: 'NetConnection.Connect.Success',
  ConnectRejected: 'NetConnection.Connect.Rejected',
  PublishStart: 'NetStream.Publish.Start',
  PublishBadName: 'NetStream.Publish.BadName',
  UnpublishSuccess: 'NetStream.Unpublish.Success',
  PlayReset: 'NetStream.Play.Reset',
  PlayStart: 'NetStream.Play.Start',
  PlayStop: 'NetStream.Play.Stop',
  PlayStreamNotFound: 'NetStream.Play.StreamNotFound',
  PlayUnpublishNotify: 'NetStream.Play.UnpublishNotify',
} as const;

/** The AMF values of a command or data message body (type 17/15 start with a format byte 0). */
export function messageValues(msg: Pick<RtmpMessage, 'typeId' | 'payload'>): AmfValue[] {
  if (msg.typeId === MessageType.CommandAmf3 || msg.typeId === MessageType.DataAmf3) {
    return decodeAmf0(msg.payload.subarray(1));
  }
  if (msg.typeId === MessageType.CommandAmf0 || msg.typeId === MessageType.DataAmf0) return decodeAmf0(msg.payload);
  throw new TypeError(`message type ${msg.typeId} is not a command or data message`);
}

const num = (v: AmfValue, fallback: number): number => (typeof v === 'number' ? v : fallback);
const str = (v: AmfValue, what: string): string => {
  if (typeof v !== 'string') throw new ParseError('bad-command', `${what} is not a string`);
  return v;
};

/**
 * Decodes a command message (type 20 or 17) into a typed command. ParseError 'bad-command'
 * when the name is not a string or a known command lacks a required argument; AMF errors pass
 * through with their own reasons.
 */
export function parseCommand(msg: Pick<RtmpMessage, 'typeId' | 'payload'>): RtmpCommand {
  const v = messageValues(msg);
  const [nameV, txV, ...rest] = v;
  const name = str(nameV, 'command name');
  const transactionId = num(txV, 0);
  const arg = (i: number): AmfValue => rest[i];
  switch (name) {
    case 'connect': {
      const command = amfProperties(arg(0) ?? null);
      if (!command) throw new ParseError('bad-command', 'connect without a command object');
      const app = typeof command.app === 'string' ? command.app : '';
      const tcUrl = typeof command.tcUrl === 'string' ? command.tcUrl : undefined;
      return { name, transactionId, command, app, tcUrl, objectEncoding: num(command.objectEncoding, 0), args: rest.slice(1) };
    }
    case 'createStream':
    case 'closeStream':
    case 'onBWDone':
      return { name, transactionId };
    case 'releaseStream':
    case 'FCPublish':
    case 'FCUnpublish':
    case 'getStreamLength':
      return { name, transactionId, streamName: str(arg(1), `${name} stream name`) };
    case 'publish':
      return {
        name,
        transactionId,
        streamName: str(arg(1), 'publish stream name'),
        publishType: typeof arg(2) === 'string' ? (arg(2) as string) : 'live',
      };
    case 'play':
      return {
        name,
        transactionId,
        streamName: str(arg(1), 'play stream name'),
        start: num(arg(2), -2),
        duration: num(arg(3), -1),
        reset: typeof arg(4) === 'boolean' ? (arg(4) as boolean) : true,
      };
    case 'play2':
      return { name, transactionId, parameters: amfProperties(arg(1) ?? null) ?? amfObject() };
    case 'deleteStream':
      return { name, transactionId, streamId: num(arg(1), 0) };
    case '_result':
    case '_error':
      return { name, transactionId, properties: arg(0), information: arg(1) };
    case 'onStatus': {
      const info = amfProperties(arg(1) ?? null);
      if (!info || typeof info.code !== 'string') throw new ParseError('bad-command', 'onStatus without an info code');
      const level = info.level === 'error' || info.level === 'warning' ? info.level : 'status';
      return { name, transactionId, info: { ...info, level, code: info.code } };
    }
    default:
      return { name: 'unknown', commandName: name, transactionId, args: rest };
  }
}

function command(streamId: number, ...values: AmfValue[]): RtmpMessage {
  return { typeId: MessageType.CommandAmf0, streamId, timestamp: 0, payload: encodeAmf0(...values), csid: ChunkStreamId.Command };
}

function data(streamId: number, ...values: AmfValue[]): RtmpMessage {
  return { typeId: MessageType.DataAmf0, streamId, timestamp: 0, payload: encodeAmf0(...values), csid: ChunkStreamId.Data };
}

const statusObject = (info: StatusInfo): AmfObject => amfObject({ ...info });

/** `connect` (§7.2.1.1) as a client sends it. */
export function connectCommand(
  opts: { app: string; tcUrl: string; flashVer?: string; type?: string; extra?: Record<string, AmfValue> },
  transactionId = 1,
): RtmpMessage {
  const obj = amfObject({
    app: opts.app,
    type: opts.type ?? 'nonprivate',
    flashVer: opts.flashVer ?? 'FMLE/3.0 (compatible; Estuary)',
    tcUrl: opts.tcUrl,
    ...opts.extra,
  });
  return command(0, 'connect', transactionId, obj);
}

/** `_result` (§7.2.1.1 reply) with a properties object and an information value. */
export function resultCommand(transactionId: number, properties: AmfValue, information: AmfValue, streamId = 0): RtmpMessage {
  return command(streamId, '_result', transactionId, properties, information);
}

/** `_error` reply carrying a status info object. */
export function errorCommand(transactionId: number, info: StatusInfo, streamId = 0): RtmpMessage {
  return command(streamId, '_error', transactionId, null, statusObject(info));
}

/**
 * The server's `_result` to connect: fmsVer/capabilities, then NetConnection.Connect.Success
 * with the objectEncoding the client asked for (clients check it matches).
 */
export function connectResult(transactionId: number, objectEncoding = 0): RtmpMessage {
  return resultCommand(
    transactionId,
    amfObject({ fmsVer: 'FMS/3,0,1,123', capabilities: 31 }),
    amfObject({
      level: 'status',
      code: StatusCode.ConnectSuccess,
      description: 'Connection succeeded.',
      objectEncoding,
    }),
  );
}

/** `createStream` (§7.2.1.3). */
export function createStreamCommand(transactionId: number): RtmpMessage {
  return command(0, 'createStream', transactionId, null);
}

/** The `_result` to createStream: the new message stream id. */
export function createStreamResult(transactionId: number, streamId: number): RtmpMessage {
  return resultCommand(transactionId, null, streamId);
}

/** `releaseStream`, `FCPublish`, `FCUnpublish` (FMLE conventions) and `getStreamLength`. */
export function streamNameCommand(
  name: 'releaseStream' | 'FCPublish' | 'FCUnpublish' | 'getStreamLength',
  transactionId: number,
  streamName: string,
): RtmpMessage {
  return command(0, name, transactionId, null, streamName);
}

/** `publish` (§7.2.2.6) on message stream `streamId`. */
export function publishCommand(streamId: number, transactionId: number, streamName: string, publishType = 'live'): RtmpMessage {
  return command(streamId, 'publish', transactionId, null, streamName, publishType);
}

/** `play` (§7.2.2.1): start −2 = live, else recorded; −1 = live only. */
export function playCommand(streamId: number, transactionId: number, streamName: string, start = -2): RtmpMessage {
  return command(streamId, 'play', transactionId, null, streamName, start);
}

/** `deleteStream` (§7.2.2.3). */
export function deleteStreamCommand(transactionId: number, streamId: number): RtmpMessage {
  return command(0, 'deleteStream', transactionId, null, streamId);
}

/** `onStatus` (§7.2.2) on a message stream. */
export function onStatusCommand(streamId: number, info: StatusInfo): RtmpMessage {
  return command(streamId, 'onStatus', 0, null, statusObject(info));
}

/** `onBWDone`: the bandwidth-check completion many clients (FMLE, old Flash) wait for. */
export function onBWDoneCommand(): RtmpMessage {
  return command(0, 'onBWDone', 0, null);
}

/** `|RtmpSampleAccess` data message: lets Flash players read audio/video samples. */
export function sampleAccessData(streamId: number): RtmpMessage {
  return data(streamId, '|RtmpSampleAccess', true, true);
}

/** `@setDataFrame("onMetaData", meta)`: how a publisher sends metadata (FMLE convention). */
export function setDataFrameData(streamId: number, meta: AmfObject): RtmpMessage {
  return data(streamId, '@setDataFrame', 'onMetaData', new AmfEcmaArray(amfObject(meta)));
}

/** `onMetaData(meta)`: how a server passes metadata on to players. */
export function onMetaDataData(streamId: number, meta: AmfObject, timestamp = 0): RtmpMessage {
  return { ...data(streamId, 'onMetaData', new AmfEcmaArray(amfObject(meta))), timestamp };
}

/** A decoded data message: its handler name and the values after it. */
export interface DataMessage {
  name: string;
  values: AmfValue[];
  /** The publisher wrapped it in `@setDataFrame` (a server strips that before relaying). */
  setDataFrame: boolean;
}

/** Decodes a data message (type 18 or 15). ParseError 'bad-data' if it does not start with a name. */
export function parseDataMessage(msg: Pick<RtmpMessage, 'typeId' | 'payload'>): DataMessage {
  const v = messageValues(msg);
  const [first, ...rest] = v;
  if (typeof first !== 'string') throw new ParseError('bad-data', 'data message without a handler name');
  if (first === '@setDataFrame') {
    const [inner, ...values] = rest;
    if (typeof inner !== 'string') throw new ParseError('bad-data', '@setDataFrame without a handler name');
    return { name: inner, values, setDataFrame: true };
  }
  return { name: first, values: rest, setDataFrame: false };
}

/** The onMetaData properties of a data message, or undefined if it is another data message. */
export function parseMetadata(msg: Pick<RtmpMessage, 'typeId' | 'payload'>): AmfObject | undefined {
  const d = parseDataMessage(msg);
  if (d.name !== 'onMetaData') return undefined;
  const first = d.values[0];
  return first === undefined ? amfObject() : amfProperties(first);
}

