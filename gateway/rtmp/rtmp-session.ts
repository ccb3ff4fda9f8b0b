import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { streamPathSchema, type StreamProtocol } from '../../protocol/control/messages.js';
import { ParseError } from '../../protocol/errors.js';
import { RtmpServerHandshake } from '../../protocol/rtmp/handshake-server.js';
import { RtmpChunkReader } from '../../protocol/rtmp/chunk-reader.js';
import { RtmpChunkWriter } from '../../protocol/rtmp/chunk-writer.js';
import {
  acknowledgementMessage,
  MessageType,
  parseControlMessage,
  setPeerBandwidthMessage,
  userControlMessage,
  windowAckSizeMessage,
  type RtmpMessage,
} from '../../protocol/rtmp/messages.js';
import {
  connectResult,
  createStreamResult,
  onStatusCommand,
  parseCommand,
  parseMetadata,
  resultCommand,
  StatusCode,
  type RtmpCommand,
  type StatusInfo,
} from '../../protocol/rtmp/commands.js';
import { streamPathOf } from '../../protocol/rtmp/url.js';
import type { Authorize } from '../authorize.js';
import { StreamConflictError, type Hub } from '../hub/hub.js';
import type { Stream } from '../hub/stream.js';
import type { StreamSource } from '../relay/stream-finder.js';
import { FlvTagIngest } from '../flv/tag-ingest.js';
import { FlvTagType } from '../../protocol/flv/tag.js';
import { RtmpPlayer } from './rtmp-player.js';

/** The handshake (C0–C2) must complete within this: a client that cannot is not one. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * A publisher that sends nothing for this long is stalled (mid-message or not): encoders send
 * frames every few tens of ms, so 10 s is a dead network or a hung encoder.
 */
export const PUBLISH_STALL_TIMEOUT_MS = 10_000;
/** A connection that neither publishes nor plays may sit idle this long (connect → publish/play). */
export const IDLE_TIMEOUT_MS = 30_000;
/** Outgoing chunk size (RTMP spec §5.4.1): 4096 keeps a 2 Mb/s frame to a few chunks. */
export const OUTGOING_CHUNK_SIZE = 4096;
/** Window Acknowledgement Size we announce (§5.4.4): what ffmpeg and nginx-rtmp use. */
export const WINDOW_ACK_SIZE = 2_500_000;
/** Message streams one connection may create: a client needs one or two; this bounds a loop. */
export const MAX_MESSAGE_STREAMS = 8;

/** The timeouts a session runs with (the defaults above; tests shorten them). */
export interface RtmpTimeouts {
  handshakeMs: number;
  publishStallMs: number;
  idleMs: number;
}

export const DEFAULT_RTMP_TIMEOUTS: RtmpTimeouts = {
  handshakeMs: HANDSHAKE_TIMEOUT_MS,
  publishStallMs: PUBLISH_STALL_TIMEOUT_MS,
  idleMs: IDLE_TIMEOUT_MS,
};

type State = 'handshake' | 'connecting' | 'connected' | 'closed';

/**
 * One RTMP connection (RTMP spec 1.0; FMLE/ffmpeg/OBS command conventions) on the pure
 * protocol code: handshake, chunk reassembly, then `connect`, `createStream` and either
 * `publish` (authorized through the server, then ingested into the hub) or `play`
 * (authorized, then fed from a hub reader). Every way a connection ends goes through
 * `close(reason)`, which logs one `closed:` line with the peer address.
 */
export class RtmpSession {
  readonly remoteAddress: string;
  readonly #socket: Socket;
  readonly #hub: Hub;
  readonly #authorize: Authorize;
  readonly #source: StreamSource;
  readonly #log: Logger;
  readonly #onClosed: (session: RtmpSession) => void;
  readonly #handshake = new RtmpServerHandshake();
  readonly #reader = new RtmpChunkReader();
  readonly #writer = new RtmpChunkWriter();
  #state: State = 'handshake';
  #app = '';
  #nextStreamId = 1;
  #ingest: FlvTagIngest | null = null;
  /** The message stream id the publish came on; media on others is ignored. */
  #publishStreamId = 0;
  #player: RtmpPlayer | null = null;
  /** A publish or play waiting for the server's answer. */
  #authorizing = false;
  #drainListeners: (() => void)[] = [];
  readonly #timeouts: RtmpTimeouts;

