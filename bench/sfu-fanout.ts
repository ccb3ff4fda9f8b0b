/**
 * SFU fan-out benchmark: one WebRTC publisher at ~1.5 Mb/s (VP8 720p30 + Opus 64k) publishing by
 * WHIP, N WebRTC subscribers viewing by WHEP, the Estuary server's CPU per forwarded packet
 * (the Node process and its mediasoup workers), delivery, consumers per core and where the
 * viewers were placed.
 *
 *   npx tsx bench/sfu-fanout.ts [N ...]            (default: 0 100 200 400; N = 0 is the ingest cost)
 *   --workers 2                                    (webrtc.workers, default 2)
 *   --max-consumers-per-worker 200                 (webrtc.maxConsumersPerWorker, default 200)
 *   --profile                                      (also --cpu-prof the Node server process; prints hot spots)
 *   --eld-ms 10                                    (event-loop monitor resolution, default 1 ms)
 *
 * Processes, fresh for every N (helpers under bench/sfu-fanout/, driven over IPC):
 * - server (`server-process.ts`): the Estuary server (`startServer`, gateway/HLS/RTMP/RTSP/FLV
 *   off) on 127.0.0.1, HTTP on an ephemeral port, `webrtc.workers` mediasoup workers each with
 *   one WebRtcServer port; reports the WHIP producers' and WHEP consumers' mediasoup counters,
 *   viewer placement per worker and its event-loop delay.
 * - publisher (`publisher.ts`): a node-datachannel peer whose VP8 and Opus tracks carry the RTP
 *   of `ffmpeg -re -stream_loop -1 -c copy -f rtp` (pkt_size 1200) replaying a clip encoded once
 *   (testsrc2 1280x720@30, libvpx realtime cpu-used 8, 1500k, GOP 30; Opus 64k); its offer is
 *   POSTed to /whip/live/bench by this driver.
 * - subscribers (`subscribers.ts`): up to SUBSCRIBERS_PER_PROCESS node-datachannel peers per
 *   process; each POSTs a recvonly VP8 + Opus offer to /whep/live/bench, counts RTP and sequence
 *   gaps, sends no RTCP.
 * Method: after every subscriber receives both kinds (or, past the deadline, MIN_RECEIVING_SHARE of
 * them; subscribers whose peer connection failed view again meanwhile), WARMUP_S of warm-up, then
 * a MEASURE_S window. At its start: the WHEP consumers' counters (slow: one request each), then
 * the WHIP producers' and the subscribers' counters back to back, then the CPU (utime + stime of
 * /proc/<pid>/stat) of the Node server process and of every worker pid (`sfu.workerPids()`); at
 * its end the same in reverse order, so reading the counters costs the window nothing.
 * µs per forwarded packet = server CPU rate / rate of packets the WHEP consumers sent (mediasoup
 * `outbound-rtp` packetCount); marginal = the same less the N = 0 CPU rate; delivery = packets
 * received by subscribers / (packets the WHIP producers received × N), split into what the
 * server sent (consumers' packets / expected) and what the pipeToRouter hop delivered to the
 * viewer routers; consumers per core = WHEP consumers / (server CPU % / 100).
 * Writes bench/results/sfu-fanout.{json,md}; when bench/results/sfu-fanout-old-engine.json (this
 * bench before the switch to mediasoup, commit b64f7b4) is there, the .md compares N = 100 with it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PublisherApi, PublisherReady, EgressSnapshot, IngestSnapshot, ServerApi, ServerReady, SubscribersApi, SubscribersSnapshot } from './sfu-fanout/api.js';
import { RpcClient, type Api } from './sfu-fanout/rpc.js';

/** Seconds after every subscriber receives media before measuring (joins' keyframes settle). */
const WARMUP_S = 5;
/** Seconds measured. */
const MEASURE_S = 20;
/** WHEP POSTs in flight at once. */
const SETUP_CONCURRENCY = 10;
/** Subscribers per process: node-datachannel hands every packet to that process's one JS thread. */
const SUBSCRIBERS_PER_PROCESS = 100;
/** Bounds: a helper starting (tsx compile), media to start, every subscriber receiving (plus per subscriber). */
const READY_TIMEOUT_MS = 30_000;
const MEDIA_TIMEOUT_MS = 20_000;
const RECEIVING_TIMEOUT_MS = 60_000;
const RECEIVING_TIMEOUT_PER_SUBSCRIBER_MS = 150;
/** Share of subscribers that must receive both kinds by the deadline for the point to be measured anyway (`receiving` says how many). */
const MIN_RECEIVING_SHARE = 0.95;
/** How often subscribers whose peer connection failed view again while waiting for all to receive. */
const REJOIN_EVERY_MS = 10_000;
/** Bound on one re-join's WHEP POST (the subscribers process's own POST bound is 15 s). */
const POST_TIMEOUT_PER_REJOIN_MS = 16_000;
/** Bound on the WHIP POST. */
const WHIP_TIMEOUT_MS = 15_000;
/** Setup attempts per point (each with fresh processes); a point that fails them all is reported as failed. */
const MAX_ATTEMPTS = 2;
/** A helper asked to close gets this long before SIGKILL. */
const EXIT_TIMEOUT_MS = 5_000;
/** The WebRtcServer ports: worker i listens on base + i; the base is drawn from this range per point. */
const WEBRTC_PORT_MIN = 42_000;
const WEBRTC_PORT_SPAN = 8_000;
/** The stream published and viewed. */
const STREAM_PATH = 'live/bench';
/** Targets from the issue (14): delivery at the largest N, and CPU per packet against the old engine at N = 100. */
const TARGET_DELIVERY = 0.995;
const TARGET_DELIVERY_N = 400;
const TARGET_SPEEDUP = 3;
const COMPARE_N = 100;
/** Clock ticks per second of /proc/<pid>/stat times. */
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

