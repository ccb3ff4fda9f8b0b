/**
 * HTTP-FLV fan-out benchmark: one RTMP publisher at ~2 Mb/s (720p30 H.264 + AAC), N HTTP-FLV
 * readers, gateway worker CPU per reader and dropped frames.
 *
 *   npx tsx bench/fanout-flv.ts [N ...]        (default: 10 100 500)
 *   WORKERS=2 npx tsx bench/fanout-flv.ts ...  (gateway.workers; CPU summed over the workers;
 *                                               results in fanout-flv-workers2.*)
 *
 * The publisher loops a clip encoded once (testsrc2 1280x720@30, libx264 veryfast, 2 Mb/s,
 * GOP 1 s, AAC 128k) with `-c copy`, so the encoder's CPU does not compete with the gateway.
 * The readers run in a separate process (this file with `--readers`): each parses its FLV
 * body with the FLV tag reader, counts bytes and tags, and counts gaps (a video timestamp jump
 * over GAP_MS, which is what a drop-to-keyframe looks like to a viewer). Gateway CPU comes
 * from /proc/<worker pid>/stat (utime + stime) over the measurement window.
 * Writes bench/results/fanout-flv.json and bench/results/fanout-flv.md.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlvTagReader } from '../protocol/flv/tag-reader.js';
import { FlvTagType } from '../protocol/flv/tag.js';

/** gateway.workers for the run (a stream lives on one worker; viewers on the others come through a relay). */
const WORKERS = Number(process.env.WORKERS ?? 1);
/** Seconds the readers run before measuring (GOP bursts of joining readers settle). */
const WARMUP_S = 6;
/** Seconds measured. */
const MEASURE_S = 20;
/** A video timestamp jump longer than this is a gap (30 fps: 33 ms per frame; 6+ frames missing). */
const GAP_MS = 200;
/** Readers connect in batches of this size, BATCH_PAUSE_MS apart, so joins are not one spike. */
const CONNECT_BATCH = 25;
const BATCH_PAUSE_MS = 100;
/** Clock ticks per second of /proc/<pid>/stat times (CLK_TCK; 100 on Linux). */
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

const here = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.join(here, 'results');

interface ReaderReport {
  readers: number;
  alive: number;
  /** Per reader over the measurement window. */
  kbpsMin: number;
  kbpsMedian: number;
  tagsMedian: number;
  gapsTotal: number;
  readersWithGaps: number;
  errors: number;
}

// ---------------------------------------------------------------------------------- readers

/** Reader-process mode: N HTTP-FLV readers of `url`, a JSON report on stdout at the end. */
async function runReaders(url: string, n: number): Promise<void> {
  interface R {
    bytes: number;
    tags: number;
    gaps: number;
    lastVideoMs: number | undefined;
    alive: boolean;
    at: { bytes: number; tags: number; gaps: number };
  }
  const readers: R[] = [];
  const requests: http.ClientRequest[] = [];
  let errors = 0;
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  for (let i = 0; i < n; i++) {
    const r: R = { bytes: 0, tags: 0, gaps: 0, lastVideoMs: undefined, alive: true, at: { bytes: 0, tags: 0, gaps: 0 } };
    readers.push(r);
    const parser = new FlvTagReader();
    const req = http.get(url, { agent }, (res) => {
      res.on('data', (d: Buffer) => {
        r.bytes += d.length;
        for (const tag of parser.push(d)) {
          r.tags++;
          if (tag.type !== FlvTagType.Video) continue;
          if (r.lastVideoMs !== undefined && tag.timestamp - r.lastVideoMs > GAP_MS) r.gaps++;
          r.lastVideoMs = tag.timestamp;
        }
      });
      res.on('end', () => (r.alive = false));
    });
    req.on('error', () => {
      errors++;
      r.alive = false;
    });
    requests.push(req);
    if (i % CONNECT_BATCH === CONNECT_BATCH - 1) await sleep(BATCH_PAUSE_MS);
  }
  await sleep(WARMUP_S * 1000);
  for (const r of readers) r.at = { bytes: r.bytes, tags: r.tags, gaps: r.gaps };
  process.stdout.write('MEASURE_START\n');
  await sleep(MEASURE_S * 1000);
  const kbps = readers.map((r) => ((r.bytes - r.at.bytes) * 8) / MEASURE_S / 1000).sort((a, b) => a - b);
  const tags = readers.map((r) => r.tags - r.at.tags).sort((a, b) => a - b);
  const gaps = readers.map((r) => r.gaps - r.at.gaps);
  const report: ReaderReport = {
    readers: n,
    alive: readers.filter((r) => r.alive).length,
    kbpsMin: round(kbps[0] ?? 0),
    kbpsMedian: round(kbps[Math.floor(kbps.length / 2)] ?? 0),
    tagsMedian: tags[Math.floor(tags.length / 2)] ?? 0,
    gapsTotal: gaps.reduce((a, b) => a + b, 0),
    readersWithGaps: gaps.filter((g) => g > 0).length,
    errors,
  };
  process.stdout.write(`REPORT ${JSON.stringify(report)}\n`);
  for (const req of requests) req.destroy();
  agent.destroy();
}

