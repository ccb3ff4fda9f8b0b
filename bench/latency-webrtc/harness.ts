/**
 * What the WebRTC latency benchmark drives: Estuary as a child process (`npx tsx server/main.ts`
 * with `ESTUARY_*` overrides on random loopback ports), the shared publisher
 * (`publish_rtmp.sh`, background, stopped through its pid file), the shared measuring tools,
 * and a registry of everything started so that one `stopAll()` ends it all, also on error.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../..');
export const MEASURE = path.resolve(ROOT, '../shared/tools/measure/tools');

/** Time for the server to listen and for a new publisher's bridge to open. */
export const START_TIMEOUT_MS = 30_000;
/** The server's `bridge.lingerMs` here: short, so that the idle-bridge join trials need not wait long. */
export const BRIDGE_LINGER_MS = 2_000;
/** Grace between SIGTERM and SIGKILL for the server's process group. */
const STOP_GRACE_MS = 5_000;

export interface Stats {
  n: number;
  min: number;
  median: number;
  p95: number;
  max: number;
}

export function stats(values: readonly number[]): Stats | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number): number => Math.round(s[Math.min(s.length - 1, Math.round(q * (s.length - 1)))]!);
  return { n: s.length, min: Math.round(s[0]!), median: at(0.5), p95: at(0.95), max: Math.round(s[s.length - 1]!) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A random port in 50000–59999 (parallel engineers share the machine). */
export const randomPort = (): number => 50000 + Math.floor(Math.random() * 10000);

/** Cleanups run by stopAll(), newest first. */
const cleanups: (() => Promise<void>)[] = [];

export function onStop(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

/** Runs every registered cleanup (each once, errors ignored). */
export async function stopAll(): Promise<void> {
  for (let fn = cleanups.pop(); fn; fn = cleanups.pop()) await fn().catch(() => undefined);
}

export interface EstuaryChild {
  proc: ChildProcess;
  pid: number;
  http: number;
  rtmp: number;
  flv: number;
  stop(): Promise<void>;
}

/** Polls `fn` every 200 ms until it returns a value; throws after `timeoutMs`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Starts Estuary in its own process group (server + gateway worker + ffmpeg children); HLS off. */
export async function startEstuary(): Promise<EstuaryChild> {
  const http = randomPort();
  const rtmp = randomPort();
  const flv = randomPort();
  const hlsDir = mkdtempSync(path.join(os.tmpdir(), 'estuary-bench-webrtc-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ESTUARY_LOG_LEVEL: 'warn',
    ESTUARY_HTTP_HOST: '127.0.0.1',
    ESTUARY_HTTP_PORT: String(http),
    ESTUARY_RTMP_HOST: '127.0.0.1',
    ESTUARY_RTMP_PORT: String(rtmp),
    ESTUARY_FLV_HOST: '127.0.0.1',
    ESTUARY_FLV_PORT: String(flv),
    ESTUARY_RTSP_ENABLED: 'false',
    ESTUARY_HLS_ENABLED: 'false',
    ESTUARY_HLS_DIR: hlsDir,
    ESTUARY_WEBRTC_LISTEN_IP: '127.0.0.1',
    ESTUARY_WEBRTC_PORT: String(randomPort()),
    // On-demand bridges (the default where the server has them) stop this long after the last viewer.
    ESTUARY_BRIDGE_LINGER_MS: String(BRIDGE_LINGER_MS),
  };
  delete env.ESTUARY_CONFIG; // no config file: defaults + the overrides above
  const proc = spawn('npx', ['tsx', 'server/main.ts'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
  const pid = proc.pid;
  if (pid === undefined) throw new Error('could not start the server');
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const alive = (): boolean => proc.exitCode === null && proc.signalCode === null;
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // group already gone
    }
    const deadline = Date.now() + STOP_GRACE_MS;
    while (alive() && Date.now() < deadline) await sleep(100);
    try {
      process.kill(-pid, 'SIGKILL'); // whatever of the group is left (ffmpeg children)
    } catch {
      // group already gone
    }
    rmSync(hlsDir, { recursive: true, force: true });
  };
  onStop(stop);
  await until('the server', async () => ((await fetch(`http://127.0.0.1:${http}/api/v1/streams`, { signal: AbortSignal.timeout(1000) })).ok ? true : undefined), START_TIMEOUT_MS);
  return { proc, pid, http, rtmp, flv, stop };
}

/** Starts publish_rtmp.sh in the background (its own session); returns its stop function. */
export async function startPublisher(url: string, seconds: number, env: Record<string, string>): Promise<() => Promise<void>> {
  const pidfile = path.join(os.tmpdir(), `estuary-bench-webrtc-pub-${process.pid}-${Date.now()}.pid`);
  await run(path.join(MEASURE, 'publish_rtmp.sh'), [url, String(seconds)], { env: { ...process.env, ...env, BG: '1', PIDFILE: pidfile }, timeout: 10_000 });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await run(path.join(MEASURE, 'stop_pidfile.sh'), [pidfile, '3'], { timeout: 10_000 }).catch(() => undefined);
    rmSync(pidfile, { force: true });
    rmSync(pidfile.replace(/\.pid$/, '.log'), { force: true });
  };
  onStop(stop);
  return stop;
}

/** The API's `webrtc` status of a live stream (`{ bridged, ... }`), or undefined when not live. */
export async function webrtcStatus(http: number, streamPath: string): Promise<{ bridged?: boolean } | undefined> {
  const res = await fetch(`http://127.0.0.1:${http}/api/v1/streams/${streamPath}`, { signal: AbortSignal.timeout(1000) });
  if (!res.ok) return undefined;
  const body = (await res.json()) as { bitrate?: number; webrtc?: { bridged?: boolean } };
  return (body.bitrate ?? 0) > 0 ? (body.webrtc ?? {}) : undefined;
}

/** Waits until the stream is live with media flowing. */
export async function waitLive(http: number, streamPath: string): Promise<void> {
  await until(`${streamPath} live`, () => webrtcStatus(http, streamPath), START_TIMEOUT_MS);
}

/** Waits until the stream's bridge is (or is not) running; false on timeout. */
export async function waitBridgeState(http: number, streamPath: string, bridged: boolean, timeoutMs: number): Promise<boolean> {
  return until(`${streamPath} bridged=${bridged}`, async () => ((await webrtcStatus(http, streamPath))?.bridged === true) === bridged || undefined, timeoutMs).then(
    () => true,
    () => false,
  );
}

/** `wallclock_decode.py` on a URL: per-frame latency (arrival − capture) in ms. */
export async function wallclockLatencies(src: string, seconds: number, inArgs: string): Promise<number[]> {
  const { stdout } = await run('python3', [path.join(MEASURE, 'wallclock_decode.py'), src, '--seconds', String(seconds), '--in', inArgs], {
    timeout: (seconds + 20) * 1000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const out: number[] = [];
  for (const line of stdout.split('\n')) {
    const latency = line.trim().split(/\s+/)[2];
    if (latency !== undefined && /^-?\d+$/.test(latency)) out.push(Number(latency));
  }
  return out;
}

/** `cpu_pct.sh PID SECONDS --tree`: percent of one core used by the process tree. */
export async function cpuPct(pid: number, seconds: number): Promise<{ pct: number; pids: number }> {
  const { stdout } = await run(path.join(MEASURE, 'cpu_pct.sh'), [String(pid), String(seconds), '--tree'], { timeout: (seconds + 10) * 1000 });
  const pct = Number(/cpu_pct=([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  const pids = (/pids=(.*)$/m.exec(stdout)?.[1] ?? '').trim().split(/\s+/).filter(Boolean).length;
  return { pct, pids };
}

export function loadAverage(): number[] {
  return os.loadavg().map((x) => Math.round(x * 100) / 100);
}

/**
 * Runs a benchmark's `main` (or `mdOnly` with `--md-only`), then stops everything started
 * (stopAll) and exits: 0, 1 on an error, 130/143 on SIGINT/SIGTERM.
 */
export function runBench(main: () => Promise<void>, mdOnly: () => Promise<void> | void): void {
  let finished = false;
  const shutdown = async (code: number): Promise<void> => {
    if (finished) return;
    finished = true;
    await stopAll();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(130));
  process.on('SIGTERM', () => void shutdown(143));
  (process.argv.includes('--md-only') ? Promise.resolve().then(mdOnly) : main()).then(
    () => shutdown(0),
    (err: unknown) => {
      console.error(err);
      void shutdown(1);
    },
  );
}