const here = path.dirname(fileURLToPath(import.meta.url));
const HELPERS = path.join(here, 'sfu-fanout');
const RESULTS = path.join(here, 'results');
const OLD_ENGINE_RESULT = path.join(RESULTS, 'sfu-fanout-old-engine.json');
const PROFILE_DIR = path.join(os.tmpdir(), 'estuary-sfu-fanout-prof');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** Every child this driver started, killed on any exit path. */
const children = new Set<ChildProcess>();

function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function spawnHelper<A extends Api>(file: string, name: string, args: string[] = [], nodeArgs: string[] = []): RpcClient<A> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(HELPERS, file), ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ESTUARY_LOG_LEVEL: process.env.ESTUARY_LOG_LEVEL ?? 'warn' },
  });
  return new RpcClient<A>(track(child), name);
}

/** Asks a helper to close, then waits for it to exit (SIGKILL after EXIT_TIMEOUT_MS). */
async function stopHelper(rpc: RpcClient<Api & { close: { params: Record<string, never>; result: null } }> | undefined): Promise<void> {
  if (!rpc) return;
  const child = rpc.child;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  rpc.call('close', {}, EXIT_TIMEOUT_MS).catch(() => {});
  const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** Fields of /proc/<pid>/stat after the command name (field 3 onwards), or undefined once it is gone. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of a process (all its threads), in seconds (0 once it is gone). */
function cpuSeconds(pid: number | undefined): number {
  const fields = pid === undefined ? undefined : procStat(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / CLK_TCK : 0;
}

/** Resident set of a process, MB (0 once it is gone). */
function rssMb(pid: number): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return round(kb / 1024);
  } catch {
    return 0;
  }
}

/** Busy and total jiffies of the whole machine (/proc/stat `cpu` line), for the load beside the bench. */
function hostJiffies(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

async function waitUntil(what: string, predicate: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await sleep(200);
  }
  if (!(await predicate())) throw new Error(`timed out waiting for ${what}`);
}

/** The 1.5 Mb/s VP8 + Opus clip, encoded once and cached in the temp dir. */
function ensureClip(): string {
  const file = path.join(os.tmpdir(), 'estuary-bench-720p30-vp8-1500k-opus.webm');
  if (existsSync(file)) return file;
  console.log('encoding the 10 s 720p VP8 + Opus clip once...');
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '10', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1500k', '-g', '30', '-keyint_min', '30',
    '-pix_fmt', 'yuv420p', '-c:a', 'libopus', '-b:a', '64k', '-ac', '2', '-f', 'webm', `${file}.part`,
  ]);
  execFileSync('mv', [`${file}.part`, file]);
  return file;
}

interface Row {
  subscribers: number;
  /** Subscribers receiving both video and audio at the end of the window. */
  receiving: number;
  /** 1-minute load average just before the point started (other engineers share the machine). */
  loadBefore: number;
  /** CPU % of the machine's processes other than this bench's during the window (100 = one core). */
  otherLoadPct: number;
  /** The Node server process plus every mediasoup worker, % of one core. */
  serverCpuPct: number;
  nodeCpuPct: number;
  workerCpuPct: number[];
  ingestPps: number;
  ingestKbps: number;
  forwardedPps: number;
  usPerForwardedPacket: number | null;
  usPerForwardedPacketMarginal: number | null;
  /** WHEP consumers (2 per subscriber) per core of server CPU. */
  consumersPerCore: number | null;
  /** Packets the WHEP consumers sent / (producers' received × N): what the server itself delivered. */
  serverDelivery: number | null;
  /** Packets the viewer routers' pipe producers received / (producers' received × viewer routers): the pipeToRouter hop. */
  pipeDelivery: number | null;
  /** Subscribers' received / (producers' received × N), over the window. */
  delivery: number | null;
  /** Loss seen in the subscribers' sequence numbers over the window / expected. */
  seqLoss: number | null;
  /** The least-served subscriber's packets / the ingest over the window. */
  worstSubscriberDelivery: number | null;
  kbpsPerSubscriber: number | null;
  /** WHEP viewers per mediasoup worker index; workers that carry viewers. */
  viewersPerWorker: Record<string, number>;
  workersUsed: number;
  /** Routers by worker and role (source = the WHIP router, viewers = ViewerRouters). */
  routers: string[];
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  nodeRssMb: number;
  workerRssMb: number[];
  fds: number;
  threads: number;
  subscriberProcesses: number;
  subscriberProcessCpuPct: number | null;
  publisherCpuPct: number;
  ffmpegCpuPct: number;
  /** Setup attempts this point took (see measureWithRetry). */
  attempts: number;
  /** Subscribers that viewed again after their peer connection failed during setup. */
  rejoins: number;
}

