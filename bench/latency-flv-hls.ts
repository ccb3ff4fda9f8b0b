/**
 * Latency benchmark: HTTP-FLV end to end, a late FLV reader's first frame, LL-HLS (capture →
 * listed in a part) and plain HLS, on loopback with the shared measuring tools
 * (`../shared/tools/measure`, see its README): `publish_rtmp.sh` burns the capture wall clock
 * into every frame, `wallclock_decode.py` reads it back from any URL or file.
 *
 *   npx tsx bench/latency-flv-hls.ts
 *
 * Phases, one at a time so they do not compete for the CPU:
 * 1. `latency_floor.sh`: the measuring chain alone (publisher → pipe → decoder), no server.
 * 2. Estuary with fMP4 LL-HLS; `publish_rtmp.sh` (720p30, GOP 1 s, zerolatency) over RTMP:
 *    - FLV: `wallclock_decode.py` on `/live/bench.flv`, latency per frame (arrival − capture);
 *    - late FLV reader: `join_probe.py` (first keyframe after connecting, GOP cache);
 *    - LL-HLS: this script follows the playlist with blocking reload (`_HLS_msn`/`_HLS_part`,
 *      as hls.js does), records when each part is first listed, downloads it, and afterwards
 *      decodes init + part to read the capture time of each frame: latency = listed − capture.
 * 3. Estuary with MPEG-TS HLS (`hls.format: mpegts`, no parts): `hls_latency.py`, which
 *    decodes TS segments (its decoder takes self-contained segments), `hold3` being what a
 *    standard player three segments behind the edge sees.
 * Writes bench/results/latency-flv-hls.json and bench/results/latency-flv-hls.md.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseMediaPlaylist } from '../protocol/hls/playlist-parser.js';
import type { MediaPlaylist } from '../protocol/hls/playlist.js';
import { buildConfig } from '../server/config.js';
import { startServer, type EstuaryServer } from '../server/server.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '..');
const MEASURE = path.resolve(ROOT, '../shared/tools/measure/tools');
const RESULTS = path.join(here, 'results');

/** Seconds of each measurement. Short: the machine has 2 cores shared with other work. */
const FLOOR_S = 10;
const FLV_S = 15;
const JOIN_TRIALS = 8;
const LL_S = 15;
const PLAIN_S = 20;
/** Frames skipped at the start of the FLV read: the GOP-cache burst is not steady state. */
const FLV_SKIP_FRAMES = 60;
/** Time for the publisher to start and the first segments to exist. */
const WARMUP_TIMEOUT_MS = 30_000;
const PART_TARGET_S = 0.25;

interface Stats {
  n: number;
  min: number;
  median: number;
  p95: number;
  max: number;
}

function stats(values: number[]): Stats | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number): number => Math.round(s[Math.min(s.length - 1, Math.round(q * (s.length - 1)))]!);
  return { n: s.length, min: Math.round(s[0]!), median: at(0.5), p95: at(0.95), max: Math.round(s[s.length - 1]!) };
}

/** A random port in 50000–59999 (parallel engineers share the machine). */
const randomPort = (): number => 50000 + Math.floor(Math.random() * 10000);

async function startEstuary(format: 'fmp4' | 'mpegts', hlsDir: string): Promise<{ server: EstuaryServer; rtmp: number; flv: number }> {
  const rtmp = randomPort();
  const flv = randomPort();
  const config = buildConfig(
    {
      log: { level: 'warn' },
      http: { port: randomPort(), host: '127.0.0.1' },
      rtmp: { port: rtmp, host: '127.0.0.1' },
      flv: { port: flv, host: '127.0.0.1' },
      rtsp: { enabled: false },
      webrtc: { listenIp: '127.0.0.1', port: randomPort() },
      hls: { enabled: true, dir: hlsDir, format, segmentDuration: 1, partDuration: PART_TARGET_S, windowSegments: 6, cleanupDelay: 0 },
    },
    {},
  );
  return { server: await startServer(config), rtmp, flv };
}

/** Starts publish_rtmp.sh in the background; returns its stop function. */
async function startPublisher(url: string, seconds: number): Promise<() => Promise<void>> {
  const pidfile = path.join(os.tmpdir(), `estuary-bench-pub-${process.pid}.pid`);
  await run(path.join(MEASURE, 'publish_rtmp.sh'), [url, String(seconds)], { env: { ...process.env, BG: '1', PIDFILE: pidfile }, timeout: 10_000 });
  return async () => {
    await run(path.join(MEASURE, 'stop_pidfile.sh'), [pidfile, '3'], { timeout: 10_000 }).catch(() => undefined);
  };
}

