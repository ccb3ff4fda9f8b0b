/**
 * The SFU → gateway half of the bridge against a real server: the test asks for an ingest
 * through the server's `requestIngest` hook, ffmpeg stands in for the SFU's PlainTransport
 * and sends VP8 + Opus as RTP to the returned port, and ffprobe reads the stream back over
 * HTTP-FLV as H.264 + AAC. The ingest holds units until the H.264 config and the AAC config
 * are both known (TrackGate), so the first HLS init segment and the first FLV tags carry video
 * and audio, with no video-only start, discontinuity and second init segment.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { gatewayOf } from '../../server/gateway/mount.js';
import { FlvTagReader } from '../../protocol/flv/tag-reader.js';
import type { FlvTag } from '../../protocol/flv/tag.js';
import { getJson, probe, startTestServer, waitFor, type TestServer } from './gateway-helpers.js';

const HLS_DIR = `tmp/hls-ingest-${process.pid}`;
const OUT_DIR = `tmp/ingest-${process.pid}`;
/** VP8→H.264 and Opus→AAC children start, HLS needs a whole segment: seconds on 2 shared cores. */
const MEDIA_TIMEOUT_MS = 30_000;
const VP8_SSRC = 0x0a0b0c0d;
const OPUS_SSRC = 0x01020304;

let t: TestServer;
const children = new Set<ChildProcess>();

before(async () => {
  mkdirSync(OUT_DIR, { recursive: true });
  t = await startTestServer({ hls: { enabled: true, dir: HLS_DIR } });
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await t?.server.close();
  rmSync(HLS_DIR, { recursive: true, force: true });
  rmSync(OUT_DIR, { recursive: true, force: true });
});

/** Opens an ingest for `path` (VP8 + Opus); `send()` starts ffmpeg sending RTP to it. */
async function openIngest(path: string): Promise<{ close(): void; send(): ChildProcess }> {
  const gw = gatewayOf(t.server.httpServer);
  assert.ok(gw);
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
  const send = (): ChildProcess => {
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '40',
      '-map', '0:v', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-g', '25', '-payload_type', '96', '-ssrc', String(VP8_SSRC), '-f', 'rtp', dest,
      '-map', '1:a', '-c:a', 'libopus', '-b:a', '48k', '-payload_type', '111', '-ssrc', String(OPUS_SSRC), '-f', 'rtp', dest], { stdio: 'ignore' });
    children.add(child);
    return child;
  };
  return { close: () => gw.closeIngest(path, 'peer left'), send };
}

test('ingestOpen: VP8 + Opus RTP to the returned port is watchable over HTTP-FLV as H.264 + AAC; closeIngest unpublishes', async () => {
  const path = 'room/r1/p1';
  const ingest = await openIngest(path);
  const child = ingest.send();
  const streams = await waitFor('h264 + aac over HTTP-FLV', async () => {
    const s = await probe(`${t.flv}/${path}.flv`, 10_000);
    return s.some((x) => x.codec_name === 'h264') && s.some((x) => x.codec_name === 'aac') ? s : undefined;
  }, MEDIA_TIMEOUT_MS, 500);
  assert.ok(streams.some((s) => s.codec_name === 'h264' && s.width === 320 && s.height === 240), JSON.stringify(streams));
  const api = await getJson(`${t.http}/api/v1/streams/${path}`);
  assert.equal((api.body as { origin: string }).origin, 'room');
  ingest.close();
  await waitFor('the stream unpublished', async () => (await getJson(`${t.http}/api/v1/streams/${path}`)).status === 404, 5_000);
  child.kill('SIGKILL');
});

/** ffprobe's codec names of a file. */
function probeFile(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'json', file], { timeout: 15_000 }, (err, stdout) => {
      if (err) return reject(err);
      resolve((JSON.parse(stdout) as { streams: { codec_name: string }[] }).streams.map((s) => s.codec_name));
    });
  });
}

const isVideoNalu = (tag: FlvTag): boolean => tag.type === 9 && tag.data[1] === 1;
const isAacHeader = (tag: FlvTag): boolean => tag.type === 8 && (tag.data[0]! >> 4) === 10 && tag.data[1] === 0;
const isAvcHeader = (tag: FlvTag): boolean => tag.type === 9 && (tag.data[0]! & 0x0f) === 7 && tag.data[1] === 0;

/** The raw bytes and tags of an HTTP-FLV response up to its first video frame. */
function readFlvStart(url: string): Promise<{ raw: Buffer; tags: FlvTag[] }> {
  return new Promise((resolve, reject) => {
    const reader = new FlvTagReader();
    const chunks: Buffer[] = [];
    const tags: FlvTag[] = [];
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no video frame at ${url} (${tags.length} tags)`));
    }, MEDIA_TIMEOUT_MS);
    const req = http.get(url, (res) => {
      res.on('data', (d: Buffer) => {
        chunks.push(d);
        tags.push(...reader.push(d));
        if (tags.some(isVideoNalu)) {
          clearTimeout(timer);
          req.destroy();
          resolve({ raw: Buffer.concat(chunks), tags });
        }
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

test('ingest: the first FLV tags and the first HLS init segment carry H.264 and AAC together (no video-only start)', async () => {
  const path = 'room/tracks/p1';
  const ingest = await openIngest(path);
  // A reader from the start, before any track is known (what a player opening early sees).
  const flvStart = readFlvStart(`${t.flv}/${path}.flv`);
  const child = ingest.send();

  const { raw, tags } = await flvStart;
  assert.equal(raw[4]! & 0x05, 0x05, 'FLV header flags: audio and video');
  const firstFrame = tags.findIndex(isVideoNalu);
  assert.ok(tags.slice(0, firstFrame).some(isAvcHeader), 'AVC sequence header before the first frame');
  assert.ok(tags.slice(0, firstFrame).some(isAacHeader), 'AAC sequence header before the first video frame');
  writeFileSync(`${OUT_DIR}/start.flv`, raw);
  assert.deepEqual((await probeFile(`${OUT_DIR}/start.flv`)).sort(), ['aac', 'h264'], 'ffprobe of the first FLV bytes');

  // HLS: the first generation's init segment (the playlist's first EXT-X-MAP) holds both tracks.
  const playlistUrl = `${t.http}/hls/${path}/plain.m3u8`;
  const playlist = await waitFor('an HLS segment', async () => {
    const res = await fetch(playlistUrl, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    const text = res?.ok ? await res.text() : '';
    return /#EXTINF/.test(text) ? text : undefined;
  }, MEDIA_TIMEOUT_MS, 500);
  assert.doesNotMatch(playlist, /#EXT-X-DISCONTINUITY\b/, 'no discontinuity at the start');
  const map = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)?.[1];
  assert.ok(map, playlist);
  const init = Buffer.from(await (await fetch(new URL(map, playlistUrl), { signal: AbortSignal.timeout(5000) })).arrayBuffer());
  writeFileSync(`${OUT_DIR}/init.mp4`, init);
  assert.deepEqual((await probeFile(`${OUT_DIR}/init.mp4`)).sort(), ['aac', 'h264'], 'ffprobe of the first init segment');
  assert.equal((playlist.match(/#EXT-X-MAP/g) ?? []).length, 1, 'one init segment');

  ingest.close();
  child.kill('SIGKILL');
});