interface PointContext {
  clip: string;
  eventLoopMs: number;
  workers: number;
  maxConsumersPerWorker: number;
  profile: boolean;
  /** The N = 0 server CPU rate, µs per second, when measured. */
  ingestCpuUsPerS: number | undefined;
}

/** CPU seconds of the server (Node process and each worker) and of the bench's other processes. */
interface CpuSample {
  atMs: number;
  node: number;
  workers: number[];
  subscribers: number;
  publisher: number;
  ffmpeg: number;
  host: { busy: number; total: number };
}

function sum(values: readonly number[]): number {
  return values.reduce((x, y) => x + y, 0);
}

/** Sums the subscriber processes' snapshots into one (perSubscriber concatenated). */
function mergeSubscribers(snaps: readonly SubscribersSnapshot[]): SubscribersSnapshot {
  const zero = (): Record<'video' | 'audio', number> => ({ video: 0, audio: 0 });
  const out: SubscribersSnapshot = {
    cpuUserUs: 0, cpuSystemUs: 0, atMs: 0, rssMb: 0, fds: 0, threads: 0,
    totals: { packets: zero(), bytes: zero(), lost: zero(), receiving: zero(), states: {} },
    perSubscriber: [],
  };
  for (const s of snaps) {
    out.cpuUserUs += s.cpuUserUs;
    out.cpuSystemUs += s.cpuSystemUs;
    out.rssMb += s.rssMb;
    for (const kind of ['video', 'audio'] as const) {
      out.totals.packets[kind] += s.totals.packets[kind];
      out.totals.bytes[kind] += s.totals.bytes[kind];
      out.totals.lost[kind] += s.totals.lost[kind];
      out.totals.receiving[kind] += s.totals.receiving[kind];
    }
    for (const [state, count] of Object.entries(s.totals.states)) out.totals.states[state] = (out.totals.states[state] ?? 0) + count;
    out.perSubscriber.push(...s.perSubscriber);
  }
  return out;
}

async function whipPublish(url: string, sdpOffer: string): Promise<string> {
  const res = await fetch(`${url}/whip/${STREAM_PATH}`, { method: 'POST', body: sdpOffer, headers: { 'Content-Type': 'application/sdp' }, signal: AbortSignal.timeout(WHIP_TIMEOUT_MS) });
  const body = await res.text();
  if (res.status !== 201) throw new Error(`WHIP answered ${res.status}: ${body.slice(0, 200)}`);
  return body;
}

