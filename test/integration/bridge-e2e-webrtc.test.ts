/**
 * The bridge end to end, WebRTC side, through the real server: a WHIP publisher (wrtc, VP8 +
 * Opus) and a room participant become gateway streams (SFU → PlainTransport → gateway
 * ingest, VP8→H.264 and Opus→AAC by ffmpeg) that ffprobe reads over HTTP-FLV and HLS.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { postSdp } from '../helpers/webrtc-streams.js';
import { RoomBot } from '../helpers/room-bot.js';
import { WrtcBot } from '../helpers/wrtc-bot.js';
import { exitWhenDrained } from '../helpers/wrtc-exit.js';
import { nodeDataChannel } from '../helpers/ndc.js';
import { getJson, probe, startTestServer, waitFor, type TestServer } from './gateway-helpers.js';

after(exitWhenDrained);

/** WHIP → ingest settles in 250 ms, the VP8→H.264 child starts at a keyframe, HLS needs a segment: seconds on 2 shared cores. */
const PROBE_TIMEOUT_MS = 30_000;
/** One ffprobe try: a live FLV or playlist answers within a few seconds once media flows. */
const PROBE_TRY_MS = 10_000;
const HLS_DIR = `tmp/hls-bridge-e2e-${process.pid}`;

let t: TestServer;
let whip: WrtcBot | undefined;
let bot: RoomBot | undefined;

before(async () => {
  t = await startTestServer({ hls: { enabled: true, dir: HLS_DIR } });
});

after(async () => {
  whip?.close();
  await bot?.close();
  await t?.server.close();
  // With a gateway stream bridged and wrtc loaded, something in node-datachannel stays ref'd after
  // the server closed (no handle shows in getActiveResourcesInfo) and the file never drains; the
  // engine's process-wide cleanup releases it. The server is closed: nothing else uses the engine.
  nodeDataChannel.cleanup();
  rmSync(HLS_DIR, { recursive: true, force: true });
});

type Probed = Awaited<ReturnType<typeof probe>>;

/** Probes `url` until it shows H.264 (and AAC when `audio`). */
function probeUntil(url: string, audio: boolean): Promise<Probed> {
  return waitFor(`h264${audio ? ' + aac' : ''} at ${url}`, async () => {
    const s = await probe(url, PROBE_TRY_MS);
    return s.some((x) => x.codec_name === 'h264') && (!audio || s.some((x) => x.codec_name === 'aac')) ? s : undefined;
  }, PROBE_TIMEOUT_MS, 500);
}

test('WHIP (VP8 + Opus) → gateway: HTTP-FLV and HLS carry H.264 + AAC; the registry says origin whip', async () => {
  whip = new WrtcBot({ width: 320, height: 240, fps: 25 });
  whip.addSyntheticVideo();
  whip.addSyntheticAudio();
  const res = await postSdp(`${t.http}/whip/live/cam`, await whip.offer());
  assert.equal(res.status, 201);
  await whip.applyAnswer(await res.text());
  const flv = await probeUntil(`${t.flv}/live/cam.flv`, true);
  assert.ok(flv.some((s) => s.codec_name === 'h264' && s.width === 320 && s.height === 240), JSON.stringify(flv));
  const hls = await probeUntil(`${t.http}/hls/live/cam/index.m3u8`, true);
  assert.ok(hls.some((s) => s.codec_name === 'h264' && s.width === 320), JSON.stringify(hls));
  const api = await getJson(`${t.http}/api/v1/streams/live/cam`);
  assert.equal(api.status, 200);
  assert.equal((api.body as { origin: string }).origin, 'whip');
});

test('a room participant is stream room/<roomId>/<peerId>: listed, and its HLS playlist probes as H.264 + AAC', async () => {
  bot = new RoomBot({ url: t.http, roomId: 'e2e-room', displayName: 'Publisher' });
  await bot.client.join();
  await bot.publish();
  const peerId = bot.client.peerId;
  assert.ok(peerId);
  const path = `room/e2e-room/${peerId}`;
  await waitFor(`${path} in GET /api/v1/streams`, async () => {
    const { body } = await getJson(`${t.http}/api/v1/streams`);
    return (body as { streams: { path: string; origin: string }[] }).streams.find((s) => s.path === path && s.origin === 'room');
  }, PROBE_TIMEOUT_MS, 250);
  const hls = await probeUntil(`${t.http}/hls/${path}/index.m3u8`, true);
  assert.ok(hls.some((s) => s.codec_name === 'h264'), JSON.stringify(hls));
});