// ---------------------------------------------------------------------------------- driver

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;

async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 41000 + Math.floor(Math.random() * 9000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port');
}

/** utime + stime of several processes, in seconds. */
function cpuOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? round(Number(m[1]) / 1024) : 0;
}

/** The 2 Mb/s clip, encoded once and cached in the temp dir. */
function ensureClip(): string {
  const file = path.join(os.tmpdir(), 'estuary-bench-720p30-2mbps.flv');
  if (existsSync(file)) return file;
  console.log('encoding the 10 s 720p clip once (libx264 veryfast, 2 Mb/s)...');
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=44100',
    '-t', '10', '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '2M', '-maxrate', '2M', '-bufsize', '2M',
    '-g', '30', '-keyint_min', '30', '-sc_threshold', '0', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', '-f', 'flv', file,
  ]);
  return file;
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return res.json();
}

interface Row {
  readers: number;
  alive: number;
  workerCpuPct: number;
  cpuPctPerReader: number;
  serverCpuPct: number;
  /** The process running all N readers: when it nears 100%, readers (not the gateway) are the limit. */
  readerProcessCpuPct: number;
  workerRssMb: number;
  kbpsPerReaderMedian: number;
  kbpsPerReaderMin: number;
  ingestKbps: number;
  droppedFrames: number;
  gaps: number;
  readersWithGaps: number;
}

