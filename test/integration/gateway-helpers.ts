/**
 * Helpers for the gateway integration tests: a real Estuary server on random 127.0.0.1
 * ports, ffmpeg publishers, ffprobe, and an HTTP-FLV reader parsed with the FLV tag reader.
 * Every wait is bounded; every child and server is registered for cleanup.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { buildConfig } from '../../server/config.js';
import { randomWebRtcPort } from '../helpers/room-server.js';
import { startServer, type EstuaryServer } from '../../server/server.js';
import { FlvTagReader } from '../../protocol/flv/tag-reader.js';
import type { FlvTag } from '../../protocol/flv/tag.js';

/** A port in 41000–49999 that was free a moment ago (parallel engineers share the machine). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 41000 + Math.floor(Math.random() * 9000);
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port found');
}

export interface TestServer {
  server: EstuaryServer;
  http: string;
  rtmp: string;
  flv: string;
  rtmpPort: number;
  flvPort: number;
}

/** Starts Estuary with RTMP and FLV on random ports; extra config merged on top. */
export async function startTestServer(extra: Record<string, unknown> = {}): Promise<TestServer> {
  const [httpPort, rtmpPort, flvPort] = [await freePort(), await freePort(), await freePort()];
  const webrtcPort = randomWebRtcPort();
  const config = buildConfig(
    {
      http: { port: httpPort, host: '127.0.0.1' },
      rtmp: { port: rtmpPort, host: '127.0.0.1' },
      flv: { port: flvPort, host: '127.0.0.1' },
      webrtc: { listenIp: '127.0.0.1', port: webrtcPort, portMax: webrtcPort },
      hls: { enabled: false },
      rtsp: { enabled: false },
      ...extra,
    },
    {},
  );
  const server = await startServer(config);
  return { server, http: `http://127.0.0.1:${server.port}`, rtmp: `rtmp://127.0.0.1:${rtmpPort}`, flv: `http://127.0.0.1:${flvPort}`, rtmpPort, flvPort };
}

const children = new Set<ChildProcess>();

/** ffmpeg publishing H.264 + AAC (testsrc 320x240, 25 fps, GOP 1 s) to `url` for `seconds`; `x264` adds encoder options. */
export function publish(url: string, seconds = 60, x264: readonly string[] = []): { child: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
  const child = spawn(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', ...x264, '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', '-t', String(seconds), '-f', 'flv', url],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  children.add(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    children.delete(child);
    resolve(code);
  }));
  return { child, exited, stderr: () => err };
}

/** Kills every child the helpers started (call in after()). */
export function killChildren(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes (then throws). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000, stepMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.json() };
}

/** ffprobe's streams of a URL: codec, size. */
export function probe(url: string, timeoutMs = 15_000): Promise<{ codec_name: string; width?: number; height?: number; sample_rate?: string }[]> {
  return new Promise((resolve, reject) => {
    execFile('ffprobe', ['-v', 'error', '-rw_timeout', '5000000', '-show_entries', 'stream=codec_name,width,height,sample_rate', '-of', 'json', url], { timeout: timeoutMs }, (err, stdout) => {
      if (err) return reject(err);
      resolve((JSON.parse(stdout) as { streams: never[] }).streams);
    });
  });
}

export interface FlvRead {
  status: number;
  tags: FlvTag[];
  /** Date.now() when each tag arrived. */
  arrivals: number[];
  headers: http.IncomingHttpHeaders;
}

/**
 * Reads an HTTP-FLV URL until `enough(tags)`; at `timeoutMs` rejects, or with `forMs`
 * semantics (`enough` = () => false, `resolveOnTimeout`) resolves with what arrived.
 */
export function readFlv(url: string, enough: (tags: FlvTag[]) => boolean, timeoutMs = 10_000, resolveOnTimeout = false): Promise<FlvRead> {
  return new Promise((resolve, reject) => {
    const reader = new FlvTagReader();
    const tags: FlvTag[] = [];
    const arrivals: number[] = [];
    let result: FlvRead | undefined;
    const req = http.get(url, (res) => {
      result = { status: res.statusCode ?? 0, tags, arrivals, headers: res.headers };
      const finish = (): void => {
        clearTimeout(timer);
        req.destroy();
        resolve(result!);
      };
      res.on('data', (d: Buffer) => {
        for (const tag of reader.push(d)) {
          tags.push(tag);
          arrivals.push(Date.now());
        }
        if (enough(tags)) finish();
      });
      res.on('end', finish);
    });
    const timer = setTimeout(() => {
      req.destroy();
      if (resolveOnTimeout && result) resolve(result);
      else reject(new Error(`readFlv ${url}: timed out with ${tags.length} tags`));
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Pids of the processes whose parent is `parent` and whose command line contains `marker` (Linux /proc). */
export function childPids(parent: number, marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after "(comm)": state, ppid, ... (proc(5)); comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker)) pids.push(Number(name));
    } catch {
      // the process went away meanwhile
    }
  }
  return pids;
}