async function measurePoint(n: number, ctx: PointContext): Promise<Row> {
  const loadBefore = round(os.loadavg()[0] ?? 0, 2);
  const nodeArgs = ctx.profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=server-n${n}.cpuprofile`] : [];
  const webrtcPort = WEBRTC_PORT_MIN + Math.floor(Math.random() * (WEBRTC_PORT_SPAN - ctx.workers));
  const server = spawnHelper<ServerApi>('server-process.ts', 'server', [String(ctx.eventLoopMs), String(ctx.workers), String(ctx.maxConsumersPerWorker), String(webrtcPort)], nodeArgs);
  let publisher: RpcClient<PublisherApi> | undefined;
  const subs: RpcClient<SubscribersApi>[] = [];
  let ffmpeg: ChildProcess | undefined;
  let rejoins = 0;
  try {
    const info = await server.ready<ServerReady>(READY_TIMEOUT_MS);
    publisher = spawnHelper<PublisherApi>('publisher.ts', 'publisher');
    const pubInfo = await publisher.ready<PublisherReady>(READY_TIMEOUT_MS);
    const pub = publisher;
    const offer = await pub.call('offer', {});
    // The offer goes without candidates: the server learns the publisher's address from its
    // first STUN check (peer-reflexive), sent only once it has the answer. With them, the
    // server's DTLS handshake can reach the publisher before the answer does, and libdatachannel
    // fails it ("unknown CA": no remote fingerprint yet) and closes the peer connection.
    const stripped = offer.sdpOffer.split('\r\n').filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates').join('\r\n');
    const sdpAnswer = await whipPublish(info.url, stripped);
    await pub.call('answer', { sdpAnswer });
    await waitUntil('the publisher tracks to open', async () => (await pub.call('stats', {})).tracksOpen === 2, MEDIA_TIMEOUT_MS);
    const rtp = (port: number, rtcpPort: number): string => `rtp://127.0.0.1:${port}?pkt_size=1200&rtcpport=${rtcpPort}`;
    ffmpeg = track(
      spawn('ffmpeg', [
        '-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', ctx.clip,
        '-map', '0:v:0', '-c', 'copy', '-f', 'rtp', rtp(pubInfo.rtpPorts.video, pubInfo.rtcpPorts.video),
        '-map', '0:a:0', '-c', 'copy', '-f', 'rtp', rtp(pubInfo.rtpPorts.audio, pubInfo.rtcpPorts.audio),
      ], { stdio: ['ignore', 'ignore', 'inherit'] }),
    );
    await waitUntil(
      'RTP at the server',
      async () => {
        const s = await server.call('ingest', {});
        return s.producers.length === 2 && s.producers.every((p) => p.packetCount > 0);
      },
      MEDIA_TIMEOUT_MS,
    );

    if (n > 0) {
      const processes = Math.ceil(n / SUBSCRIBERS_PER_PROCESS);
      for (let i = 0; i < processes; i++) subs.push(spawnHelper<SubscribersApi>('subscribers.ts', `subscribers${i}`));
      await Promise.all(subs.map((s) => s.ready(READY_TIMEOUT_MS)));
      const whepUrl = `${info.url}/whep/${STREAM_PATH}`;
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < n) {
          const i = next++;
          await subs[i % subs.length]!.call('view', { id: `sub${i}`, url: whepUrl });
        }
      };
      await Promise.all(Array.from({ length: Math.min(SETUP_CONCURRENCY, n) }, lane));
      // Under load a handshake now and then fails (libdatachannel closes the peer): such
      // subscribers view again, every REJOIN_EVERY_MS, and the count is reported.
      const deadline = Date.now() + RECEIVING_TIMEOUT_MS + n * RECEIVING_TIMEOUT_PER_SUBSCRIBER_MS;
      let lastRejoin = Date.now();
      for (;;) {
        const t = mergeSubscribers(await Promise.all(subs.map((s) => s.call('snapshot', {})))).totals;
        if (t.receiving.video === n && t.receiving.audio === n) break;
        // Past the deadline a few missing subscribers are measured as they are (their loss counts against delivery).
        if (Date.now() > deadline && Math.min(t.receiving.video, t.receiving.audio) >= n * MIN_RECEIVING_SHARE) break;
        if (Date.now() > deadline) {
          const placed = await server.call('egress', { resetEventLoop: false }).then((e) => e.viewersPerWorker, () => 'server gone');
          throw new Error(`timed out waiting for ${n} subscribers receiving video and audio: ${JSON.stringify({ receiving: t.receiving, states: t.states, rejoins, viewersPerWorker: placed })}`);
        }
        if (Date.now() - lastRejoin > REJOIN_EVERY_MS) {
          lastRejoin = Date.now();
          for (const s of subs) rejoins += (await s.call('rejoinFailed', { url: whepUrl }, POST_TIMEOUT_PER_REJOIN_MS * SUBSCRIBERS_PER_PROCESS)).rejoined;
        }
        await sleep(500);
      }
    }

    await sleep(WARMUP_S * 1000);
    const subPids = subs.map((s) => s.child.pid);
    const sampleCpu = (): CpuSample => ({
      atMs: performance.now(),
      node: cpuSeconds(info.pid),
      workers: info.workerPids.map((pid) => cpuSeconds(pid)),
      subscribers: sum(subPids.map((pid) => cpuSeconds(pid))),
      publisher: cpuSeconds(pubInfo.pid),
      ffmpeg: cpuSeconds(ffmpeg?.pid),
      host: hostJiffies(),
    });
    const snapshotSubs = async (): Promise<SubscribersSnapshot | undefined> => (subs.length > 0 ? mergeSubscribers(await Promise.all(subs.map((s) => s.call('snapshot', {})))) : undefined);
    // Start: the slow egress read, then ingest and subscribers back to back (in-flight packets
    // cancel), then the CPU; the end in reverse, so no counter read is inside the CPU window.
    const a = await server.call('egress', { resetEventLoop: true });
    const inA = await server.call('ingest', {});
    const subA = await snapshotSubs();
    const cpuA = sampleCpu();
    await sleep(MEASURE_S * 1000);
    const cpuB = sampleCpu();
    const inB = await server.call('ingest', {});
    const subB = await snapshotSubs();
    const b = await server.call('egress', { resetEventLoop: false });
    const pidsAfter = await server.call('workerPids', {});
    if (pidsAfter.join(',') !== info.workerPids.join(',')) throw new Error(`a mediasoup worker died during the window (${info.workerPids.join(',')} → ${pidsAfter.join(',')})`);
    const row = computeRow(n, { a, b, inA, inB, subA, subB, cpuA, cpuB }, ctx);
    row.rejoins = rejoins;
    row.loadBefore = loadBefore;
    row.subscriberProcesses = subs.length;
    row.nodeRssMb = rssMb(info.pid);
    row.workerRssMb = info.workerPids.map(rssMb);
    return row;
  } finally {
    await Promise.all(subs.map((s) => stopHelper(s)));
    await stopProcess(ffmpeg);
    await stopHelper(publisher);
    await stopHelper(server);
  }
}