async function measure(n: number, ctx: { http: string; flv: string; workerPids: number[] }): Promise<Row> {
  const self = fileURLToPath(import.meta.url);
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', self, '--readers', `${ctx.flv}/live/bench.flv`, String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const started = new Promise<void>((resolve) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('MEASURE_START')) resolve();
    });
  });
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timeout = setTimeout(() => child.kill('SIGKILL'), (WARMUP_S + MEASURE_S + 60) * 1000);
  try {
    await Promise.race([started, done]);
    const stream0 = (await getJson(`${ctx.http}/api/v1/streams/live/bench`)) as { drops: number };
    const w0 = cpuOf(ctx.workerPids);
    const s0 = cpuSeconds(process.pid);
    const r0 = cpuSeconds(child.pid!);
    const t0 = performance.now();
    // The reader process's own CPU, sampled just before it reports (it exits right after).
    let r1 = r0;
    const sampler = setInterval(() => {
      try {
        r1 = cpuSeconds(child.pid!);
      } catch {
        // exited
      }
    }, 500);
    // Ingest bitrate: the mean of the stats reports (one per 2 s) over the window.
    const ingest: number[] = [];
    const ingestSampler = setInterval(() => {
      getJson(`${ctx.http}/api/v1/streams/live/bench`).then(
        (s) => ingest.push((s as { bitrate: number }).bitrate),
        () => {},
      );
    }, 2000);
    await done;
    clearInterval(sampler);
    clearInterval(ingestSampler);
    const elapsed = (performance.now() - t0) / 1000;
    const readerCpu = ((r1 - r0) / elapsed) * 100;
    const workerCpu = ((cpuOf(ctx.workerPids) - w0) / elapsed) * 100;
    const serverCpu = ((cpuSeconds(process.pid) - s0) / elapsed) * 100;
    // Let the next stats report land so drops cover the window.
    await sleep(2500);
    const stream1 = (await getJson(`${ctx.http}/api/v1/streams/live/bench`)) as { drops: number };
    const line = out.split('\n').find((l) => l.startsWith('REPORT '));
    if (!line) throw new Error(`reader process gave no report:\n${out}`);
    const rep = JSON.parse(line.slice(7)) as ReaderReport;
    return {
      readers: n,
      alive: rep.alive,
      workerCpuPct: round(workerCpu),
      cpuPctPerReader: round(workerCpu / n, 3),
      serverCpuPct: round(serverCpu),
      readerProcessCpuPct: round(readerCpu),
      workerRssMb: round(ctx.workerPids.reduce((sum, pid) => sum + rssMb(pid), 0)),
      kbpsPerReaderMedian: rep.kbpsMedian,
      kbpsPerReaderMin: rep.kbpsMin,
      ingestKbps: round(ingest.reduce((a, b) => a + b, 0) / Math.max(1, ingest.length) / 1000),
      droppedFrames: stream1.drops - stream0.drops,
      gaps: rep.gapsTotal,
      readersWithGaps: rep.readersWithGaps,
    };
  } finally {
    clearTimeout(timeout);
    child.kill('SIGKILL');
    await sleep(1500); // readers' sockets close; the worker settles before the next size
  }
}

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  if (sizes.length === 0) sizes.push(10, 100, 500);
  process.env.ESTUARY_LOG_LEVEL ??= 'warn';
  const { buildConfig } = await import('../server/config.js');
  const { startServer } = await import('../server/server.js');
  const clip = ensureClip();
  const [httpPort, rtmpPort, flvPort, webrtcPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const server = await startServer(
    buildConfig(
      {
        log: { level: 'warn' },
        http: { port: httpPort, host: '127.0.0.1' },
        rtmp: { port: rtmpPort, host: '127.0.0.1' },
        flv: { port: flvPort, host: '127.0.0.1' },
        webrtc: { listenIp: '127.0.0.1', port: webrtcPort, portMax: webrtcPort },
        hls: { enabled: false },
        gateway: { workers: WORKERS },
        rtsp: { enabled: false },
      },
      {},
    ),
  );
  const ctx = { http: `http://127.0.0.1:${httpPort}`, flv: `http://127.0.0.1:${flvPort}`, workerPids: [] as number[] };
  const publisher = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', clip, '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${rtmpPort}/live/bench`], { stdio: 'inherit' });
  const rows: Row[] = [];
  try {
    const workers = (await getJson(`${ctx.http}/api/v1/gateway/workers`)) as { workers: { pid: number }[] };
    ctx.workerPids = workers.workers.map((w) => w.pid);
    for (let i = 0; i < 50; i++) {
      const r = await fetch(`${ctx.http}/api/v1/streams/live/bench`);
      await r.arrayBuffer();
      if (r.ok) break;
      await sleep(200);
    }
    await sleep(3000);
    const idle0 = cpuOf(ctx.workerPids);
    await sleep(5000);
    const idleCpu = round(((cpuOf(ctx.workerPids) - idle0) / 5) * 100);
    console.log(`publisher only: gateway worker(s) ${idleCpu}% of one core`);
    for (const n of sizes) {
      const row = await measure(n, ctx);
      rows.push(row);
      console.log(JSON.stringify(row));
    }
    const cpus = os.cpus();
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus.length, model: cpus[0]?.model ?? '', node: process.version },
      workers: WORKERS,
      publisher: '720p30 H.264 2 Mb/s (libx264 veryfast, GOP 1 s) + AAC 128k, looped with -c copy',
      warmupSeconds: WARMUP_S,
      measureSeconds: MEASURE_S,
      gapMs: GAP_MS,
      publisherOnlyWorkerCpuPct: idleCpu,
      rows,
    };
    mkdirSync(RESULTS, { recursive: true });
    const name = WORKERS === 1 ? 'fanout-flv' : `fanout-flv-workers${WORKERS}`;
    writeFileSync(path.join(RESULTS, `${name}.json`), JSON.stringify(result, null, 2) + '\n');
    const md = [
      `# HTTP-FLV fan-out (${result.date})`,
      '',
      `${result.publisher}; gateway.workers ${WORKERS} (CPU and RSS summed over them); ${cpus.length} CPUs (${result.machine.model}), Node ${process.version}. Readers in a separate process on the same machine.`,
      `CPU in % of one core over ${MEASURE_S} s after ${WARMUP_S} s warm-up; publisher alone: gateway ${idleCpu}%.`,
      '',
      '| readers | alive | worker CPU % | CPU % / reader | server CPU % | reader process CPU % | worker RSS MB | kb/s per reader (median / min) | ingest kb/s | dropped frames | gaps (readers) |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...rows.map((r) => `| ${r.readers} | ${r.alive} | ${r.workerCpuPct} | ${r.cpuPctPerReader} | ${r.serverCpuPct} | ${r.readerProcessCpuPct} | ${r.workerRssMb} | ${r.kbpsPerReaderMedian} / ${r.kbpsPerReaderMin} | ${r.ingestKbps} | ${r.droppedFrames} | ${r.gaps} (${r.readersWithGaps}) |`),
      '',
    ].join('\n');
    writeFileSync(path.join(RESULTS, `${name}.md`), md);
    console.log('\n' + md);
  } finally {
    publisher.kill('SIGKILL');
    await server.close();
  }
}

if (process.argv[2] === '--readers') {
  await runReaders(process.argv[3]!, Number(process.argv[4]));
  process.exit(0);
} else {
  await main();
  process.exit(0);
}
