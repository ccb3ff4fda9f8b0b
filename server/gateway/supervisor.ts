import type { AnyGatewayNotification, AnyGatewayRequest, IngestOpenParams, ServerNotification, ServerNotificationMethod, WorkerConfig } from '../../protocol/control/messages.js';
import type { PullManager } from './pulls.js';
import { logger } from '../lib/logger.js';
import type { Authorizer } from './authorizer.js';
import { BridgeHooks } from './bridge-hooks.js';
import type { StreamRegistry } from './registry.js';
import { GatewayWorker, WorkerRequestError } from './worker.js';

const log = logger.child({ mod: 'gateway-supervisor' });

/** First restart delay after a crash: quick enough that publishers' reconnects find it back. */
export const RESTART_BACKOFF_MIN_MS = 250;
/** Longest restart delay: a worker crashing at once on every start retries twice a minute. */
export const RESTART_BACKOFF_MAX_MS = 30_000;
/** A worker that ran this long is healthy again: its next crash restarts at the minimum delay. */
export const STABLE_UPTIME_MS = 60_000;
/** How long the server waits for the workers to listen at start (tsx compiles on the fly: ~1–3 s). */
export const WORKER_START_TIMEOUT_MS = 20_000;

/** How long `requestIngest` waits for a worker to be ready (one restarting after a crash). */
export const INGEST_WAIT_READY_MS = 10_000;

/**
 * How long `startBridge` waits for the owning worker to answer `bridgeStart`: its bridge reads
 * the cached GOP at once, probes B-frames within a few frames and asks `bridgeOpen`; a stream
 * that just started may need its first keyframe (a 2 s GOP at most, typically). A WHEP viewer
 * waits this long at most before its request fails.
 */
export const BRIDGE_START_TIMEOUT_MS = 4_000;

/** Figures about one worker slot, for the stats API. */
export interface WorkerSlotStats {
  id: number;
  pid: number | null;
  ready: boolean;
  /** Exits not asked for (crash, kill by someone else). */
  crashes: number;
  restarts: number;
  rtmpPort: number | null;
  flvPort: number | null;
  relayPort: number | null;
}

interface Slot {
  id: number;
  worker: GatewayWorker | null;
  startedAt: number;
  crashes: number;
  restarts: number;
  /** Crashes since the worker last ran for STABLE_UPTIME_MS. */
  consecutiveCrashes: number;
  restartTimer: NodeJS.Timeout | null;
  ports: { rtmpPort: number | null; flvPort: number | null; relayPort: number | null };
}

/**
 * Spawns `gateway.workers` gateway worker processes and keeps them running: a crashed worker
 * is restarted with exponential backoff, its crash counted and logged, and its streams marked
 * unpublished in the registry. Answers the workers' authorization requests.
 */
export class GatewaySupervisor {
  readonly #slots: Slot[] = [];
  readonly #makeConfig: (workerId: number) => WorkerConfig;
  readonly #registry: StreamRegistry;
  readonly #authorizer: Authorizer;
  readonly #relayToken: string;
  readonly #readyWaiters = new Set<() => void>();
  /** Set while start() waits: a worker that dies before its first `ready` fails the start. */
  #onStartFailure: ((slot: number, code: number | null) => void) | null = null;
  #closed = false;
  /** The WebRTC bridge: `bridgeOpen` / `bridgeClosed` to the handler, ingests by worker. */
  readonly bridge: BridgeHooks;

  /** Pulled sources (issue 7): started again on a worker that (re)starts, and told their state. */
  readonly #pulls: PullManager | null;

  constructor(options: { workers: number; makeConfig: (workerId: number) => WorkerConfig; registry: StreamRegistry; authorizer: Authorizer; relayToken: string; pulls?: PullManager }) {
    this.#pulls = options.pulls ?? null;
    this.#makeConfig = options.makeConfig;
    this.#relayToken = options.relayToken;
    this.#registry = options.registry;
    this.#authorizer = options.authorizer;
    this.bridge = new BridgeHooks(options.registry);
    for (let id = 0; id < options.workers; id++) {
      this.#slots.push({ id, worker: null, startedAt: 0, crashes: 0, restarts: 0, consecutiveCrashes: 0, restartTimer: null, ports: { rtmpPort: null, flvPort: null, relayPort: null } });
    }
  }

