/**
 * A tiny RTMP server for tests, built only from protocol/rtmp: handshake, chunk reader and
 * writer, and commands. It accepts one publisher (records every message) or serves players
 * a fixed list of FLV tags. Not a gateway: no hub, no backpressure, no auth.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { RtmpChunkReader } from '../../../../protocol/rtmp/chunk-reader.js';
import { RtmpChunkWriter } from '../../../../protocol/rtmp/chunk-writer.js';
import {
  connectResult,
  createStreamResult,
  onStatusCommand,
  parseCommand,
  resultCommand,
  type RtmpCommand,
  sampleAccessData,
  StatusCode,
} from '../../../../protocol/rtmp/commands.js';
import { RtmpServerHandshake, type HandshakeForm } from '../../../../protocol/rtmp/handshake-server.js';
import {
  acknowledgementMessage,
  BandwidthLimit,
  MessageType,
  type RtmpMessage,
  setPeerBandwidthMessage,
  userControlMessage,
  windowAckSizeMessage,
} from '../../../../protocol/rtmp/messages.js';
import type { FlvTag } from '../../../../protocol/flv/tag.js';

export interface TestServerOptions {
  /** Tags served to a player after play (the first script tag is sent as onMetaData). */
  serveTags?: FlvTag[];
  chunkSize?: number;
}

export class RtmpTestServer {
  readonly commands: RtmpCommand[] = [];
  /** Every non-command message received, in order. */
  readonly media: RtmpMessage[] = [];
  /** Raw payload of the first connect command (for the fixture). */
  connectPayload: Uint8Array | undefined;
  handshakeForm: HandshakeForm | undefined;
  errors: unknown[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly opts: TestServerOptions = {}) {}

  async listen(): Promise<number> {
    this.server = createServer((s) => this.accept(s));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(sock: Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => undefined);
    const hs = new RtmpServerHandshake();
    const reader = new RtmpChunkReader();
    const writer = new RtmpChunkWriter();
    const send = (msgs: RtmpMessage[]): void => {
      if (!sock.destroyed) sock.write(writer.writeAll(msgs));
    };
    sock.on('data', (buf: Buffer) => {
      try {
        let data = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
        if (!hs.done) {
          const step = hs.push(data);
          if (step.send) sock.write(step.send);
          if (!step.done) return;
          this.handshakeForm = hs.form;
          data = step.leftover;
        }
        const { messages, ack } = reader.push(data);
        if (ack !== undefined) send([acknowledgementMessage(ack)]);
        for (const m of messages) this.handle(m, send, writer, sock);
      } catch (err) {
        this.errors.push(err);
        sock.destroy();
      }
    });
  }

  private handle(m: RtmpMessage, send: (msgs: RtmpMessage[]) => void, writer: RtmpChunkWriter, sock: Socket): void {
    if (m.typeId !== MessageType.CommandAmf0 && m.typeId !== MessageType.CommandAmf3) {
      this.media.push(m);
      return;
    }
    const cmd = parseCommand(m);
    this.commands.push(cmd);
    switch (cmd.name) {
      case 'connect':
        this.connectPayload ??= m.payload.slice();
        send([windowAckSizeMessage(2_500_000), setPeerBandwidthMessage(2_500_000, BandwidthLimit.Dynamic)]);
        sock.write(writer.setChunkSize(this.opts.chunkSize ?? 4096));
        send([connectResult(cmd.transactionId, cmd.objectEncoding)]);
        break;
      case 'releaseStream':
      case 'FCPublish':
        send([resultCommand(cmd.transactionId, null, undefined)]);
        break;
      case 'createStream':
        send([createStreamResult(cmd.transactionId, 1)]);
        break;
      case 'publish':
        send([
          onStatusCommand(m.streamId, { level: 'status', code: StatusCode.PublishStart, description: `${cmd.streamName} is now published` }),
        ]);
        break;
      case 'play':
        this.play(m.streamId, send);
        break;
      default:
        break;
    }
  }

  private play(streamId: number, send: (msgs: RtmpMessage[]) => void): void {
    const out: RtmpMessage[] = [
      userControlMessage({ event: 'streamBegin', streamId }),
      onStatusCommand(streamId, { level: 'status', code: StatusCode.PlayReset, description: 'reset' }),
      onStatusCommand(streamId, { level: 'status', code: StatusCode.PlayStart, description: 'start' }),
      sampleAccessData(streamId),
    ];
    for (const t of this.opts.serveTags ?? []) {
      out.push({ typeId: t.type, streamId, timestamp: t.timestamp, payload: t.data });
    }
    send(out);
  }
}
