import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildConfig } from '../../../server/config.js';
import { createApp } from '../../../server/http/app.js';
import { mountHls, resolveHlsFile } from '../../../server/http/hls.js';
import { withTempDir } from '../protocol/media-tools.js';

/** A playlist as the packager writes it: segment 0 complete, segment 1 open with `parts` parts. */
function llPlaylist(parts: number, complete = 1): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:1', '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.75', '#EXT-X-PART-INF:PART-TARGET=0.25', '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-MAP:URI="init.mp4"'];
  for (let s = 0; s < complete; s++) {
    for (let p = 0; p < 4; p++) lines.push(`#EXT-X-PART:DURATION=0.25,URI="part${s}.${p}.m4s"`);
    lines.push('#EXTINF:1,', `seg${s}.m4s`);
  }
  for (let p = 0; p < parts; p++) lines.push(`#EXT-X-PART:DURATION=0.25,URI="part${complete}.${p}.m4s"`);
  lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part${complete}.${parts}.m4s"`);
  return lines.join('\n') + '\n';
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

/** GET with a raw (unnormalised) path, bounded. */
function get(port: number, rawPath: string): Promise<Reply> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: rawPath, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: Date.now() - started }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

/** Runs `fn` against a server serving `<tmp>/root` under /hls/, with a stream dir live/test. */
async function withServer(fn: (ctx: { port: number; root: string; dir: string; tmp: string }) => Promise<void>): Promise<void> {
  await withTempDir(async (tmp) => {
    const root = join(tmp, 'root');
    const dir = join(root, 'live', 'test');
    mkdirSync(dir, { recursive: true });
    const config = buildConfig({ hls: { dir: root } }, {});
    const app = createApp();
    const httpServer = http.createServer(app);
    const hls = mountHls({ config, app, httpServer });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    try {
      await fn({ port: (httpServer.address() as AddressInfo).port, root, dir, tmp });
    } finally {
      await hls.close();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    }
  });
}

/** Replaces a file the way the packager does (temp + rename). */
function writeAtomic(dir: string, name: string, data: string): void {
  writeFileSync(join(dir, `.${name}.tmp`), data);
  renameSync(join(dir, `.${name}.tmp`), join(dir, name));
}

test('GET /hls/<path>/index.m3u8 serves the playlist as no-cache application/vnd.apple.mpegurl with CORS', async () => {
  await withServer(async ({ port, dir }) => {
    writeAtomic(dir, 'index.m3u8', llPlaylist(1));
    writeFileSync(join(dir, 'seg0.m4s'), 'x');
    writeFileSync(join(dir, 'seg0.ts'), 'x');
    const r = await get(port, '/hls/live/test/index.m3u8');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/vnd.apple.mpegurl');
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.body, llPlaylist(1));
    const seg = await get(port, '/hls/live/test/seg0.m4s');
    assert.equal(seg.headers['content-type'], 'video/mp4');
    assert.match(String(seg.headers['cache-control']), /max-age=\d+/);
    assert.equal((await get(port, '/hls/live/test/seg0.ts')).headers['content-type'], 'video/mp2t');
    assert.equal((await get(port, '/hls/live/none/index.m3u8')).status, 404);
  });
});

test('blocking reload holds a request for a future part until the playlist lists it', async () => {
  await withServer(async ({ port, dir }) => {
    writeAtomic(dir, 'index.m3u8', llPlaylist(1));
    const pending = get(port, '/hls/live/test/index.m3u8?_HLS_msn=1&_HLS_part=2');
    await new Promise((r) => setTimeout(r, 150));
    writeAtomic(dir, 'index.m3u8', llPlaylist(2)); // part 1.1: not yet
    await new Promise((r) => setTimeout(r, 250));
    writeAtomic(dir, 'index.m3u8', llPlaylist(3)); // part 1.2 listed
    const r = await pending;
    assert.equal(r.status, 200);
    assert.equal(r.body, llPlaylist(3));
    assert.ok(r.ms >= 380 && r.ms < 1500, `answered after ${r.ms} ms`);
  });
});

