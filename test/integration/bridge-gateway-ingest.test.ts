/**
 * The SFU → gateway half of the bridge against a real server: the test asks for an ingest
 * through the server's `requestIngest` hook, ffmpeg stands in for the SFU's PlainTransport
 * and sends VP8 + Opus as RTP to the returned port, and ffprobe reads the stream back over
 * HTTP-FLV as H.264 + AAC.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { gatewayOf } from '../../server/gateway/mount.js';
import { getJson, probe, startTestServer, waitFor, type TestServer } from './gateway-helpers.js';

let t: TestServer;
const children = new Set<ChildProcess>();

before(async () => {
  t = await startTestServer();
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await t?.server.close();
});

const VP8_SSRC = 0x0a0b0c0d;
const OPUS_SSRC = 0x01020304;

test('ingestOpen: VP8 + Opus RTP to the returned port is watchable over HTTP-FLV as H.264 + AAC; closeIngest unpublishes', async () => {
  const gw = gatewayOf(t.server.httpServer);
  assert.ok(gw);
  const path = 'room/r1/p1';
  const { port } = await gw.requestIngest({
    path,
    origin: 'room',
    tracks: [
      { kind: 'video', codec: 'vp8', payloadType: 96, clockRate: 90000, ssrc: VP8_SSRC },
      { kind: 'audio', codec: 'opus', payloadType: 111, clockRate: 48000, channels: 2, ssrc: OPUS_SSRC },
    ],
  });
  assert.ok(port > 0);
  const dest = `rtp://127.0.0.1:${port}?rtcpport=${port}&pkt_size=1200`;
  const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '30',
    '-map', '0:v', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-g', '25', '-payload_type', '96', '-ssrc', String(VP8_SSRC), '-f', 'rtp', dest,
    '-map', '1:a', '-c:a', 'libopus', '-b:a', '48k', '-payload_type', '111', '-ssrc', String(OPUS_SSRC), '-f', 'rtp', dest], { stdio: 'ignore' });
  children.add(child);
  const streams = await waitFor('h264 + aac over HTTP-FLV', async () => {
    const s = await probe(`${t.flv}/${path}.flv`, 10_000);
    return s.some((x) => x.codec_name === 'h264') && s.some((x) => x.codec_name === 'aac') ? s : undefined;
  }, 30_000, 500);
  assert.ok(streams.some((s) => s.codec_name === 'h264' && s.width === 320 && s.height === 240), JSON.stringify(streams));
  const api = await getJson(`${t.http}/api/v1/streams/${path}`);
  assert.equal((api.body as { origin: string }).origin, 'room');
  gw.closeIngest(path, 'peer left');
  await waitFor('the stream unpublished', async () => (await getJson(`${t.http}/api/v1/streams/${path}`)).status === 404, 5_000);
  child.kill('SIGKILL');
});