/**
 * One point, retried on a setup failure with fresh processes: under load libdatachannel now and
 * then refuses an answer or fails a handshake; the failure is reported, not hidden.
 */
async function measureWithRetry(n: number, ctx: PointContext): Promise<Row | FailedPoint> {
  const loadBefore = round(os.loadavg()[0] ?? 0, 2);
  const errors: string[] = [];
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    console.log(`N = ${n}: setting up${attempt > 1 ? ` (attempt ${attempt})` : ''}...`);
    try {
      const row = await measurePoint(n, ctx);
      row.attempts = attempt;
      return row;
    } catch (err) {
      errors.push((err as Error).message.split('\n')[0] ?? '');
      console.log(`N = ${n}: attempt ${attempt} failed: ${errors.at(-1)}`);
    }
  }
  return { subscribers: n, loadBefore, attempts: MAX_ATTEMPTS, errors };
}

/** A point whose every attempt failed: what each failure said. */
interface FailedPoint {
  subscribers: number;
  loadBefore: number;
  attempts: number;
  errors: string[];
}

/** What the window's two ends read. */
interface WindowReads {
  a: EgressSnapshot;
  b: EgressSnapshot;
  inA: IngestSnapshot;
  inB: IngestSnapshot;
  subA: SubscribersSnapshot | undefined;
  subB: SubscribersSnapshot | undefined;
  cpuA: CpuSample;
  cpuB: CpuSample;
}

function computeRow(n: number, w: WindowReads, ctx: PointContext): Row {
  const { a, b, inA, inB, subA, subB, cpuA, cpuB } = w;
  // Each rate over its own reads' window: CPU (driver's clock), ingest, and egress between the
  // midpoints of its reads (hundreds of getStats() requests).
  const cpuWindowS = (cpuB.atMs - cpuA.atMs) / 1000;
  const ingestWindowS = (inB.atMs - inA.atMs) / 1000;
  const egressWindowS = ((b.startMs + b.endMs) / 2 - (a.startMs + a.endMs) / 2) / 1000;
  const nodeS = cpuB.node - cpuA.node;
  const workerS = cpuB.workers.map((v, i) => v - (cpuA.workers[i] ?? 0));
  const serverCpuUsPerS = ((nodeS + sum(workerS)) * 1e6) / cpuWindowS;
  const received = sum(inB.producers.map((p) => p.packetCount)) - sum(inA.producers.map((p) => p.packetCount));
  const bytesIn = sum(inB.producers.map((p) => p.byteCount)) - sum(inA.producers.map((p) => p.byteCount));
  const forwardedPps = (b.consumers.packetCount - a.consumers.packetCount) / egressWindowS;
  const pct = (seconds: number): number => round((seconds / cpuWindowS) * 100);
  const hostBusyPct = ((cpuB.host.busy - cpuA.host.busy) / (cpuB.host.total - cpuA.host.total)) * os.cpus().length * 100;
  const oursS = nodeS + sum(workerS) + (cpuB.subscribers - cpuA.subscribers) + (cpuB.publisher - cpuA.publisher) + (cpuB.ffmpeg - cpuA.ffmpeg);
  const viewerRouters = b.routers.filter((r) => r.role === 'viewers').length;
  const usPerPacket = forwardedPps > 0 ? serverCpuUsPerS / forwardedPps : null;
  const row: Row = {
    subscribers: n,
    receiving: 0,
    loadBefore: 0,
    otherLoadPct: round(Math.max(0, hostBusyPct - (oursS / cpuWindowS) * 100)),
    serverCpuPct: round(serverCpuUsPerS / 1e4),
    nodeCpuPct: pct(nodeS),
    workerCpuPct: workerS.map(pct),
    ingestPps: round(received / ingestWindowS),
    ingestKbps: round((bytesIn * 8) / ingestWindowS / 1000),
    forwardedPps: round(forwardedPps),
    usPerForwardedPacket: usPerPacket === null ? null : round(usPerPacket, 2),
    usPerForwardedPacketMarginal: usPerPacket !== null && ctx.ingestCpuUsPerS !== undefined ? round((serverCpuUsPerS - ctx.ingestCpuUsPerS) / forwardedPps, 2) : null,
    consumersPerCore: b.consumers.count > 0 && serverCpuUsPerS > 0 ? Math.round(b.consumers.count / (serverCpuUsPerS / 1e6)) : null,
    serverDelivery: received > 0 && b.consumers.count > 0 ? round((forwardedPps * ingestWindowS) / (received * (b.consumers.count / 2)), 5) : null,
    pipeDelivery: received > 0 && viewerRouters > 0 ? round((inB.piped.packetCount - inA.piped.packetCount) / (received * viewerRouters), 5) : null,
    delivery: null,
    seqLoss: null,
    worstSubscriberDelivery: null,
    kbpsPerSubscriber: null,
    viewersPerWorker: b.viewersPerWorker,
    workersUsed: Object.values(b.viewersPerWorker).filter((v) => v > 0).length,
    routers: b.routers.map((r) => `${r.role}@${r.worker}`),
    eventLoopP99Ms: b.eventLoop.p99Ms,
    eventLoopMaxMs: b.eventLoop.maxMs,
    nodeRssMb: b.rssMb,
    workerRssMb: [],
    fds: b.fds,
    threads: b.threads,
    subscriberProcesses: 0,
    subscriberProcessCpuPct: null,
    publisherCpuPct: pct(cpuB.publisher - cpuA.publisher),
    ffmpegCpuPct: pct(cpuB.ffmpeg - cpuA.ffmpeg),
    attempts: 1,
    rejoins: 0,
  };
  if (subA && subB && n > 0) {
    const got = subB.totals.packets.video + subB.totals.packets.audio - (subA.totals.packets.video + subA.totals.packets.audio);
    const lost = subB.totals.lost.video + subB.totals.lost.audio - (subA.totals.lost.video + subA.totals.lost.audio);
    const bytes = subB.totals.bytes.video + subB.totals.bytes.audio - (subA.totals.bytes.video + subA.totals.bytes.audio);
    const perSub = subB.perSubscriber.map((v, i) => v - (subA.perSubscriber[i] ?? 0));
    row.receiving = Math.min(subB.totals.receiving.video, subB.totals.receiving.audio);
    row.delivery = received > 0 ? round(got / (received * n), 5) : null;
    row.seqLoss = got + lost > 0 ? round(lost / (got + lost), 5) : null;
    row.worstSubscriberDelivery = received > 0 && perSub.length > 0 ? round(Math.min(...perSub) / received, 5) : null;
    row.kbpsPerSubscriber = round((bytes * 8) / ingestWindowS / 1000 / n);
    row.subscriberProcessCpuPct = pct(cpuB.subscribers - cpuA.subscribers);
  }
  return row;
}