async function fetchPlaylist(url: string): Promise<MediaPlaylist | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (res.status !== 200) return undefined;
  return parseMediaPlaylist(await res.text());
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** `wallclock_decode.py` lines "arrival capture latency_ms" → capture times and latencies. */
async function wallclock(src: string, args: string[], timeoutMs: number): Promise<{ captures: number[]; latencies: number[] }> {
  const { stdout } = await run('python3', [path.join(MEASURE, 'wallclock_decode.py'), src, ...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  const captures: number[] = [];
  const latencies: number[] = [];
  for (const line of stdout.split('\n')) {
    const [, capture, latency] = line.trim().split(/\s+/);
    if (capture === undefined || latency === undefined || !/^-?\d+$/.test(latency)) continue;
    captures.push(Number(capture));
    latencies.push(Number(latency));
  }
  return { captures, latencies };
}

async function measureFloor(): Promise<string> {
  const { stdout } = await run(path.join(MEASURE, 'latency_floor.sh'), [String(FLOOR_S)], { timeout: (FLOOR_S + 40) * 1000 });
  return stdout.trim();
}

async function measureFlv(url: string): Promise<Stats | null> {
  const { latencies } = await wallclock(url, ['--seconds', String(FLV_S), '--in', '-threads 1 -probesize 32768 -analyzeduration 0'], (FLV_S + 20) * 1000);
  return stats(latencies.slice(FLV_SKIP_FRAMES));
}

async function measureJoin(url: string): Promise<unknown> {
  const { stdout } = await run('python3', [path.join(MEASURE, 'join_probe.py'), url, '--trials', String(JOIN_TRIALS), '--json'], { timeout: 120_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as unknown;
}

/**
 * Follows the LL-HLS playlist the way a low-latency player does (blocking reload for the next
 * part), records the moment each part is first listed and downloads it; then decodes each
 * part with the init segment and returns, per frame, listed − capture in ms.
 */
async function measureLlHls(base: string): Promise<{ perFrame: Stats | null; firstFrame: Stats | null; lastFrame: Stats | null; parts: number; blockedMs: Stats | null }> {
  const seen = new Set<string>();
  const listed: { uri: string; at: number; bytes: Uint8Array }[] = [];
  const blocked: number[] = [];
  let pl = await until('an LL-HLS playlist', () => fetchPlaylist(`${base}/index.m3u8`), WARMUP_TIMEOUT_MS);
  const allParts = (p: MediaPlaylist): string[] => [...p.segments.flatMap((s) => (s.parts ?? []).map((x) => x.uri)), ...(p.pendingParts ?? []).map((x) => x.uri)];
  for (const uri of allParts(pl)) seen.add(uri);
  const mapUri = pl.map?.uri ?? pl.segments.find((s) => s.map)?.map?.uri ?? 'init.mp4';
  const init = new Uint8Array(await (await fetch(`${base}/${mapUri}`)).arrayBuffer());
  const deadline = Date.now() + LL_S * 1000;
  while (Date.now() < deadline) {
    const msn = pl.mediaSequence + pl.segments.length;
    const part = pl.pendingParts?.length ?? 0;
    const asked = Date.now();
    const next = await fetchPlaylist(`${base}/index.m3u8?_HLS_msn=${msn}&_HLS_part=${part}`);
    const at = Date.now() / 1000;
    blocked.push(Date.now() - asked);
    if (!next) continue;
    pl = next;
    for (const uri of allParts(pl)) {
      if (seen.has(uri)) continue;
      seen.add(uri);
      const bytes = new Uint8Array(await (await fetch(`${base}/${uri}`)).arrayBuffer());
      listed.push({ uri, at, bytes });
    }
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'estuary-bench-ll-'));
  const perFrame: number[] = [];
  const firstFrame: number[] = [];
  const lastFrame: number[] = [];
  try {
    // A part that does not start with a keyframe cannot be decoded alone: decode each
    // segment's parts as growing prefixes (init + parts 0..k) and take the frames part k adds.
    const bySegment = new Map<string, typeof listed>();
    for (const p of listed) {
      const m = /^part(\d+)\.(\d+)\.m4s$/.exec(p.uri);
      if (!m) continue;
      const list = bySegment.get(m[1]!) ?? [];
      if (list.length === Number(m[2])) list.push(p); // only complete runs from part 0
      bySegment.set(m[1]!, list);
    }
    for (const parts of bySegment.values()) {
      let before = 0;
      for (let k = 0; k < parts.length; k++) {
        const file = path.join(tmp, 'prefix.mp4');
        writeFileSync(file, Buffer.concat([init, ...parts.slice(0, k + 1).map((p) => p.bytes)]));
        const { captures } = await wallclock(file, [], 20_000).catch(() => ({ captures: [] as number[] }));
        const added = captures.slice(before);
        before = captures.length;
        const at = parts[k]!.at;
        if (added.length === 0) continue;
        for (const c of added) perFrame.push((at - c) * 1000);
        firstFrame.push((at - added[0]!) * 1000);
        lastFrame.push((at - added[added.length - 1]!) * 1000);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { perFrame: stats(perFrame), firstFrame: stats(firstFrame), lastFrame: stats(lastFrame), parts: listed.length, blockedMs: stats(blocked) };
}

async function phaseFmp4(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'estuary-bench-hls-'));
  const { server, rtmp, flv } = await startEstuary('fmp4', dir);
  const stop = await startPublisher(`rtmp://127.0.0.1:${rtmp}/live/bench`, FLV_S + JOIN_TRIALS * 4 + LL_S + 40);
  try {
    const hlsBase = `http://127.0.0.1:${server.port}/hls/live/bench`;
    await until('the first segments', async () => ((await fetchPlaylist(`${hlsBase}/index.m3u8`))?.segments.length ?? 0) >= 2 || undefined, WARMUP_TIMEOUT_MS);
    const flvUrl = `http://127.0.0.1:${flv}/live/bench.flv`;
    console.log('measuring HTTP-FLV latency');
    const flvLatency = await measureFlv(flvUrl);
    console.log('measuring late FLV reader first frame');
    const join = await measureJoin(flvUrl);
    console.log('measuring LL-HLS');
    const ll = await measureLlHls(hlsBase);
    return { flvLatencyMs: flvLatency, flvJoin: join, llHls: ll };
  } finally {
    await stop();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function phasePlainTs(): Promise<unknown> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'estuary-bench-ts-'));
  const { server, rtmp } = await startEstuary('mpegts', dir);
  try {
    console.log('measuring plain HLS (MPEG-TS) with hls_latency.py');
    const { stdout } = await run(
      'python3',
      [path.join(MEASURE, 'hls_latency.py'), `http://127.0.0.1:${server.port}/hls/live/plain/index.m3u8`, '--publish', `rtmp://127.0.0.1:${rtmp}/live/plain`, '--seconds', String(PLAIN_S), '--json'],
      { timeout: (PLAIN_S + 90) * 1000, maxBuffer: 4 * 1024 * 1024 },
    );
    return JSON.parse(stdout.trim().split('\n').pop()!) as unknown;
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "median / p95 (n)"; join_probe.py gives no p95, so its rows show the max instead. */
function ms(s: Partial<Stats> | null | undefined): string {
  if (!s) return '—';
  return s.p95 !== undefined ? `${s.median} / ${s.p95} (n=${s.n})` : `${s.median} / max ${s.max} (n=${s.n})`;
}

async function main(): Promise<void> {
  console.log('measuring the chain floor (no server)');
  const floor = await measureFloor();
  console.log(floor);
  const fmp4 = await phaseFmp4();
  const plain = (await phasePlainTs()) as { hold3_latency_ms?: Stats; hold1_latency_ms?: Stats; edge_age_ms?: Stats; first_playlist_after_frame_ms?: number };
  const join = fmp4.flvJoin as { ttf_key_ms?: Partial<Stats>; ttfb_ms?: Partial<Stats>; age_key_ms?: Partial<Stats> };
  const ll = fmp4.llHls as Awaited<ReturnType<typeof measureLlHls>>;
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, note: 'loopback; CPU shared with other work' },
    publisher: 'publish_rtmp.sh: testsrc2 1280x720@30, x264 veryfast zerolatency baseline, GOP 1 s, ~2.5 Mb/s, AAC 128k',
    hls: { segmentDuration: 1, partDuration: PART_TARGET_S },
    floor,
    flvLatencyMs: fmp4.flvLatencyMs,
    flvJoin: fmp4.flvJoin,
    llHls: ll,
    plainHlsTs: plain,
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(path.join(RESULTS, 'latency-flv-hls.json'), JSON.stringify(result, null, 2) + '\n');
  const md = [
    '# Latency: HTTP-FLV, LL-HLS, HLS (loopback)',
    '',
    `${result.date}; ${result.machine.cpus} CPUs (${result.machine.model ?? '?'}), shared; publisher ${result.publisher}.`,
    `Chain floor (no server): ${floor}.`,
    '',
    '| measure | median / p95 ms | target |',
    '|---|---|---|',
    `| HTTP-FLV end to end (capture → decoded frame) | ${ms(fmp4.flvLatencyMs as Stats | null)} | < 500 |`,
    `| late FLV reader: first keyframe after connect (join_probe ttf_key) | ${ms(join.ttf_key_ms)} | < 300 |`,
    `| late FLV reader: age of that first picture (age_key) | ${ms(join.age_key_ms)} | |`,
    `| LL-HLS: capture → listed in a part, per frame | ${ms(ll.perFrame)} | < 2000 |`,
    `| LL-HLS: capture of a part's first frame → part listed | ${ms(ll.firstFrame)} | |`,
    `| LL-HLS: capture of a part's last frame → part listed | ${ms(ll.lastFrame)} | |`,
    `| LL-HLS: blocking reload held for | ${ms(ll.blockedMs)} | |`,
    `| plain HLS (TS): segment listed − capture of its first frame (hold1) | ${ms(plain.hold1_latency_ms)} | |`,
    `| plain HLS (TS): player 3 segments back (hold3) | ${ms(plain.hold3_latency_ms)} | |`,
    `| plain HLS (TS): first playlist after first frame | ${plain.first_playlist_after_frame_ms ?? '—'} | |`,
    '',
    'FLV latency includes the publisher\'s encode and the decoder (see the floor); LL-HLS and HLS figures end when the part or segment is listed, before any player buffer.',
    '',
  ].join('\n');
  writeFileSync(path.join(RESULTS, 'latency-flv-hls.md'), md);
  console.log(md);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
