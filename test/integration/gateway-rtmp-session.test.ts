import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { buildVideoTag } from '../../protocol/flv/video.js';
import { splitAnnexB, joinAvcc } from '../../protocol/codec/nal.js';
import { extractH265ParameterSets, h265NalType, isH265IrapType } from '../../protocol/codec/h265.js';
import { buildHevcDecoderConfig } from '../../protocol/codec/hevc-config.js';
import { RtmpClientHandshake } from '../../protocol/rtmp/handshake-client.js';
import { RtmpChunkReader } from '../../protocol/rtmp/chunk-reader.js';
import { RtmpChunkWriter } from '../../protocol/rtmp/chunk-writer.js';
import { MAX_MESSAGE_LENGTH } from '../../protocol/rtmp/chunk-stream.js';
import { connectCommand, createStreamCommand, parseCommand, publishCommand } from '../../protocol/rtmp/commands.js';
import { MessageType, type RtmpMessage } from '../../protocol/rtmp/messages.js';
import { Hub } from '../../gateway/hub/hub.js';
import { RtmpServer } from '../../gateway/rtmp/rtmp-server.js';
import { localSource } from '../../gateway/relay/stream-finder.js';
import type { Authorize } from '../../gateway/authorize.js';
import { freePort, waitFor } from './gateway-helpers.js';

/** RtmpServer in this process with short timeouts and an authorizer that allows everything. */
const TIMEOUTS = { handshakeMs: 300, publishStallMs: 400, idleMs: 600 };
/** What the fake server answers to publishes (a test flips it to exercise takeover). */
let publishTakeover = false;
const allow: Authorize = { publish: async () => ({ allow: true, takeover: publishTakeover }), play: async () => ({ allow: true, takeover: false }) };
let hub: Hub;
let server: RtmpServer;
let port: number;
const unpublished: string[] = [];

before(async () => {
  hub = new Hub();
  hub.observe({ onPublished: () => {}, onTracks: () => {}, onUnpublished: (s, reason) => unpublished.push(`${s.path}: ${reason}`) });
  server = new RtmpServer(hub, localSource(hub), allow, { timeouts: TIMEOUTS });
  port = await server.listen(await freePort(), '127.0.0.1');
});

after(async () => {
  await server?.close();
});

/** A minimal RTMP client on the protocol code: handshake, then chunked messages both ways. */
class TestClient {
  readonly socket: net.Socket;
  readonly reader = new RtmpChunkReader();
  readonly writer = new RtmpChunkWriter();
  readonly received: RtmpMessage[] = [];
  readonly closed: Promise<number>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve(Date.now())));
    socket.on('error', () => {});
  }

  static async open(handshake = true): Promise<TestClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const c = new TestClient(socket);
    if (!handshake) return c;
    const hs = new RtmpClientHandshake({ digest: false });
    socket.write(hs.start());
    await new Promise<void>((resolve) => {
      const onData = (d: Buffer): void => {
        const step = hs.push(d);
        if (!step.done) return;
        socket.off('data', onData);
        if (step.send) socket.write(step.send);
        socket.on('data', (more: Buffer) => c.received.push(...c.reader.push(more).messages));
        if (step.leftover.length) c.received.push(...c.reader.push(step.leftover).messages);
        resolve();
      };
      socket.on('data', onData);
    });
    return c;
  }

  send(...msgs: RtmpMessage[]): void {
    this.socket.write(this.writer.writeAll(msgs));
  }

  isOpen(): boolean {
    return !this.socket.destroyed && this.socket.readyState === 'open';
  }

  async command(name: string): Promise<ReturnType<typeof parseCommand>> {
    return waitFor(`${name} reply`, () => {
      for (const m of this.received) {
        if (m.typeId !== MessageType.CommandAmf0) continue;
        const c = parseCommand(m);
        if (c.name === name || (c.name === 'onStatus' && name === 'onStatus')) return c;
      }
      return undefined;
    }, 3000, 20);
  }

  /** connect + createStream + publish; resolves on NetStream.Publish.Start. */
  async publish(path: string): Promise<void> {
    const [app, name] = path.split('/') as [string, string];
    this.send(connectCommand({ app, tcUrl: `rtmp://127.0.0.1:${port}/${app}` }, 1));
    await this.command('_result');
    this.send(createStreamCommand(2));
    await waitFor('createStream result', () => this.received.filter((m) => m.typeId === MessageType.CommandAmf0).length >= 2, 3000, 20);
    this.send(publishCommand(1, 3, name));
    const status = await this.command('onStatus');
    assert.equal(status.name === 'onStatus' && status.info.code, 'NetStream.Publish.Start');
  }
}

const within = (p: Promise<number>, ms: number): Promise<number | 'open'> => Promise.race([p, new Promise<'open'>((r) => setTimeout(() => r('open'), ms))]);

test('a client that stops mid-handshake is closed after the handshake timeout', async () => {
  const c = await TestClient.open(false);
  const t0 = Date.now();
  c.socket.write(Buffer.from([3, 0, 0, 0]));
  const at = await within(c.closed, 3000);
  assert.notEqual(at, 'open');
  assert.ok((at as number) - t0 >= TIMEOUTS.handshakeMs - 50);
});

test('an unknown message type closes that connection only', async () => {
  const bystander = await TestClient.open();
  bystander.send(connectCommand({ app: 'live', tcUrl: 'rtmp://x/live' }, 1));
  await bystander.command('_result');
  const bad = await TestClient.open();
  bad.send({ typeId: 99, streamId: 0, timestamp: 0, payload: new Uint8Array(10) });
  assert.notEqual(await within(bad.closed, 2000), 'open');
  assert.equal(bystander.isOpen(), true);
  bystander.socket.destroy();
});