/** Self time per function of a V8 .cpuprofile, top `limit`, in % of the profile's samples. */
function hotSpots(file: string, limit = 15): { fn: string; selfPct: number }[] {
  interface Node {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[] };
  const byId = new Map(prof.nodes.map((nd) => [nd.id, nd]));
  const self = new Map<string, number>();
  for (const id of prof.samples) {
    const nd = byId.get(id);
    if (!nd) continue;
    const { functionName, url, lineNumber } = nd.callFrame;
    const where = url ? `${path.relative(path.resolve(here, '..'), fileURLToPath(url.startsWith('file:') ? url : `file://${url}`))}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const total = prof.samples.length || 1;
  return [...self.entries()]
    .sort((x, y) => y[1] - x[1])
    .slice(0, limit)
    .map(([fn, count]) => ({ fn, selfPct: round((count / total) * 100) }));
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: path.resolve(here, '..') }).toString().trim();
  } catch {
    return 'unknown';
  }
}

/** Whether the code the server process runs on the media path (server/sfu, server/http, server/bridge, server/lib) differs from HEAD. */
function gitServerDirty(): boolean {
  return git(['status', '--porcelain', '--', 'server/sfu', 'server/http', 'server/bridge', 'server/lib', 'server/rooms', 'server/server.ts']) !== '';
}

function fmt(v: number | null, digits = 1, pct = false): string {
  if (v === null) return '–';
  return pct ? `${round(v * 100, digits)} %` : String(round(v, digits));
}

/** The old engine's figure at N (this bench at commit b64f7b4), when its result file is there. */
function oldEngineAt(n: number): { usPerForwardedPacket: number; date: string; commit: string; loadBefore: number[] } | undefined {
  if (!existsSync(OLD_ENGINE_RESULT)) return undefined;
  const old = JSON.parse(readFileSync(OLD_ENGINE_RESULT, 'utf8')) as { date: string; commit: string; machine: { loadAverageBefore: number[] }; rows: { subscribers: number; usPerForwardedPacket: number | null }[] };
  const row = old.rows.find((r) => r.subscribers === n);
  if (!row || row.usPerForwardedPacket === null) return undefined;
  return { usPerForwardedPacket: row.usPerForwardedPacket, date: old.date, commit: old.commit, loadBefore: old.machine.loadAverageBefore };
}

