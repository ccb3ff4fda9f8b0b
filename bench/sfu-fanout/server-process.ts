/**
 * The server under test, in its own process: the Estuary server itself (`startServer`), with the
 * gateway, HLS and the RTMP/RTSP/FLV listeners off, HTTP on 127.0.0.1 (an ephemeral port) and
 * the SFU on mediasoup (`webrtc.workers` workers, each with its WebRtcServer on 127.0.0.1). The
 * publisher comes in by WHIP and the subscribers by WHEP, through the real HTTP routes. This
 * process follows the routers, transports, producers and consumers the SFU creates (mediasoup
 * observers) to report their counters. Driven by ../sfu-fanout.ts over IPC (ServerApi).
 *
 *   argv: [eventLoopResolutionMs, workers, maxConsumersPerWorker, webrtcPort]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { buildConfig } from '../../server/config.js';
import { roomsOf } from '../../server/rooms/mount.js';
import { startServer } from '../../server/server.js';
import type { Consumer, Producer, Router, RouterAppData } from '../../server/sfu/index.js';
import type { EgressSnapshot, MediaKind, ServerApi, ServerReady } from './api.js';
import { exitAfter } from './child-helpers.js';
import { serveRpc, type Handlers } from './rpc.js';

const [eventLoopArg, workersArg, maxConsumersArg, portArg] = process.argv.slice(2);
const eventLoopResolutionMs = Math.max(1, Number(eventLoopArg ?? 1));

const config = buildConfig(
  {
    log: { level: 'warn' },
    http: { host: '127.0.0.1' },
    webrtc: { listenIp: '127.0.0.1', port: Number(portArg), workers: Number(workersArg), maxConsumersPerWorker: Number(maxConsumersArg) },
    gateway: { enabled: false },
    hls: { enabled: false },
    rtmp: { enabled: false },
    rtsp: { enabled: false },
    flv: { enabled: false },
  },
  {},
);
// An ephemeral HTTP port: the bench may run beside a server (or a test) on the default one.
config.http.port = 0;
const server = await startServer(config);
const rooms = roomsOf(server.httpServer);
if (!rooms) throw new Error('the rooms subsystem (and its Sfu) is not mounted');
const { sfu } = rooms;

const producers: Producer[] = [];
/** Producers on the viewer routers' pipe transports (pipeToRouter from the source router). */
const pipeProducers: Producer[] = [];
/** WHEP consumers, with the worker their router runs on. */
const consumers: { consumer: Consumer; worker: number; transportId: string }[] = [];
const routers: { worker: number; role: string }[] = [];

const onRouter = (router: Router): void => {
  const appData = router.appData as RouterAppData & { viewers?: boolean; origin?: string };
  const worker = appData.workerIndex ?? -1;
  routers.push({ worker, role: appData.viewers ? 'viewers' : (appData.origin ?? 'other') });
  router.observer.on('newtransport', (transport) => {
    const t = transport.appData as { whip?: boolean; whep?: boolean };
    if (t.whip) transport.observer.on('newproducer', (p) => producers.push(p));
    else if (appData.viewers && transport.type === 'pipe') transport.observer.on('newproducer', (p) => pipeProducers.push(p));
    if (t.whep) transport.observer.on('newconsumer', (c) => consumers.push({ consumer: c, worker, transportId: transport.id }));
  });
};
for (const r of sfu.routers) onRouter(r);
sfu.on('newrouter', onRouter);

const eld = monitorEventLoopDelay({ resolution: eventLoopResolutionMs });
eld.enable();
const ms = (ns: number): number => Math.round((ns / 1e6) * 100) / 100;

function rtpStats(stats: readonly { type: string }[], type: 'inbound-rtp' | 'outbound-rtp'): { packetCount: number; byteCount: number; packetsLost: number } {
  const s = stats.find((x) => x.type === type) as { packetCount?: number; byteCount?: number; packetsLost?: number } | undefined;
  return { packetCount: s?.packetCount ?? 0, byteCount: s?.byteCount ?? 0, packetsLost: s?.packetsLost ?? 0 };
}

/** Requests to the workers at once during a snapshot: bounds the channel's queue. */
const STATS_CONCURRENCY = 64;

async function mapLimited<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(STATS_CONCURRENCY, items.length) }, lane));
  return out;
}

const handlers: Handlers<ServerApi> = {
  async ingest() {
    const [prod, piped] = await Promise.all([
      Promise.all(producers.filter((p) => !p.closed).map(async (p) => ({ kind: p.kind as MediaKind, ...rtpStats(await p.getStats(), 'inbound-rtp') }))),
      Promise.all(pipeProducers.filter((p) => !p.closed).map(async (p) => rtpStats(await p.getStats().catch(() => []), 'inbound-rtp'))),
    ]);
    return { atMs: performance.now(), producers: prod, piped: { packetCount: piped.reduce((a, p) => a + p.packetCount, 0), packetsLost: piped.reduce((a, p) => a + p.packetsLost, 0) } };
  },

  async egress({ resetEventLoop }) {
    const startMs = performance.now();
    const live = consumers.filter((c) => !c.consumer.closed);
    // A consumer closed meanwhile (its viewer left) answers "handler not found": it counts as 0 and the driver sees the viewer gone.
    const cons = await mapLimited(live, async (c) => rtpStats(await c.consumer.getStats().catch(() => []), 'outbound-rtp'));
    const endMs = performance.now();
    const viewersPerWorker: Record<string, number> = {};
    // A viewer is one transport (a video and an audio consumer).
    const transports = new Map<string, number>();
    for (const c of live) transports.set(c.transportId, c.worker);
    for (const worker of transports.values()) viewersPerWorker[worker] = (viewersPerWorker[worker] ?? 0) + 1;
    const status = readFileSync('/proc/self/status', 'utf8');
    const snap: EgressSnapshot = {
      startMs,
      endMs,
      eventLoop: { p99Ms: ms(eld.percentile(99)), maxMs: ms(eld.max), meanMs: ms(eld.mean) },
      rssMb: Math.round((process.memoryUsage.rss() / 1048576) * 10) / 10,
      fds: readdirSync('/proc/self/fd').length,
      threads: Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? 0),
      consumers: { count: live.length, packetCount: cons.reduce((a, c) => a + c.packetCount, 0), byteCount: cons.reduce((a, c) => a + c.byteCount, 0) },
      viewersPerWorker,
      routers,
    };
    if (resetEventLoop) eld.reset();
    return snap;
  },

  workerPids() {
    return sfu.workerPids();
  },

  close() {
    exitAfter(() => void server.close());
    return null;
  },
};

const mediaPorts = await Promise.all(sfu.slots.map(async (s) => String((await s.webRtcServer?.dump())?.udpSockets[0]?.port ?? '')));
const ready: ServerReady = { pid: process.pid, url: `http://127.0.0.1:${server.port}`, workerPids: sfu.workerPids(), mediaPorts, eventLoopResolutionMs };
serveRpc<ServerApi>(handlers, ready, () => exitAfter(() => void server.close(), 1));
