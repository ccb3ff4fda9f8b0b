/**
 * The bridge end to end, RTMP side, through the real server: ffmpeg publishes H.264 baseline +
 * AAC over RTMP, the gateway worker bridges it as plain RTP into the SFU, and a WHEP viewer on
 * node-datachannel decodes the H.264 with ffmpeg and counts the Opus packets. Then the
 * AAC→Opus child is killed (audio must come back, video must not stop) and the gateway worker
 * is killed while a room is live (the room must not notice; a republished stream must be
 * watchable over WHEP again).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { gatewayOf } from '../../server/gateway/mount.js';
import { NdcWhepClient } from '../helpers/ndc-whep-client.js';
import { RoomBot } from '../helpers/room-bot.js';
import { exitWhenDrained } from '../helpers/wrtc-exit.js';
import { nodeDataChannel } from '../helpers/ndc.js';
import { childPids, getJson, killChildren, publish, startTestServer, waitFor, type TestServer } from './gateway-helpers.js';

after(exitWhenDrained);

/** The publisher the task names: Constrained Baseline without B-frames, a keyframe every second at 25 fps. */
const BASELINE = ['-profile:v', 'baseline', '-bf', '0'];
/** Enough to be sure media flows and decodes, not a lucky keyframe: ~1 s of video, ~1 s of 20 ms Opus. */
const MIN_FRAMES = 20;
const MIN_AUDIO_PACKETS = 50;
/** Bounds: a bridge opens in < 1 s and a keyframe comes every second; 2 shared cores get slack. */
const MEDIA_TIMEOUT_MS = 20_000;
/** The AAC→Opus child restarts after its backoff (gateway/transcode/backoff.ts, first step 250 ms). */
const AUDIO_RESUME_MS = 5_000;
/** A crashed worker restarts after 250 ms (server/gateway/supervisor.ts); its start takes ~0.5 s. */
const WORKER_RESTART_MS = 10_000;

let t: TestServer;
const clients: NdcWhepClient[] = [];
const bots: RoomBot[] = [];

before(async () => {
  t = await startTestServer();
});

after(async () => {
  for (const c of clients) c.close();
  killChildren();
  await Promise.all(bots.map((b) => b.close()));
  await t?.server.close();
  // With a gateway stream bridged and wrtc loaded, something in node-datachannel stays ref'd after
  // the server closed (no handle shows in getActiveResourcesInfo) and the file never drains; the
  // engine's process-wide cleanup releases it. The server is closed: nothing else uses the engine.
  nodeDataChannel.cleanup();
});

function workerPid(): number | undefined {
  return gatewayOf(t.server.httpServer)?.supervisor?.stats()[0]?.pid ?? undefined;
}

/** The gateway announced the stream (the bridge itself may start only when a WHEP viewer asks: `bridge.mode`). */
async function live(path: string): Promise<boolean> {
  return (await getJson(`${t.http}/api/v1/streams/${path}`)).status === 200;
}

async function watch(path: string): Promise<NdcWhepClient> {
  const c = await NdcWhepClient.connect(`${t.http}/whep/${path}`);
  clients.push(c);
  assert.equal(c.status, 201, `WHEP POST for ${path}`);
  return c;
}

function mediaState(c: NdcWhepClient): string {
  return JSON.stringify({ frames: c.frames, size: `${c.width}x${c.height}`, keyframes: c.keyframes, videoPackets: c.videoPackets, audioPackets: c.audioPackets });
}

test('RTMP (H.264 baseline + AAC) → gateway bridge → SFU → WHEP: H.264 decodes at 320x240 and Opus arrives', async () => {
  publish(`${t.rtmp}/live/e2e`, 120, BASELINE);
  await waitFor('live/e2e live', () => live('live/e2e'), MEDIA_TIMEOUT_MS);
  const c = await watch('live/e2e');
  await waitFor(`${MIN_FRAMES} frames and ${MIN_AUDIO_PACKETS} Opus packets`, () => c.frames >= MIN_FRAMES && c.audioPackets >= MIN_AUDIO_PACKETS, MEDIA_TIMEOUT_MS, 100).catch((err: Error) => {
    throw new Error(`${err.message}: ${mediaState(c)}\n${c.decoderLog}`);
  });
  assert.equal(c.width, 320);
  assert.equal(c.height, 240);
  assert.ok(c.keyframes >= 1);
  console.log(`# RTMP → WHEP: join → first keyframe ${c.joinToKeyframeMs} ms (GOP 1 s; pass-through video waits for the next IDR)`);
});