  /** Starts every worker; resolves once all listen, rejects after WORKER_START_TIMEOUT_MS. */
  /**
   * Starts every worker; resolves once all listen. Rejects after WORKER_START_TIMEOUT_MS, or
   * at once when a worker exits before it ever listened (a port in use, a bad host): a
   * configuration error that restarting will not fix.
   */
  async start(): Promise<void> {
    const failed = new Promise<never>((_resolve, reject) => {
      this.#onStartFailure = (slot, code) => reject(new Error(`gateway worker ${slot} exited with code ${code} before listening (see its log: a port in use?)`));
    });
    failed.catch(() => {});
    try {
      for (const slot of this.#slots) this.#spawn(slot);
      await Promise.race([this.whenReady(WORKER_START_TIMEOUT_MS), failed]);
    } finally {
      this.#onStartFailure = null;
    }
  }

  /** Resolves when every worker is ready (e.g. after a restart). */
  whenReady(timeoutMs: number): Promise<void> {
    if (this.#allReady()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#readyWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#readyWaiters.delete(done);
        reject(new Error(`gateway workers not ready after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#readyWaiters.add(done);
    });
  }

  stats(): WorkerSlotStats[] {
    return this.#slots.map((s) => ({
      id: s.id,
      pid: s.worker?.pid ?? null,
      ready: s.worker?.ready ?? false,
      crashes: s.crashes,
      restarts: s.restarts,
      ...s.ports,
    }));
  }

  /**
   * Asks the worker that carries `path` to bridge it to the SFU (`bridgeStart`); resolves once
   * that worker's `bridgeOpen` was answered (the producers exist). Rejects with
   * WorkerRequestError when no ready worker carries it, or on timeout.
   */
  async startBridge(path: string): Promise<void> {
    const owner = this.#registry.get(path)?.worker;
    const worker = owner === undefined ? undefined : this.#slots[owner]?.worker;
    if (this.#closed || !worker?.ready) throw new WorkerRequestError('closed', `no ready gateway worker carries ${path}`);
    await worker.request('bridgeStart', { path }, BRIDGE_START_TIMEOUT_MS);
  }

  /** Tells the worker that carries `path` to stop bridging it (`bridgeStop`); its later `bridgeClosed` is not relayed. */
  stopBridge(path: string, reason: string): void {
    const owner = this.bridge.bridgedPaths.get(path) ?? this.#registry.get(path)?.worker;
    this.bridge.forget(path);
    if (owner !== undefined) this.#slots[owner]?.worker?.notify('bridgeStop', { path, reason: reason.slice(0, 200) });
  }

  /** Sends a notification to worker slot `id` (dropped while it is not running). */
  notifyWorker<M extends ServerNotificationMethod>(id: number, method: M, params: ServerNotification<M>): void {
    this.#slots[id]?.worker?.notify(method, params);
  }

  /** Closes the publisher of a stream on the worker that carries it. */
  kickStream(path: string, reason: string): boolean {
    const entry = this.#registry.get(path);
    const worker = entry ? this.#slots[entry.worker]?.worker : undefined;
    if (!worker) return false;
    worker.notify('kickStream', { path, reason });
    return true;
  }

  /**
   * Asks a worker (the ready one with the fewest ingests, worker 0 first) to publish an SFU
   * producer set as a hub stream; resolves with its UDP port on 127.0.0.1.
   */
  async requestIngest(params: IngestOpenParams): Promise<{ port: number }> {
    if (this.#closed) throw new WorkerRequestError('closed', 'gateway stopping');
    let worker = this.#pickIngestWorker();
    if (!worker) {
      await this.whenReady(INGEST_WAIT_READY_MS).catch(() => {});
      worker = this.#pickIngestWorker();
    }
    if (!worker) throw new WorkerRequestError('closed', 'no gateway worker is ready');
    // A second ingest of a live path replaces the first, here or on another worker.
    const previous = this.bridge.ingestEnded(params.path);
    if (previous !== undefined && previous !== worker.id) {
      this.#slots[previous]?.worker?.notify('ingestClose', { path: params.path, reason: 'ingest moved to another worker' });
    }
    const result = await worker.request('ingestOpen', params);
    this.bridge.ingestOpened(worker.id, params.path);
    return result;
  }

  /** Ends an ingest: its worker unpublishes the stream and frees the port. */
  closeIngest(path: string, reason: string): void {
    const owner = this.bridge.ingestEnded(path);
    if (owner !== undefined) this.#slots[owner]?.worker?.notify('ingestClose', { path, reason: reason.slice(0, 200) });
  }

  #pickIngestWorker(): GatewayWorker | undefined {
    let best: GatewayWorker | undefined;
    let bestCount = Infinity;
    for (const slot of this.#slots) {
      const w = slot.worker;
      if (!w?.ready) continue;
      const n = this.bridge.ingestCount(slot.id);
      if (n < bestCount) {
        best = w;
        bestCount = n;
      }
    }
    return best;
  }

  /** Stops every worker (SIGTERM, then SIGKILL) and cancels pending restarts. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(
      this.#slots.map(async (slot) => {
        if (slot.restartTimer) clearTimeout(slot.restartTimer);
        slot.restartTimer = null;
        await slot.worker?.stop();
        this.#registry.removeWorker(slot.id, 'server stopping');
      }),
    );
  }

  #allReady(): boolean {
    return this.#slots.every((s) => s.worker?.ready === true);
  }

  #spawn(slot: Slot): void {
    const worker = new GatewayWorker(slot.id, this.#makeConfig(slot.id), {
      onRequest: (w, req) => this.#onRequest(w, req),
      onNotification: (w, n) => this.#onNotification(slot, w, n),
    });
    slot.worker = worker;
    slot.startedAt = Date.now();
    worker.on('exit', (code, signal) => this.#onExit(slot, worker, code, signal));
    worker.start();
  }

  #onExit(slot: Slot, worker: GatewayWorker, code: number | null, signal: NodeJS.Signals | null): void {
    if (slot.worker !== worker) return;
    this.bridge.workerGone(slot.id, 'gateway worker exited');
    const dropped = this.#registry.removeWorker(slot.id, 'gateway worker exited');
    slot.ports = { rtmpPort: null, flvPort: null, relayPort: null };
    if (this.#closed) return;
    if (this.#onStartFailure && slot.restarts === 0) {
      this.#onStartFailure(slot.id, code);
      return;
    }
    slot.crashes++;
    const uptime = Date.now() - slot.startedAt;
    if (uptime >= STABLE_UPTIME_MS) slot.consecutiveCrashes = 0;
    const delay = Math.min(RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_MIN_MS * 2 ** slot.consecutiveCrashes);
    slot.consecutiveCrashes++;
    log.error({ worker: slot.id, pid: worker.pid, code, signal, uptimeMs: uptime, streamsDropped: dropped, crashes: slot.crashes, restartInMs: delay }, 'gateway worker crashed');
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (this.#closed) return;
      slot.restarts++;
      this.#spawn(slot);
    }, delay);
  }

  async #onRequest(worker: GatewayWorker, req: AnyGatewayRequest): Promise<unknown> {
    switch (req.method) {
      case 'authorizePublish': {
        const result = await this.#authorizer.authorizePublish(req.params);
        // A takeover of a stream on another worker: that worker closes its publisher. On the
        // same worker the gateway's hub does it when it publishes with `takeover`.
        const owner = this.#registry.get(req.params.path)?.worker;
        if (result.allow && result.takeover && owner !== undefined && owner !== worker.id) this.kickStream(req.params.path, 'taken over by a new publisher');
        return result;
      }
      case 'authorizePlay':
        return this.#authorizer.authorizePlay(req.params);
      case 'locateStream':
        return { url: this.#relayUrl(worker.id, req.params.path) };
      case 'bridgeOpen':
        return this.bridge.open(worker.id, req.params);
    }
  }

  /** The relay URL of a stream on another ready worker, or null. */
  #relayUrl(requester: number, path: string): string | null {
    const owner = this.#registry.get(path)?.worker;
    if (owner === undefined || owner === requester) return null;
    const slot = this.#slots[owner];
    if (!slot?.worker?.ready || slot.ports.relayPort === null) return null;
    return `http://127.0.0.1:${slot.ports.relayPort}/${path}.flv?relay=${encodeURIComponent(this.#relayToken)}`;
  }

  #onNotification(slot: Slot, worker: GatewayWorker, n: AnyGatewayNotification): void {
    switch (n.method) {
      case 'hello':
        return; // answered by the GatewayWorker with the config
      case 'ready':
        slot.ports = { rtmpPort: n.params.rtmpPort, flvPort: n.params.flvPort, relayPort: n.params.relayPort };
        log.info({ worker: worker.id, pid: n.params.pid, rtmpPort: n.params.rtmpPort, flvPort: n.params.flvPort }, 'gateway worker ready');
        this.#pulls?.workerReady(slot.id);
        if (this.#allReady()) for (const done of [...this.#readyWaiters]) done();
        return;
      case 'pullStatus':
        this.#pulls?.status(slot.id, n.params.path, n.params.state, n.params.error);
        return;
      case 'streamPublished':
        this.#registry.add(worker.id, n.params);
        return;
      case 'streamTracks':
        this.#registry.setTracks(worker.id, n.params);
        return;
      case 'streamUnpublished':
        this.#registry.remove(worker.id, n.params.path, n.params.reason);
        return;
      case 'streamStats':
        this.#registry.applyStats(worker.id, n.params);
        return;
      case 'bridgeClosed':
        this.bridge.closed(worker.id, n.params.path, n.params.reason);
        this.#registry.setWebrtc(worker.id, n.params.path, { bridged: false, videoTranscoded: false, reason: n.params.reason });
        return;
      case 'bridgeStatus':
        this.#registry.setWebrtc(worker.id, n.params.path, n.params.webrtc);
        return;
    }
  }
}
