import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMediaPlaylist } from '../../protocol/hls/playlist-parser.js';
import type { MediaPlaylist } from '../../protocol/hls/playlist.js';
import { killChildren, probe, publish, startTestServer, waitFor, type TestServer } from './gateway-helpers.js';

/** Short grace so the removal after unpublish is observed within the test. */
const CLEANUP_DELAY_S = 2;

let t: TestServer;
let hlsDir: string;

async function fetchPlaylist(url: string): Promise<{ status: number; text: string; ms: number; pl: MediaPlaylist | undefined }> {
  const started = Date.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let pl: MediaPlaylist | undefined;
  try {
    pl = parseMediaPlaylist(text);
  } catch {
    pl = undefined;
  }
  return { status: res.status, text, ms: Date.now() - started, pl };
}

before(async () => {
  hlsDir = mkdtempSync(join(tmpdir(), 'estuary-hls-'));
  t = await startTestServer({ hls: { enabled: true, dir: hlsDir, format: 'fmp4', segmentDuration: 1, partDuration: 0.25, windowSegments: 4, cleanupDelay: CLEANUP_DELAY_S } });
  publish(`${t.rtmp}/live/test`, 90);
  await waitFor('an HLS playlist with two segments', async () => {
    const r = await fetchPlaylist(`${t.http}/hls/live/test/index.m3u8`);
    return r.status === 200 && (r.pl?.segments.length ?? 0) >= 2;
  }, 30_000);
});

after(async () => {
  killChildren();
  await t?.server.close();
  rmSync(hlsDir, { recursive: true, force: true });
});

test('ffprobe reads h264 320x240 and aac from /hls/live/test/index.m3u8', async () => {
  const streams = await probe(`${t.http}/hls/live/test/index.m3u8`, 30_000);
  const v = streams.find((s) => s.codec_name === 'h264');
  assert.ok(v, JSON.stringify(streams));
  assert.equal(v.width, 320);
  assert.equal(v.height, 240);
  assert.ok(streams.some((s) => s.codec_name === 'aac'), JSON.stringify(streams));
});

test('the playlist is LL-HLS (parts, blocking reload) and its media sequence grows', async () => {
  const first = await fetchPlaylist(`${t.http}/hls/live/test/index.m3u8`);
  assert.match(first.text, /#EXT-X-PART:DURATION=[\d.]+,URI="part\d+\.\d+\.m4s"/);
  assert.match(first.text, /#EXT-X-SERVER-CONTROL:[^\n]*CAN-BLOCK-RELOAD=YES/);
  assert.match(first.text, /#EXT-X-PRELOAD-HINT:TYPE=PART/);
  const pl = first.pl!;
  assert.ok(pl.partTarget !== undefined && pl.partTarget <= 0.5);
  assert.ok((pl.serverControl?.partHoldBack ?? 0) >= 3 * pl.partTarget);
  const lastMsn = (p: MediaPlaylist): number => p.mediaSequence + p.segments.length - 1;
  const later = await waitFor('two more segments', async () => {
    const r = await fetchPlaylist(`${t.http}/hls/live/test/index.m3u8`);
    return r.pl && lastMsn(r.pl) >= lastMsn(pl) + 2 ? r.pl : undefined;
  }, 10_000);
  assert.ok(later.mediaSequence > 0 || lastMsn(later) > lastMsn(pl));
  const plain = await fetch(`${t.http}/hls/live/test/plain.m3u8`, { signal: AbortSignal.timeout(5000) });
  assert.doesNotMatch(await plain.text(), /EXT-X-PART/);
});

test('a blocking request for the next segment returns once it is listed, within 3 target durations', async () => {
  const now = (await fetchPlaylist(`${t.http}/hls/live/test/index.m3u8`)).pl!;
  const next = now.mediaSequence + now.segments.length; // the open segment
  const r = await fetchPlaylist(`${t.http}/hls/live/test/index.m3u8?_HLS_msn=${next}`);
  assert.equal(r.status, 200);
  assert.ok(r.ms < 3 * now.targetDuration * 1000, `blocked ${r.ms} ms`);
  assert.ok(r.pl!.mediaSequence + r.pl!.segments.length - 1 >= next);
  // And the next part of the open segment, which lands within about one part target.
  const p = r.pl!;
  const open = p.mediaSequence + p.segments.length;
  const part = p.pendingParts?.length ?? 0;
  const rp = await fetchPlaylist(`${t.http}/hls/live/test/index.m3u8?_HLS_msn=${open}&_HLS_part=${part}`);
  assert.equal(rp.status, 200);
  assert.ok(rp.ms < 1500, `part blocked ${rp.ms} ms`);
  assert.equal((await fetchPlaylist(`${t.http}/hls/live/test/index.m3u8?_HLS_part=1`)).status, 400);
});

test('an ended stream keeps its files for cleanupDelay, then its directory is removed', async () => {
  const pub = publish(`${t.rtmp}/live/gone`, 3);
  const dir = join(hlsDir, 'live', 'gone');
  await waitFor('live/gone segments on disk', () => existsSync(dir) && readdirSync(dir).some((n) => /^seg\d+\.m4s$/.test(n)), 20_000);
  await pub.exited;
  const endedAt = Date.now();
  // Still there right after the unpublish (the grace period).
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(existsSync(join(dir, 'index.m3u8')));
  await waitFor('live/gone removed', () => !existsSync(dir), (CLEANUP_DELAY_S + 5) * 1000, 100);
  const took = Date.now() - endedAt;
  assert.ok(took >= CLEANUP_DELAY_S * 1000 - 200, `removed after ${took} ms`);
  assert.ok(existsSync(join(hlsDir, 'live', 'test', 'index.m3u8')), 'other streams untouched');
});

test('with hls.format mpegts the playlist lists .ts segments that ffprobe reads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'estuary-hls-ts-'));
  const ts = await startTestServer({ hls: { enabled: true, dir, format: 'mpegts', segmentDuration: 1, windowSegments: 4, cleanupDelay: 0 } });
  try {
    publish(`${ts.rtmp}/live/ts`, 30);
    const r = await waitFor('a TS playlist with two segments', async () => {
      const p = await fetchPlaylist(`${ts.http}/hls/live/ts/index.m3u8`);
      return p.status === 200 && (p.pl?.segments.length ?? 0) >= 2 ? p : undefined;
    }, 30_000);
    assert.match(r.text, /^seg\d+\.ts$/m);
    assert.doesNotMatch(r.text, /EXT-X-PART|EXT-X-MAP/);
    const seg = await fetch(`${ts.http}/hls/live/ts/${r.pl!.segments[0]!.uri}`, { signal: AbortSignal.timeout(5000) });
    assert.equal(seg.headers.get('content-type'), 'video/mp2t');
    const streams = await probe(`${ts.http}/hls/live/ts/index.m3u8`, 30_000);
    assert.equal(streams.find((s) => s.codec_name === 'h264')?.width, 320);
    assert.ok(streams.some((s) => s.codec_name === 'aac'));
  } finally {
    await ts.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