  constructor(options: {
    socket: Socket;
    hub: Hub;
    source: StreamSource;
    authorize: Authorize;
    log: Logger;
    onClosed: (session: RtmpSession) => void;
    timeouts?: RtmpTimeouts;
  }) {
    this.#timeouts = options.timeouts ?? DEFAULT_RTMP_TIMEOUTS;
    this.#socket = options.socket;
    this.#hub = options.hub;
    this.#authorize = options.authorize;
    this.#source = options.source;
    this.#onClosed = options.onClosed;
    this.remoteAddress = `${options.socket.remoteAddress}:${options.socket.remotePort}`;
    this.#log = options.log;
    const socket = this.#socket;
    socket.setNoDelay(true);
    socket.setTimeout(this.#timeouts.handshakeMs);
    socket.on('data', (data) => this.#onData(data));
    socket.on('drain', () => {
      const listeners = this.#drainListeners;
      this.#drainListeners = [];
      for (const l of listeners) l();
    });
    socket.on('timeout', () => this.close(this.#state === 'handshake' ? 'handshake timeout' : this.#ingest ? 'publisher stalled' : 'idle timeout'));
    socket.on('end', () => this.close('peer closed'));
    socket.on('close', () => this.close('socket closed'));
    socket.on('error', (err) => this.close(`socket error: ${err.message}`));
  }

  get closed(): boolean {
    return this.#state === 'closed';
  }

  /** Writes bytes; false when the socket is behind (then `onDrain` fires once when it is not). */
  write(bytes: Uint8Array): boolean {
    if (this.#state === 'closed') return false;
    return this.#socket.write(bytes);
  }

  onDrain(listener: () => void): void {
    this.#drainListeners.push(listener);
  }

  /** Encodes messages with this connection's chunk writer (one writer per connection). */
  encode(messages: readonly RtmpMessage[]): Uint8Array {
    return this.#writer.writeAll(messages);
  }

  /** The one place a connection ends: logs one line, releases the stream, destroys the socket. */
  close(reason: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    const role = this.#ingest ? 'publisher' : this.#player ? 'player' : 'none';
    this.#log.info({ remoteAddress: this.remoteAddress, role, path: this.#ingest?.stream.path ?? this.#player?.path }, `closed: ${reason}`);
    this.#ingest?.close(reason);
    this.#ingest = null;
    this.#player?.close(reason);
    this.#player = null;
    this.#drainListeners = [];
    this.#socket.destroy();
    this.#onClosed(this);
  }

  #onData(data: Buffer): void {
    if (this.#state === 'closed') return;
    try {
      let bytes: Uint8Array = data;
      if (this.#state === 'handshake') {
        const step = this.#handshake.push(bytes);
        if (step.send) this.write(step.send);
        if (!step.done) return;
        this.#state = 'connecting';
        this.#socket.setTimeout(this.#timeouts.idleMs);
        bytes = step.leftover;
        if (bytes.length === 0) return;
      }
      const result = this.#reader.push(bytes);
      if (result.ack !== undefined) this.write(this.encode([acknowledgementMessage(result.ack)]));
      for (const msg of result.messages) {
        this.#onMessage(msg);
        if (this.closed) return;
      }
    } catch (err) {
      if (err instanceof ParseError) this.close(`protocol error: ${err.message}`);
      else this.#internalError(err);
    }
  }

  #onMessage(msg: RtmpMessage): void {
    switch (msg.typeId) {
      case MessageType.Audio:
      case MessageType.Video:
        // Media before publish started (or on a playing connection) is not ours to take.
        if (this.#ingest && msg.streamId === this.#publishStreamId) {
          this.#ingest.onTag({ type: msg.typeId === MessageType.Audio ? FlvTagType.Audio : FlvTagType.Video, timestamp: msg.timestamp, data: msg.payload });
        }
        return;
      case MessageType.DataAmf0:
      case MessageType.DataAmf3: {
        if (!this.#ingest) return;
        const meta = parseMetadata(msg);
        if (meta) this.#ingest.stream.setMetadata(meta);
        return;
      }
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        this.#onCommand(parseCommand(msg), msg.streamId);
        return;
      case MessageType.SetChunkSize:
      case MessageType.Abort:
      case MessageType.Acknowledgement:
      case MessageType.WindowAckSize:
      case MessageType.SetPeerBandwidth:
        // Chunk size, abort and window are applied by the chunk reader itself.
        return;
      case MessageType.UserControl: {
        const c = parseControlMessage(msg);
        if (c?.type === 'userControl' && c.control.event === 'pingRequest') {
          this.write(this.encode([userControlMessage({ event: 'pingResponse', timestamp: c.control.timestamp })]));
        }
        return;
      }
      case MessageType.SharedObjectAmf0:
      case MessageType.SharedObjectAmf3:
      case MessageType.Aggregate:
        this.close(`unsupported message type ${msg.typeId}`);
        return;
      default:
        this.close(`unknown message type ${msg.typeId}`);
    }
  }

  #onCommand(cmd: RtmpCommand, streamId: number): void {
    switch (cmd.name) {
      case 'connect':
        this.#onConnect(cmd.app, cmd.transactionId, cmd.objectEncoding);
        return;
      case 'createStream':
        if (this.#nextStreamId > MAX_MESSAGE_STREAMS) {
          this.close('too many message streams');
          return;
        }
        this.write(this.encode([createStreamResult(cmd.transactionId, this.#nextStreamId++)]));
        return;
      case 'publish':
        this.#onPublish(cmd.streamName, streamId).catch((err: unknown) => this.#internalError(err));
        return;
      case 'play':
        this.#onPlay(cmd.streamName, streamId).catch((err: unknown) => this.#internalError(err));
        return;
      case 'deleteStream':
      case 'closeStream': {
        const id = cmd.name === 'deleteStream' ? cmd.streamId : streamId;
        if (this.#ingest && this.#publishStreamId === id) this.close('publisher ended the stream');
        else if (this.#player?.streamId === id) this.close('player ended the stream');
        return;
      }
      case 'releaseStream':
      case 'FCPublish':
      case 'FCUnpublish':
      case 'getStreamLength':
        // FMLE conventions: answered so clients that wait do not stall; no state changes.
        if (cmd.transactionId > 0) this.write(this.encode([resultCommand(cmd.transactionId, null, undefined)]));
        return;
      default:
        this.#log.debug({ command: cmd.name }, 'ignored command');
    }
  }

  #onConnect(app: string, transactionId: number, objectEncoding: number): void {
    if (this.#state !== 'connecting') {
      this.close('connect sent twice');
      return;
    }
    this.#app = app;
    this.#state = 'connected';
    this.write(
      this.encode([windowAckSizeMessage(WINDOW_ACK_SIZE), setPeerBandwidthMessage(WINDOW_ACK_SIZE)]),
    );
    this.write(this.#writer.setChunkSize(OUTGOING_CHUNK_SIZE));
    this.write(this.encode([connectResult(transactionId, objectEncoding)]));
  }

  #internalError(err: unknown): void {
    this.close(`internal error: ${err instanceof Error ? err.message : String(err)}`);
  }

  /** The stream path and raw query a publish/play names, or undefined when the name is bad. */
  #resolve(streamName: string): { path: string; query: string } | undefined {
    const { path, query } = streamPathOf(this.#app, streamName);
    const parsed = streamPathSchema.safeParse(path);
    if (!parsed.success) return undefined;
    return { path: parsed.data, query: new URLSearchParams(query).toString() };
  }

  async #askPublish(path: string, query: string): Promise<{ ok: true; takeover: boolean } | { ok: false; reason: string }> {
    const protocol: StreamProtocol = 'rtmp';
    const params = { path, query, remoteAddress: this.#socket.remoteAddress ?? '', protocol };
    this.#authorizing = true;
    try {
      const r = await this.#authorize.publish(params);
      return r.allow ? { ok: true, takeover: r.takeover } : { ok: false, reason: `${r.code}: ${r.reason}` };
    } catch (err) {
      return { ok: false, reason: `authorization unavailable: ${err instanceof Error ? err.message : String(err)}` };
    } finally {
      this.#authorizing = false;
    }
  }

  /** Refuses a publish or play: the client gets an error status, then the connection ends. */
  #refuse(streamId: number, info: StatusInfo, reason: string): void {
    this.write(this.encode([onStatusCommand(streamId, info)]));
    this.close(reason);
  }

  async #onPublish(streamName: string, streamId: number): Promise<void> {
    if (this.#state !== 'connected' || this.#ingest || this.#player || this.#authorizing) {
      this.close('publish in a wrong state');
      return;
    }
    const target = this.#resolve(streamName);
    if (!target) {
      this.#refuse(streamId, { level: 'error', code: StatusCode.PublishBadName, description: 'Bad stream name.' }, 'publish refused: bad stream name');
      return;
    }
    const answer = await this.#askPublish(target.path, target.query);
    if (this.closed) return;
    if (!answer.ok) {
      this.#refuse(streamId, { level: 'error', code: StatusCode.PublishBadName, description: answer.reason }, `publish refused: ${answer.reason}`);
      return;
    }
    let stream: Stream;
    try {
      stream = this.#hub.publish(target.path, 'rtmp', { remoteAddress: this.remoteAddress, close: (reason) => this.close(`kicked: ${reason}`) }, { takeover: answer.takeover });
    } catch (err) {
      if (!(err instanceof StreamConflictError)) throw err;
      this.#refuse(streamId, { level: 'error', code: StatusCode.PublishBadName, description: err.message }, `publish refused: ${err.message}`);
      return;
    }
    this.#ingest = new FlvTagIngest({ hub: this.#hub, stream, log: this.#log });
    this.#publishStreamId = streamId;
    this.#socket.setTimeout(this.#timeouts.publishStallMs);
    this.write(this.encode([onStatusCommand(streamId, { level: 'status', code: StatusCode.PublishStart, description: `${target.path} is now published.` })]));
    this.#log.info({ path: target.path, remoteAddress: this.remoteAddress }, 'publishing');
  }

  async #onPlay(streamName: string, streamId: number): Promise<void> {
    if (this.#state !== 'connected' || this.#ingest || this.#player || this.#authorizing) {
      this.close('play in a wrong state');
      return;
    }
    const notFound = (why: string): void =>
      this.#refuse(streamId, { level: 'error', code: StatusCode.PlayStreamNotFound, description: why }, `play refused: ${why}`);
    const target = this.#resolve(streamName);
    if (!target) return notFound('bad stream name');
    this.#authorizing = true;
    const params = { path: target.path, query: target.query, remoteAddress: this.#socket.remoteAddress ?? '', protocol: 'rtmp' as const };
    const opened = await this.#source.open(target.path, () => this.#authorize.play(params)).finally(() => (this.#authorizing = false));
    if (this.closed) return;
    if (!opened.ok) return notFound(`${opened.code}: ${opened.reason}`);
    const stream = opened.stream;
    if (stream.closed) return notFound(`stream ${target.path} is not live`);
    // A player sends little after play (acks, buffer length); the socket's own liveness and the
    // player's write stall guard take over from the idle timeout.
    this.#socket.setTimeout(0);
    this.#player = new RtmpPlayer({ session: this, stream, streamId, path: target.path });
    this.#player.start();
  }
}