test('blocking reload answers at once when the part or a later segment is already there', async () => {
  await withServer(async ({ port, dir }) => {
    writeAtomic(dir, 'index.m3u8', llPlaylist(0, 2));
    const r = await get(port, '/hls/live/test/index.m3u8?_HLS_msn=1&_HLS_part=3');
    assert.equal(r.status, 200);
    assert.ok(r.ms < 300);
    const seg = await get(port, '/hls/live/test/index.m3u8?_HLS_msn=1');
    assert.equal(seg.status, 200);
  });
});

test('blocking reload gives up with 503 after three target durations', async () => {
  await withServer(async ({ port, dir }) => {
    writeAtomic(dir, 'index.m3u8', llPlaylist(1));
    const r = await get(port, '/hls/live/test/index.m3u8?_HLS_msn=2&_HLS_part=0');
    assert.equal(r.status, 503);
    assert.ok(r.ms >= 2900 && r.ms < 4500, `gave up after ${r.ms} ms`);
  });
});

test('blocking reload rejects malformed and too-far directives with 400', async () => {
  await withServer(async ({ port, dir }) => {
    writeAtomic(dir, 'index.m3u8', llPlaylist(1));
    for (const q of ['_HLS_part=1', '_HLS_msn=abc', '_HLS_msn=-1', '_HLS_msn=1&_HLS_part=x', '_HLS_msn=9', '_HLS_msn=1&_HLS_part=40']) {
      const r = await get(port, `/hls/live/test/index.m3u8?${q}`);
      assert.equal(r.status, 400, q);
    }
  });
});

test('a request for the preload-hinted part waits until the part is written', async () => {
  await withServer(async ({ port, dir }) => {
    writeAtomic(dir, 'index.m3u8', llPlaylist(1));
    const pending = get(port, '/hls/live/test/part1.1.m4s');
    await new Promise((r) => setTimeout(r, 300));
    writeAtomic(dir, 'part1.1.m4s', 'PART');
    const r = await pending;
    assert.equal(r.status, 200);
    assert.equal(r.body, 'PART');
    assert.ok(r.ms >= 280, `answered after ${r.ms} ms`);
    // A missing part that is not the hint is 404 at once.
    const other = await get(port, '/hls/live/test/part1.3.m4s');
    assert.equal(other.status, 404);
  });
});

test('paths that leave the HLS directory or name other files are refused', async () => {
  await withServer(async ({ port, tmp }) => {
    mkdirSync(join(tmp, 'outside'), { recursive: true });
    writeFileSync(join(tmp, 'outside', 'index.m3u8'), '#EXTM3U\nSECRET\n');
    writeFileSync(join(tmp, 'secret.ts'), 'SECRET');
    for (const p of [
      '/hls/../outside/index.m3u8',
      '/hls/%2e%2e/outside/index.m3u8',
      '/hls/live/%2e%2e/%2e%2e/outside/index.m3u8',
      '/hls/live/..%2f..%2foutside/index.m3u8',
      '/hls/live/test/..%2f..%2f..%2fsecret.ts',
      '/hls/live%2f..%2f..%2f../secret.ts',
      '/hls/live/test/.index.m3u8.tmp',
      '/hls/live/test/secret.txt',
      '/hls/index.m3u8',
    ]) {
      const r = await get(port, p);
      assert.notEqual(r.status, 200, p);
      assert.doesNotMatch(r.body, /SECRET/, p);
    }
  });
});

test('resolveHlsFile accepts packager names only, inside the root', () => {
  assert.equal(resolveHlsFile('/srv/hls', ['live', 'a', 'index.m3u8'])?.file, '/srv/hls/live/a/index.m3u8');
  assert.equal(resolveHlsFile('/srv/hls', ['live', 'a', 'part3.2.m4s'])?.dir, '/srv/hls/live/a');
  for (const segs of [['..', 'index.m3u8'], ['live', '.', 'seg1.m4s'], ['live/..', 'seg1.m4s'], ['live', 'a', '../seg1.m4s'], ['live', 'a', 'seg1.mp4'], ['live', 'a', 'x.m3u8']]) {
    assert.equal(resolveHlsFile('/srv/hls', segs), undefined, segs.join('|'));
  }
});