function numberAfter(args: string[], flag: string, fallback: number): number {
  const i = args.indexOf(flag);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new TypeError(`${flag} needs a positive integer`);
  return v;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const profile = args.includes('--profile');
  const valueFlags = new Set(['--eld-ms', '--workers', '--max-consumers-per-worker']);
  const eventLoopMs = numberAfter(args, '--eld-ms', 1);
  const workers = numberAfter(args, '--workers', 2);
  const maxConsumersPerWorker = numberAfter(args, '--max-consumers-per-worker', 200);
  const sizes = args.filter((a, i) => /^\d+$/.test(a) && !valueFlags.has(args[i - 1] ?? '')).map(Number);
  if (sizes.length === 0) sizes.push(0, 100, 200, 400);
  sizes.sort((x, y) => x - y);
  if (profile) mkdirSync(PROFILE_DIR, { recursive: true });
  const clip = ensureClip();
  // The server under test is whatever server/ holds when each server process starts: record the commit.
  const gitCommit = git(['rev-parse', '--short', 'HEAD']);
  const dirtyBefore = gitServerDirty();
  const ctx: PointContext = { clip, eventLoopMs, workers, maxConsumersPerWorker, profile, ingestCpuUsPerS: undefined };
  const cpus = os.cpus();
  const loadBefore = os.loadavg().map((v) => round(v, 2));
  const rows: Row[] = [];
  const failed: FailedPoint[] = [];
  for (const n of sizes) {
    const row = await measureWithRetry(n, ctx);
    console.log(JSON.stringify(row));
    if ('errors' in row) {
      failed.push(row);
      continue;
    }
    if (n === 0) ctx.ingestCpuUsPerS = (row.serverCpuPct / 100) * 1e6;
    rows.push(row);
  }
  const profiles: Record<string, { fn: string; selfPct: number }[]> = {};
  if (profile) {
    for (const f of readdirSync(PROFILE_DIR).filter((x) => x.endsWith('.cpuprofile'))) profiles[f] = hotSpots(path.join(PROFILE_DIR, f));
  }
  const version = (pkg: string): string => (JSON.parse(readFileSync(path.resolve(here, `../node_modules/${pkg}/package.json`), 'utf8')) as { version: string }).version;
  const ffmpegVersion = execFileSync('ffmpeg', ['-version']).toString().split('\n')[0] ?? '';
  const commit = `${gitCommit}${dirtyBefore || gitServerDirty() ? ' (server code modified in the working tree during the run)' : ''}`;
  const result = {
    date: new Date().toISOString(),
    commit,
    machine: { nproc: cpus.length, model: cpus[0]?.model ?? '', node: process.version, mediasoup: version('mediasoup'), nodeDatachannel: version('node-datachannel'), ffmpeg: ffmpegVersion, loadAverageBefore: loadBefore },
    server: `Estuary startServer() (gateway, HLS, RTMP, RTSP, FLV off), webrtc.workers ${workers}, webrtc.maxConsumersPerWorker ${maxConsumersPerWorker}, one WebRtcServer per worker on 127.0.0.1; publisher by WHIP (POST /whip/${STREAM_PATH}), subscribers by WHEP (POST /whep/${STREAM_PATH}, served from ViewerRouters fed by pipeToRouter)`,
    publisher: 'node-datachannel peer relaying ffmpeg RTP (-re -stream_loop -1 -c copy -f rtp, pkt_size 1200) of a clip encoded once: testsrc2 1280x720@30 VP8 (libvpx realtime, cpu-used 8, 1500k, GOP 30) + Opus 64k',
    subscribers: `N node-datachannel WHEP viewers, ${SUBSCRIBERS_PER_PROCESS} per process: recvonly VP8 + Opus, count RTP and sequence gaps, no decoding, no RTCP sent`,
    method:
      `Fresh server, publisher and subscriber processes per N; after every subscriber receives both kinds, ${WARMUP_S} s warm-up, then a ${MEASURE_S} s window. ` +
      'Server CPU = utime + stime (/proc/<pid>/stat) of the Node server process plus every mediasoup worker over the window, read after the counters at its start and before them at its end; ' +
      'µs per forwarded packet = server CPU rate / rate of RTP packets the WHEP consumers sent (mediasoup outbound-rtp packetCount); marginal = the same less the N = 0 CPU rate; ' +
      'delivery = packets received by subscribers / (packets the WHIP producers received × N); consumers per core = WHEP consumers (2 per subscriber) / (server CPU % / 100); ' +
      'other load = the machine\'s busy CPU (/proc/stat) less this bench\'s processes over the window.',
    eventLoopResolutionMs: eventLoopMs,
    warmupSeconds: WARMUP_S,
    measureSeconds: MEASURE_S,
    targets: { deliveryAtN: TARGET_DELIVERY, deliveryN: TARGET_DELIVERY_N, speedupOverOldEngineAtN: TARGET_SPEEDUP, speedupN: COMPARE_N },
    rows,
    failed,
    ...(profile ? { profiles } : {}),
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(path.join(RESULTS, 'sfu-fanout.json'), JSON.stringify(result, null, 2) + '\n');
  const md = [
    `# SFU fan-out on mediasoup (${result.date})`,
    '',
    `Commit ${commit}. ${cpus.length} CPUs (${result.machine.model}), Node ${process.version}, mediasoup ${result.machine.mediasoup}, node-datachannel ${result.machine.nodeDatachannel}, ${ffmpegVersion}; load average before the run ${loadBefore.join(' / ')}.`,
    `Server: ${result.server}.`,
    `Publisher: ${result.publisher}. Subscribers: ${result.subscribers}.`,
    '',
    `Method: ${result.method} Event-loop delay from monitorEventLoopDelay at ${eventLoopMs} ms resolution.`,
    '',
    '| N | receiving | load before / other load % | server CPU % (node + workers) | ingest pkt/s (kb/s) | forwarded pkt/s | µs / fwd pkt | marginal µs / fwd pkt | consumers per core | server-sent / piped / delivery | seq loss | worst subscriber | kb/s per subscriber | viewers per worker | event loop p99 / max ms | RSS MB node / workers | subscriber procs (CPU %) | publisher / ffmpeg CPU % | attempts (re-joins) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.subscribers} | ${r.receiving} | ${r.loadBefore} / ${r.otherLoadPct} | ${r.serverCpuPct} (${r.nodeCpuPct} + ${r.workerCpuPct.join(' + ')}) | ${r.ingestPps} (${r.ingestKbps}) | ${r.forwardedPps} | ${fmt(r.usPerForwardedPacket, 2)} | ${fmt(r.usPerForwardedPacketMarginal, 2)} | ${r.consumersPerCore ?? '–'} | ${fmt(r.serverDelivery, 2, true)} / ${fmt(r.pipeDelivery, 2, true)} / ${fmt(r.delivery, 2, true)} | ${fmt(r.seqLoss, 3, true)} | ${fmt(r.worstSubscriberDelivery, 2, true)} | ${fmt(r.kbpsPerSubscriber)} | ${Object.entries(r.viewersPerWorker).map(([w, v]) => `w${w}: ${v}`).join(', ') || '–'} | ${r.eventLoopP99Ms} / ${r.eventLoopMaxMs} | ${r.nodeRssMb} / ${r.workerRssMb.join(' + ')} | ${r.subscriberProcesses} (${fmt(r.subscriberProcessCpuPct)}) | ${r.publisherCpuPct} / ${r.ffmpegCpuPct} | ${r.attempts} (${r.rejoins}) |`,
    ),
    '',
  ];
  for (const f of failed) md.push(`N = ${f.subscribers}: not measured (load ${f.loadBefore} before; ${f.attempts} attempts): ${f.errors.join(' | ')}`, '');
  const deliveryRow = rows.find((r) => r.subscribers === TARGET_DELIVERY_N);
  if (deliveryRow) {
    const ok = deliveryRow.delivery !== null && deliveryRow.delivery >= TARGET_DELIVERY;
    md.push(`Target at N = ${TARGET_DELIVERY_N}: delivery ≥ ${TARGET_DELIVERY * 100} %: ${ok ? 'met' : 'missed'} (${fmt(deliveryRow.delivery, 2, true)}), viewers on ${deliveryRow.workersUsed} worker(s) (${Object.entries(deliveryRow.viewersPerWorker).map(([w, v]) => `worker ${w}: ${v}`).join(', ')}).`, '');
  }
  const compareRow = rows.find((r) => r.subscribers === COMPARE_N);
  const old = oldEngineAt(COMPARE_N);
  if (compareRow?.usPerForwardedPacket && old) {
    const ratio = old.usPerForwardedPacket / compareRow.usPerForwardedPacket;
    md.push(
      `Target at N = ${COMPARE_N}: ≥ ${TARGET_SPEEDUP}× fewer µs of server CPU per forwarded packet than the old TypeScript engine: ${ratio >= TARGET_SPEEDUP ? 'met' : 'missed'} (${old.usPerForwardedPacket} µs at commit ${old.commit}, measured ${old.date} on this machine with load ${old.loadBefore.join(' / ')} before, ÷ ${compareRow.usPerForwardedPacket} µs = ${round(ratio, 2)}×; see sfu-fanout-old-engine.md).`,
      '',
    );
  }
  for (const [file, spots] of Object.entries(profiles)) {
    md.push(`Hot spots, ${file} (self time, Node server process JS thread, whole process life):`, '', ...spots.map((s) => `- ${s.selfPct} % ${s.fn}`), '');
  }
  writeFileSync(path.join(RESULTS, 'sfu-fanout.md'), md.join('\n'));
  console.log('\n' + md.join('\n'));
}

try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
}
killAll();
process.exit();
