import { networkInterfaces } from 'node:os';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { EnhancedEventEmitter } from '../lib/EnhancedEventEmitter.js';
import { InvalidStateError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { ROUTER_MEDIA_CODECS } from './codecs.js';
import { trackLoad } from './load.js';

const log = logger.child({ mod: 'sfu' });

/** A dead worker is replaced after this; doubled per consecutive death, capped (a worker that dies at start must not spin). */
export const WORKER_RESPAWN_MS = 500;
export const WORKER_RESPAWN_MAX_MS = 10_000;
/** Most mediasoup workers one node runs: one per core is the sensible maximum (ARCHITECTURE.md). */
export const MAX_WORKERS = 64;

/** The SFU's settings: `config.webrtc`. */
export interface SfuOptions {
  /** mediasoup worker processes; one per core is the sensible maximum. */
  workers: number;
  listenIp: string;
  announcedIp: string | null;
  /**
   * One UDP port (and TCP on the same number) per worker for every peer (a `WebRtcServer`):
   * worker i listens on `port + i`. Off: every transport takes its own port in `port`–`portMax`.
   */
  udpMux: boolean;
  port: number;
  portMax: number;
  iceServers: { urls: string | string[]; username?: string; credential?: string }[];
  /** Bitrate a publisher may send at most per transport, bits per second (mediasoup's REMB/TWCC toward it). */
  maxIncomingBitrate: number;
  /** Consumers on one worker before a stream's or room's new viewers go to a router on another worker (pipeToRouter). */
  maxConsumersPerWorker: number;
  logLevel?: types.WorkerLogLevel;
}

/** One worker and what runs on it. */
export interface WorkerSlot {
  readonly index: number;
  worker: types.Worker | null;
  webRtcServer: types.WebRtcServer | null;
  /** Producers + consumers on this worker's routers: what placement balances. */
  load: number;
  deaths: number;
}

/** What Estuary keeps of each router: which worker it is on. */
export interface RouterAppData extends types.AppData {
  /** Index of the worker slot (internal: set by the Sfu). */
  workerIndex?: number;
}

type SfuEvents = {
  newrouter: [types.Router];
  /** A worker died; its routers were closed (their `workerclose` fired) and a new worker takes its slot. */
  workerdied: [index: number];
  close: [];
};

/**
 * Estuary's layer over mediasoup (ARCHITECTURE.md, "The SFU media core"): a pool of workers (one
 * per core by default) each with one `WebRtcServer`, routers placed on the least-loaded worker,
 * and transports created with the node's listen and announce settings. The only module that
 * starts mediasoup workers. A worker that dies is logged and replaced; its routers close
 * (`workerclose`), which rooms and streams turn into "reconnect".
 */
export class Sfu extends EnhancedEventEmitter<SfuEvents> {
  readonly options: Readonly<SfuOptions>;
  readonly slots: WorkerSlot[] = [];
  readonly routers = new Set<types.Router>();
  private closedValue = false;

  private constructor(options: SfuOptions) {
    super();
    this.options = { ...options, announcedIp: options.announcedIp ?? defaultAnnouncedIp(options.listenIp) };
  }

  /** Starts the workers (and their WebRtcServers) and resolves once all are up. */
  static async create(options: SfuOptions): Promise<Sfu> {
    if (!Number.isInteger(options.workers) || options.workers < 1 || options.workers > MAX_WORKERS) throw new TypeError(`workers must be 1-${MAX_WORKERS}`);
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new TypeError('port must be 0-65535');
    if (options.udpMux && options.port !== 0 && options.port + options.workers - 1 > 65535) throw new TypeError('port + workers exceeds 65535');
    if (!options.udpMux && !(options.portMax >= options.port && options.portMax <= 65535)) throw new TypeError('portMax must be at least port');
    if (!(options.maxIncomingBitrate > 0)) throw new TypeError('maxIncomingBitrate must be positive');
    const sfu = new Sfu(options);
    try {
      for (let i = 0; i < options.workers; i++) {
        const slot: WorkerSlot = { index: i, worker: null, webRtcServer: null, load: 0, deaths: 0 };
        sfu.slots.push(slot);
        await sfu.startWorker(slot);
      }
    } catch (err) {
      sfu.close();
      throw err;
    }
    log.info({ workers: options.workers, listenIp: options.listenIp, port: options.port, udpMux: options.udpMux, announcedIp: options.announcedIp }, 'sfu ready');
    return sfu;
  }

  get closed(): boolean {
    return this.closedValue;
  }

  /**
   * A router on the least-loaded live worker (or on `workerIndex`), with Estuary's codecs unless
   * `mediaCodecs` says otherwise. `appData` is the caller's; the Sfu adds `workerIndex`.
   */
  async createRouter(
    options: { appData?: types.AppData; workerIndex?: number; mediaCodecs?: types.RtpCodecCapability[] } = {},
  ): Promise<types.Router<RouterAppData>> {
    if (this.closedValue) throw new InvalidStateError('sfu closed');
    const slot = options.workerIndex !== undefined ? this.slots[options.workerIndex] : this.leastLoaded();
    if (!slot?.worker) throw new InvalidStateError('no mediasoup worker available');
    const router = await slot.worker.createRouter<RouterAppData>({ mediaCodecs: options.mediaCodecs ?? ROUTER_MEDIA_CODECS, appData: { ...options.appData, workerIndex: slot.index } });
    if (this.closedValue) {
      router.close();
      throw new InvalidStateError('sfu closed');
    }
    this.routers.add(router);
    router.observer.once('close', () => this.routers.delete(router));
    trackLoad(router, (delta) => (slot.load += delta));
    this.safeEmit('newrouter', router);
    return router;
  }

  /** The slot of the worker a router runs on. */
  slotOf(router: types.Router): WorkerSlot | undefined {
    const index = (router.appData as RouterAppData).workerIndex;
    return index === undefined ? undefined : this.slots[index];
  }

  /**
   * A WebRTC transport on `router`: through the worker's WebRtcServer (one port) with `udpMux`,
   * else on its own port of the range; UDP preferred, TCP offered too.
   */
  async createWebRtcTransport(router: types.Router, options: { appData?: types.AppData; enableSctp?: boolean } = {}): Promise<types.WebRtcTransport> {
    const slot = this.slotOf(router);
    const common = {
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      enableSctp: options.enableSctp ?? false,
      initialAvailableOutgoingBitrate: 1_000_000,
      appData: options.appData ?? {},
    };
    const transport =
      this.options.udpMux && slot?.webRtcServer
        ? await router.createWebRtcTransport({ ...common, webRtcServer: slot.webRtcServer })
        : await router.createWebRtcTransport({ ...common, listenInfos: this.rangeListenInfos() });
    await transport.setMaxIncomingBitrate(this.options.maxIncomingBitrate).catch(() => undefined);
    return transport;
  }

  /** Closes every worker (and so every router). Idempotent. */
  close(): void {
    if (this.closedValue) return;
    this.closedValue = true;
    for (const slot of this.slots) {
      slot.worker?.close();
      slot.worker = null;
      slot.webRtcServer = null;
    }
    this.safeEmit('close');
  }

  /** PIDs of the live workers (tests kill one; metrics read their CPU). */
  workerPids(): number[] {
    return this.slots.flatMap((s) => (s.worker ? [s.worker.pid] : []));
  }

  /** The live worker with the least load (placement for routers, groups and viewer routers). */
  leastLoaded(): WorkerSlot | undefined {
    let best: WorkerSlot | undefined;
    for (const s of this.slots) if (s.worker && (!best || s.load < best.load)) best = s;
    return best;
  }

  private rangeListenInfos(): types.TransportListenInfo[] {
    const range = { min: this.options.port, max: this.options.portMax };
    const base = { ip: this.options.listenIp, ...(this.options.announcedIp ? { announcedAddress: this.options.announcedIp } : {}), portRange: range };
    return [
      { protocol: 'udp', ...base },
      { protocol: 'tcp', ...base },
    ];
  }

  private async startWorker(slot: WorkerSlot): Promise<void> {
    const worker = await mediasoup.createWorker({ logLevel: this.options.logLevel ?? 'warn', appData: { index: slot.index } });
    let webRtcServer: types.WebRtcServer | null = null;
    if (this.options.udpMux) {
      const port = this.options.port === 0 ? 0 : this.options.port + slot.index;
      const base = { ip: this.options.listenIp, ...(this.options.announcedIp ? { announcedAddress: this.options.announcedIp } : {}) };
      try {
        webRtcServer = await worker.createWebRtcServer({
          listenInfos: port === 0 ? [{ protocol: 'udp', ...base }, { protocol: 'tcp', ...base }] : [{ protocol: 'udp', ...base, port }, { protocol: 'tcp', ...base, port }],
        });
      } catch (err) {
        worker.close();
        throw err;
      }
    }
    if (this.closedValue) {
      worker.close();
      return;
    }
    slot.worker = worker;
    slot.webRtcServer = webRtcServer;
    slot.load = 0;
    worker.on('died', (err) => this.onWorkerDied(slot, worker, err));
    log.info({ worker: slot.index, pid: worker.pid, ports: webRtcServer ? await listenPorts(webRtcServer) : 'range' }, 'mediasoup worker started');
  }

  private onWorkerDied(slot: WorkerSlot, worker: types.Worker, err: Error): void {
    if (slot.worker !== worker) return;
    slot.worker = null;
    slot.webRtcServer = null;
    slot.deaths++;
    const delay = Math.min(WORKER_RESPAWN_MS * 2 ** (slot.deaths - 1), WORKER_RESPAWN_MAX_MS);
    log.error({ worker: slot.index, pid: worker.pid, reason: err.message, respawnMs: delay }, 'mediasoup worker died; its rooms and streams reconnect');
    this.safeEmit('workerdied', slot.index);
    const respawn = (): void => {
      if (this.closedValue) return;
      this.startWorker(slot).then(
        () => {
          // A worker that lives a minute resets the backoff.
          setTimeout(() => {
            if (slot.worker) slot.deaths = 0;
          }, 60_000).unref();
        },
        (e: unknown) => {
          log.error({ worker: slot.index, reason: (e as Error).message }, 'mediasoup worker failed to start; retrying');
          slot.deaths++;
          setTimeout(respawn, Math.min(WORKER_RESPAWN_MS * 2 ** slot.deaths, WORKER_RESPAWN_MAX_MS)).unref();
        },
      );
    };
    setTimeout(respawn, delay).unref();
  }
}

/**
 * The address ICE candidates carry when `announcedIp` is not set. mediasoup announces the bound
 * address as is, and `0.0.0.0` reaches nobody: bound to every interface, the server announces
 * its first external IPv4 address (loopback on a machine with none). Behind NAT, set announcedIp.
 */
export function defaultAnnouncedIp(listenIp: string): string | null {
  if (listenIp !== '0.0.0.0' && listenIp !== '::') return null;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

async function listenPorts(server: types.WebRtcServer): Promise<string> {
  const dump = await server.dump();
  return [...dump.udpSockets.map((s) => `udp:${s.port}`), ...dump.tcpServers.map((s) => `tcp:${s.port}`)].join(',');
}