test('a killed AAC→Opus child: Opus resumes at the WHEP viewer while video keeps flowing', async () => {
  const c = clients[0];
  assert.ok(c);
  const worker = workerPid();
  assert.ok(worker, 'worker pid');
  const [pid] = await waitFor('the AAC→Opus child', () => {
    const p = childPids(worker, 'libopus');
    return p.length === 1 ? p : undefined;
  }, 5_000);
  assert.ok(pid);
  const framesBefore = c.frames;
  process.kill(pid, 'SIGKILL');
  const killedAt = Date.now();
  // Packets already queued in the pipe or the network may still arrive just after the kill.
  const resumed = (): number | undefined => c.audioArrivals.find((at, i) => at > killedAt && (c.audioArrivals[i - 1] ?? 0) < at - 150);
  await waitFor('Opus packets after a gap', () => c.audioArrivals.filter((a) => a > (resumed() ?? Infinity)).length >= 10, AUDIO_RESUME_MS + 5_000, 100);
  const resumedAt = resumed() as number;
  assert.ok(resumedAt - killedAt < AUDIO_RESUME_MS, `Opus resumed ${resumedAt - killedAt} ms after the kill`);
  const videoInGap = c.videoArrivals.filter((v) => v > killedAt + 50 && v < resumedAt).length;
  assert.ok(videoInGap > 0 || resumedAt - killedAt < 200, `video packets during the audio gap: ${videoInGap}`);
  assert.ok(c.frames > framesBefore, 'frames kept decoding');
  assert.ok(childPids(worker, 'libopus').some((p) => p !== pid), 'a new AAC→Opus child');
  console.log(`# AAC→Opus child killed: Opus back after ${resumedAt - killedAt} ms, ${videoInGap} video packets in the gap`);
});

test('a SIGKILLed gateway worker: room peers keep their media; a republished stream plays over WHEP again', async () => {
  const alice = new RoomBot({ url: t.http, roomId: 'bridge-e2e', displayName: 'Alice' });
  const bob = new RoomBot({ url: t.http, roomId: 'bridge-e2e', displayName: 'Bob' });
  bots.push(alice, bob);
  await bob.client.join();
  await alice.client.join();
  await alice.publish();
  const aliceId = alice.client.peerId;
  assert.ok(aliceId);
  await waitFor('Bob decodes Alice', () => bob.from(aliceId).videoFrames >= MIN_FRAMES, MEDIA_TIMEOUT_MS);
  const roomPath = `room/bridge-e2e/${aliceId}`;
  await waitFor(`${roomPath} ingested by the gateway`, () => live(roomPath), MEDIA_TIMEOUT_MS);

  const worker = workerPid();
  assert.ok(worker);
  process.kill(worker, 'SIGKILL');
  const killedAt = Date.now();
  const framesAtKill = bob.from(aliceId).videoFrames;
  await waitFor('a new worker', () => {
    const s = gatewayOf(t.server.httpServer)?.supervisor?.stats()[0];
    return s?.ready === true && s.pid !== worker;
  }, WORKER_RESTART_MS);
  // The room did not notice: same connections, media still decoding.
  await waitFor('Bob still decodes Alice', () => bob.from(aliceId).videoFrames >= framesAtKill + MIN_FRAMES, MEDIA_TIMEOUT_MS);
  assert.equal(alice.client.connectionState, 'connected');
  assert.equal(bob.client.connectionState, 'connected');
  assert.deepEqual(bob.peerLeft, [], 'nobody left the room');
  // The room stream is ingested again by the new worker.
  await waitFor(`${roomPath} ingested again`, () => live(roomPath), MEDIA_TIMEOUT_MS);

  // The publisher's RTMP connection died with the worker: it republishes, a new viewer gets media.
  killChildren();
  publish(`${t.rtmp}/live/e2e`, 120, BASELINE);
  await waitFor('live/e2e live again', () => live('live/e2e'), MEDIA_TIMEOUT_MS);
  const c = await watch('live/e2e');
  await waitFor('media on the new WHEP session', () => c.frames >= MIN_FRAMES && c.audioPackets >= MIN_AUDIO_PACKETS, MEDIA_TIMEOUT_MS, 100).catch((err: Error) => {
    throw new Error(`${err.message}: ${mediaState(c)}`);
  });
  assert.equal(c.width, 320);
  console.log(`# worker killed → republished stream decoding over WHEP after ${Date.now() - killedAt} ms; join → keyframe ${c.joinToKeyframeMs} ms`);
});
