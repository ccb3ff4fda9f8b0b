import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseOnMetaData } from '../../../../protocol/flv/script.js';
import { FlvTagType } from '../../../../protocol/flv/tag.js';
import { FlvTagReader } from '../../../../protocol/flv/tag-reader.js';
import { RtmpChunkReader } from '../../../../protocol/rtmp/chunk-reader.js';
import { RtmpChunkWriter } from '../../../../protocol/rtmp/chunk-writer.js';
import {
  connectCommand,
  createStreamCommand,
  deleteStreamCommand,
  parseCommand,
  publishCommand,
  type RtmpCommand,
  setDataFrameData,
  StatusCode,
  streamNameCommand,
} from '../../../../protocol/rtmp/commands.js';
import { RtmpClientHandshake } from '../../../../protocol/rtmp/handshake-client.js';
import { acknowledgementMessage, MessageType, type RtmpMessage } from '../../../../protocol/rtmp/messages.js';
import { parseRtmpUrl } from '../../../../protocol/rtmp/url.js';
import { makeFlv, run, tempDir } from './ffmpeg-helpers.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Connects, retrying while the listener starts (bounded). */
async function connectRetry(port: number, deadline: number): Promise<Socket> {
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A publish client from protocol/rtmp only: handshake, chunks, commands; waits for replies by predicate. */
class PublishClient {
  private readonly hs = new RtmpClientHandshake();
  private readonly reader = new RtmpChunkReader();
  readonly writer = new RtmpChunkWriter();
  private readonly commands: RtmpCommand[] = [];
  private waiters: Array<() => void> = [];
  /** Resolves once the handshake is over: nothing else may be sent before (§5.2.5). */
  readonly ready: Promise<void>;
  private onReady: () => void = () => undefined;

  constructor(readonly sock: Socket) {
    this.ready = new Promise((resolve) => (this.onReady = resolve));
    sock.write(this.hs.start());
    sock.on('data', (buf: Buffer) => {
      let data = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      if (!this.hs.done) {
        const step = this.hs.push(data);
        if (step.send) sock.write(step.send);
        if (!step.done) return;
        this.onReady();
        data = step.leftover;
      }
      const { messages, ack } = this.reader.push(data);
      if (ack !== undefined) this.send(acknowledgementMessage(ack));
      for (const m of messages) {
        if (m.typeId === MessageType.CommandAmf0) this.commands.push(parseCommand(m));
      }
      for (const w of this.waiters) w();
    });
  }

  send(...msgs: RtmpMessage[]): void {
    this.sock.write(this.writer.writeAll(msgs));
  }

  /** Resolves with the first received command matching `pred`, or rejects after `ms`. */
  waitFor(pred: (c: RtmpCommand) => boolean, ms: number): Promise<RtmpCommand> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching command in ${ms} ms; got ${JSON.stringify(this.commands.map((c) => c.name))}`)), ms);
      const check = (): void => {
        const c = this.commands.find(pred);
        if (!c) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(c);
      };
      this.waiters.push(check);
      check();
    });
  }
}

test('the protocol client publishes an FLV to ffmpeg listening as an RTMP server, which decodes it', { timeout: 90_000 }, async () => {
  const tmp = await tempDir('estuary-rtmp-client-');
  let sock: Socket | undefined;
  const port = await freePort();
  const url = parseRtmpUrl(`rtmp://127.0.0.1:${port}/live/test`);
  const ff = run('ffmpeg', ['-hide_banner', '-listen', '1', '-i', `rtmp://127.0.0.1:${port}/live/test`, '-f', 'null', '-'], 60_000);
  try {
    const file = join(tmp.dir, 'src.flv');
    await makeFlv(file, 3);
    const reader = new FlvTagReader();
    const tags = reader.push(new Uint8Array(await readFile(file)));
    reader.end();

    sock = await connectRetry(port, Date.now() + 20_000);
    const c = new PublishClient(sock);
    await c.ready;
    sock.write(c.writer.setChunkSize(4096));
    c.send(connectCommand({ app: url.app, tcUrl: url.tcUrl }, 1));
    const connected = await c.waitFor((x) => x.name === '_result' && x.transactionId === 1, 15_000);
    assert.equal(connected.name === '_result' && (connected.information as { code?: string }).code, StatusCode.ConnectSuccess);
    c.send(streamNameCommand('releaseStream', 2, url.streamName), streamNameCommand('FCPublish', 3, url.streamName), createStreamCommand(4));
    const created = await c.waitFor((x) => x.name === '_result' && x.transactionId === 4, 15_000);
    const streamId = created.name === '_result' && typeof created.information === 'number' ? created.information : NaN;
    assert.ok(streamId > 0, `stream id ${streamId}`);
    c.send(publishCommand(streamId, 5, url.streamName));
    await c.waitFor((x) => x.name === 'onStatus' && x.info.code === StatusCode.PublishStart, 15_000);

    const meta = parseOnMetaData(tags.find((t) => t.type === FlvTagType.Script)?.data ?? new Uint8Array(0));
    assert.ok(meta);
    c.send(setDataFrameData(streamId, meta));
    c.send(...tags.filter((t) => t.type !== FlvTagType.Script).map((t) => ({ typeId: t.type, streamId, timestamp: t.timestamp, payload: t.data })));
    c.send(streamNameCommand('FCUnpublish', 6, url.streamName), deleteStreamCommand(7, streamId));
    sock.end();

    const r = await ff.done;
    assert.equal(r.code, 0, r.stderr);
    const frames = [...r.stderr.matchAll(/frame=\s*(\d+)/g)].map((m) => Number(m[1]));
    assert.ok((frames.at(-1) ?? 0) >= 70, `ffmpeg decoded ${frames.at(-1)} frames`);
    assert.match(r.stderr, /Video: h264.*320x240/);
  } finally {
    sock?.destroy();
    ff.kill();
    await tmp.cleanup();
  }
});