test('a message longer than the chunk reader allows closes the connection', async () => {
  const c = await TestClient.open();
  // A type 0 chunk header declaring MAX_MESSAGE_LENGTH + 1 bytes (RTMP spec §5.3.1.2.1).
  const len = MAX_MESSAGE_LENGTH + 1;
  c.socket.write(Buffer.from([0x03, 0, 0, 0, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff, MessageType.Video, 1, 0, 0, 0]));
  assert.notEqual(await within(c.closed, 2000), 'open');
});

test('a chunk longer than the negotiated chunk size desynchronizes and the connection is closed', async () => {
  const c = await TestClient.open();
  // 600 payload bytes sent as one chunk while the chunk size is 128: the bytes after 128 are
  // read as chunk headers (here 0xff: basic header of a fmt 3 chunk with no state).
  const header = Buffer.from([0x03, 0, 0, 0, 0, 0x02, 0x58, MessageType.DataAmf0, 0, 0, 0, 0]);
  c.socket.write(Buffer.concat([header, Buffer.alloc(600, 0xff)]));
  const at = await within(c.closed, 3000);
  assert.notEqual(at, 'open');
});

test('a publisher that stalls mid-message is closed and its stream unpublished', async () => {
  const c = await TestClient.open();
  await c.publish('live/stall');
  assert.ok(hub.getStream('live/stall'));
  // Half a video message: the header promises 1000 bytes, 100 arrive, then nothing.
  c.socket.write(Buffer.concat([Buffer.from([0x06, 0, 0, 0, 0, 0x03, 0xe8, MessageType.Video, 1, 0, 0, 0]), Buffer.alloc(100)]));
  assert.notEqual(await within(c.closed, 3000), 'open');
  assert.equal(hub.getStream('live/stall'), undefined);
  assert.ok(unpublished.includes('live/stall: publisher stalled'), unpublished.join(', '));
});

test('a connected client that never publishes or plays is closed after the idle timeout', async () => {
  const c = await TestClient.open();
  c.send(connectCommand({ app: 'live', tcUrl: 'rtmp://x/live' }, 1));
  await c.command('_result');
  assert.notEqual(await within(c.closed, 3000), 'open');
});

test('a second publish on the same path from another connection is refused by the hub', async () => {
  const a = await TestClient.open();
  await a.publish('live/dup');
  const b = await TestClient.open();
  b.send(connectCommand({ app: 'live', tcUrl: 'rtmp://x/live' }, 1));
  await b.command('_result');
  b.send(createStreamCommand(2));
  await waitFor('createStream result', () => b.received.filter((m) => m.typeId === MessageType.CommandAmf0).length >= 2, 3000, 20);
  b.send(publishCommand(1, 3, 'dup'));
  const status = await b.command('onStatus');
  assert.equal(status.name === 'onStatus' && status.info.code, 'NetStream.Publish.BadName');
  assert.notEqual(await within(b.closed, 2000), 'open');
  assert.ok(hub.getStream('live/dup'));
  a.socket.destroy();
  await waitFor('live/dup unpublished', () => hub.getStream('live/dup') === undefined, 2000, 20);
});

test('with takeover allowed, a second publisher closes the first and owns the stream', async () => {
  const a = await TestClient.open();
  await a.publish('live/take');
  const first = hub.getStream('live/take');
  publishTakeover = true;
  try {
    const b = await TestClient.open();
    await b.publish('live/take');
    assert.notEqual(await within(a.closed, 2000), 'open', 'the first publisher was closed');
    const now = hub.getStream('live/take');
    assert.ok(now && now !== first);
    assert.equal(b.isOpen(), true);
    b.socket.destroy();
  } finally {
    publishTakeover = false;
  }
});

test('H.265 over enhanced RTMP (hvc1 FourCC) is ingested with its resolution and keyframes', async (t) => {
  // ffmpeg 5.1 cannot send H.265 in FLV/RTMP, so the test builds the enhanced tags itself
  // from libx265 output with the protocol code (Enhanced RTMP v1: ExVideoTagHeader).
  const dir = mkdtempSync(path.join(os.tmpdir(), 'estuary-hevc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'clip.hevc');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-frames:v', '3', '-c:v', 'libx265', '-x265-params', 'log-level=none', '-pix_fmt', 'yuv420p', '-f', 'hevc', file]);
  const nalus = splitAnnexB(new Uint8Array(readFileSync(file)));
  const { vps, sps, pps } = extractH265ParameterSets(nalus);
  assert.ok(vps && sps && pps);
  const irap = nalus.find((n) => isH265IrapType(h265NalType(n)));
  assert.ok(irap);

  const c = await TestClient.open();
  await c.publish('live/hevc');
  const video = (packet: 'sequenceStart' | 'codedFrames', data: Uint8Array, timestamp: number): RtmpMessage => ({
    typeId: MessageType.Video,
    streamId: 1,
    timestamp,
    payload: buildVideoTag({ codec: 'h265', packet, keyframe: true, data }),
  });
  c.send(video('sequenceStart', buildHevcDecoderConfig({ vps, sps, pps }), 0), video('codedFrames', joinAvcc([irap]), 0));
  const stream = hub.getStream('live/hevc');
  assert.ok(stream);
  await waitFor('the H.265 keyframe in the GOP cache', () => stream.gopUnits.length > 0, 3000, 20);
  assert.deepEqual(
    stream.tracks.map((tr) => (tr.type === 'video' ? [tr.codec, tr.width, tr.height] : [])),
    [['h265', 320, 240]],
  );
  assert.equal(stream.gopUnits[0]?.codec, 'h265');
  assert.equal(stream.gopUnits[0]?.keyframe, true);
  c.socket.destroy();
});
