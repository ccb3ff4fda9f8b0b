/**
 * Pulling cameras: GStreamer's gst-rtsp-server (Digest auth) serves H.264+AAC and H.264+PCMA;
 * Estuary pulls them over TCP (from the config) and UDP (from the API), ffprobe reads the
 * resulting HTTP-FLV and HLS, a wrong password shows `unauthorized`, the camera is killed and
 * restarted and the stream comes back, DELETE stops a pull and the state file forgets it.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startGstCamera } from '../helpers/gst-camera.js';
import { freePort, getJson, probe, startTestServer, waitFor, type TestServer } from './gateway-helpers.js';

let t: TestServer;
let camera: ChildProcess;
let camPort: number;
let dir: string;

interface ApiStream { path: string; live?: boolean; tracks?: { codec: string }[]; source?: { state: string; lastError?: string } }

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'estuary-pull-'));
  camPort = await freePort();
  camera = await startGstCamera(camPort, { digest: true });
  t = await startTestServer({
    hls: { enabled: true, dir: path.join(dir, 'hls'), partDuration: 0 },
    rtsp: { enabled: false, stateFile: path.join(dir, 'streams.json') },
    streams: { 'live/cam-tcp': { source: `rtsp://cam:secret@127.0.0.1:${camPort}/h264aac`, transport: 'tcp' } },
  });
});

after(async () => {
  camera?.kill('SIGKILL');
  await t?.server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function stream(p: string): Promise<ApiStream | undefined> {
  const r = await getJson(`${t.http}/api/v1/streams/${p}`);
  return r.status === 200 ? (r.body as ApiStream) : undefined;
}

const liveWith = (p: string, n: number) => async (): Promise<ApiStream | undefined> => {
  const s = await stream(p);
  return s?.live && (s.tracks?.length ?? 0) >= n && s.source?.state === 'running' ? s : undefined;
};

test('a camera from the config is pulled over TCP with Digest auth; HTTP-FLV and HLS carry H.264 + AAC', async () => {
  const s = await waitFor('live/cam-tcp running', liveWith('live/cam-tcp', 2), 20_000);
  assert.deepEqual(s.tracks?.map((tr) => tr.codec).sort(), ['aac', 'h264']);
  const flv = await probe(`${t.flv}/live/cam-tcp.flv`);
  assert.deepEqual(flv.map((x) => x.codec_name).sort(), ['aac', 'h264']);
  await waitFor('HLS playlist', async () => (await fetch(`${t.http}/hls/live/cam-tcp/index.m3u8`)).status === 200, 15_000);
  const hls = await probe(`${t.http}/hls/live/cam-tcp/index.m3u8`);
  assert.deepEqual(hls.map((x) => x.codec_name).sort(), ['aac', 'h264']);
});

test('POST /api/v1/streams pulls H.264 + PCMA over UDP; G.711 reaches FLV as AAC', async () => {
  const res = await fetch(`${t.http}/api/v1/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'live/cam-udp', source: `rtsp://cam:secret@127.0.0.1:${camPort}/h264pcma`, transport: 'udp' }) });
  assert.equal(res.status, 201);
  const again = await fetch(`${t.http}/api/v1/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'live/cam-udp', source: 'rtsp://x/y' }) });
  assert.equal(again.status, 409);
  const bad = await fetch(`${t.http}/api/v1/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'live/x', source: 'http://x/y' }) });
  assert.equal(bad.status, 400);
  await waitFor('live/cam-udp running', liveWith('live/cam-udp', 2), 20_000);
  const flv = await probe(`${t.flv}/live/cam-udp.flv`);
  assert.deepEqual(flv.map((x) => x.codec_name).sort(), ['aac', 'h264']);
  const state = JSON.parse(readFileSync(path.join(dir, 'streams.json'), 'utf8')) as { streams: { path: string }[] };
  assert.deepEqual(state.streams.map((x) => x.path), ['live/cam-udp']);
});

test('a wrong password is reported as unauthorized with the last error', async () => {
  const res = await fetch(`${t.http}/api/v1/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'live/cam-bad', source: `rtsp://cam:wrong@127.0.0.1:${camPort}/h264aac`, transport: 'tcp' }) });
  assert.equal(res.status, 201);
  const s = await waitFor('unauthorized', async () => {
    const x = await stream('live/cam-bad');
    return x?.source?.state === 'unauthorized' ? x : undefined;
  }, 15_000);
  assert.match(s.source?.lastError ?? '', /401/);
  assert.equal((await fetch(`${t.http}/api/v1/streams/live/cam-bad`, { method: 'DELETE' })).status, 204);
  assert.equal(await stream('live/cam-bad'), undefined);
});

test('the camera is killed and restarted: the pull shows reconnecting, then the stream comes back', async () => {
  camera.kill('SIGKILL');
  const down = await waitFor('reconnecting', async () => {
    const x = await stream('live/cam-tcp');
    return x && !x.live && (x.source?.state === 'reconnecting' || x.source?.state === 'connecting') && x.source.lastError ? x : undefined;
  }, 15_000);
  assert.ok(down.source?.lastError);
  camera = await startGstCamera(camPort, { digest: true });
  await waitFor('live/cam-tcp back', liveWith('live/cam-tcp', 2), 40_000);
  const flv = await probe(`${t.flv}/live/cam-tcp.flv`);
  assert.deepEqual(flv.map((x) => x.codec_name).sort(), ['aac', 'h264']);
});

test('DELETE stops a pulled stream and the state file forgets it', async () => {
  assert.equal((await fetch(`${t.http}/api/v1/streams/live/cam-udp`, { method: 'DELETE' })).status, 204);
  await waitFor('live/cam-udp gone', async () => (await stream('live/cam-udp')) === undefined, 10_000);
  const state = JSON.parse(readFileSync(path.join(dir, 'streams.json'), 'utf8')) as { streams: unknown[] };
  assert.deepEqual(state.streams, []);
});
