import type { ChildProcess } from 'node:child_process';
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import {
  checkEnvelope,
  checkGatewayNotification,
  checkGatewayRequest,
  checkServerRequestResult,
  type AnyGatewayNotification,
  type AnyGatewayRequest,
  type Envelope,
  type ServerNotification,
  type ServerNotificationMethod,
  type ServerRequestMethod,
  type ServerRequestParams,
  type ServerRequestResult,
  type WorkerConfig,
} from '../../protocol/control/messages.js';
import { EnhancedEventEmitter } from '../lib/EnhancedEventEmitter.js';
import { errorCode } from '../lib/errors.js';
import { logger } from '../lib/logger.js';

/** The worker's entry module (TypeScript, run through tsx in the child). */
export const WORKER_ENTRY = fileURLToPath(new URL('../../gateway/main.ts', import.meta.url));
/** How long a worker has to exit after SIGTERM (it closes listeners and sessions) before SIGKILL. */
export const WORKER_STOP_TIMEOUT_MS = 3_000;

/** The tsx loader as an absolute URL, so the child finds it whatever its working directory. */
function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}

/** How long a server → worker request (`ingestOpen`: bind a UDP port) waits for its answer. */
export const WORKER_REQUEST_TIMEOUT_MS = 5_000;
/** Most server → worker requests in flight per worker; beyond this a request fails at once. */
export const MAX_WORKER_PENDING_REQUESTS = 256;

/** A server → worker request that failed: timed out, worker gone, or the worker's handler threw. */
export class WorkerRequestError extends Error {
  override name = 'WorkerRequestError';
  constructor(
    readonly code: 'timeout' | 'closed' | 'overloaded' | 'bad-response' | 'remote',
    message: string,
  ) {
    super(message);
  }
}

interface PendingRequest {
  method: ServerRequestMethod;
  resolve(result: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** What a worker's messages are handed to. */
export interface WorkerHandlers {
  /** Answers a request; a throw becomes an error response. */
  onRequest(worker: GatewayWorker, request: AnyGatewayRequest): Promise<unknown>;
  onNotification(worker: GatewayWorker, notification: AnyGatewayNotification): void;
}

export type WorkerEvents = {
  /** The child exited (crash, kill or stop); emitted once. */
  exit: [code: number | null, signal: NodeJS.Signals | null];
};

/**
 * The server's end of one gateway worker process: forks it over Node IPC, sends it its
 * config, validates every message it sends (a bad one is logged and dropped), answers its
 * requests and forwards its notifications. One GatewayWorker per child process; a restart
 * is a new GatewayWorker.
 */
export class GatewayWorker extends EnhancedEventEmitter<WorkerEvents> {
  readonly id: number;
  readonly #config: WorkerConfig;
  readonly #handlers: WorkerHandlers;
  readonly #log;
  #child: ChildProcess | null = null;
  #exited = false;
  #ready = false;
  readonly #pending = new Map<number, PendingRequest>();
  #nextRequestId = 1;

  constructor(id: number, config: WorkerConfig, handlers: WorkerHandlers) {
    super();
    this.id = id;
    this.#config = config;
    this.#handlers = handlers;
    this.#log = logger.child({ mod: 'gateway-worker', worker: id });
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get ready(): boolean {
    return this.#ready;
  }

  get exited(): boolean {
    return this.#exited;
  }

  /**
   * Forks the child (a cluster worker, so that every worker's RTMP/FLV listeners share one
   * port); its config goes out when it says hello.
   */
  start(): void {
    if (this.#child) throw new TypeError('worker already started');
    // SCHED_NONE: the workers accept on the shared socket themselves and the kernel spreads
    // connections; with round-robin the server would accept every gateway connection and hand
    // it over, which costs the server CPU for nothing. Frozen at the first setupPrimary().
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ exec: WORKER_ENTRY, args: [], execArgv: ['--import', tsxLoader()], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    const child = cluster.fork().process;
    this.#child = child;
    child.on('message', (raw) => this.#receive(raw));
    child.on('error', (err) => this.#log.error({ err }, 'worker process error'));
    child.on('exit', (code, signal) => {
      this.#exited = true;
      this.#ready = false;
      this.#rejectPending();
      this.safeEmit('exit', code, signal);
    });
    this.#log.info({ pid: child.pid }, 'worker started');
  }

  /** Sends a notification; dropped when the child is gone. */
  notify<M extends ServerNotificationMethod>(method: M, params: ServerNotification<M>): void {
    this.#send({ kind: 'notify', method, params });
  }

  /** Sends a request to the worker and resolves with its validated result. */
  request<M extends ServerRequestMethod>(method: M, params: ServerRequestParams<M>, timeoutMs = WORKER_REQUEST_TIMEOUT_MS): Promise<ServerRequestResult<M>> {
    if (!this.#child?.connected || this.#exited) return Promise.reject(new WorkerRequestError('closed', `worker ${this.id} is not running`));
    if (this.#pending.size >= MAX_WORKER_PENDING_REQUESTS) return Promise.reject(new WorkerRequestError('overloaded', 'too many pending requests'));
    const id = this.#nextRequestId++;
    return new Promise<ServerRequestResult<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new WorkerRequestError('timeout', `${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { method, resolve: resolve as (r: unknown) => void, reject, timer });
      this.#send({ kind: 'request', id, method, params });
    });
  }

  #rejectPending(): void {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(new WorkerRequestError('closed', `worker ${this.id} exited before ${p.method} was answered`));
    }
  }

  /** Stops the child: SIGTERM, then SIGKILL after WORKER_STOP_TIMEOUT_MS. Idempotent. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || this.#exited) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.#log.warn('worker did not exit in time: SIGKILL');
      child.kill('SIGKILL');
    }, WORKER_STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  #send(message: Envelope): void {
    const child = this.#child;
    if (!child?.connected) return;
    try {
      child.send(message);
    } catch (err) {
      this.#log.warn({ err }, 'send to worker failed');
    }
  }

  #receive(raw: unknown): void {
    const env = checkEnvelope(raw);
    if (!env.ok) {
      this.#log.warn({ reason: env.reason }, 'dropped bad message from worker');
      return;
    }
    const msg = env.value;
    switch (msg.kind) {
      case 'notify': {
        const n = checkGatewayNotification(msg.method, msg.params);
        if (!n.ok) {
          this.#log.warn({ reason: n.reason }, 'dropped bad notification from worker');
          return;
        }
        if (n.value.method === 'hello') {
          this.notify('config', this.#config);
          return;
        }
        if (n.value.method === 'ready') this.#ready = true;
        this.#handlers.onNotification(this, n.value);
        return;
      }
      case 'request': {
        const r = checkGatewayRequest(msg.method, msg.params);
        if (!r.ok) {
          this.#log.warn({ reason: r.reason }, 'refused bad request from worker');
          this.#send({ kind: 'response', id: msg.id, error: { code: 'bad_request', message: r.reason } });
          return;
        }
        this.#handlers.onRequest(this, r.value).then(
          (result) => this.#send({ kind: 'response', id: msg.id, result }),
          (err: unknown) => {
            this.#log.error({ err, method: msg.method }, 'request handler failed');
            this.#send({ kind: 'response', id: msg.id, error: { code: errorCode(err), message: err instanceof Error ? err.message : String(err) } });
          },
        );
        return;
      }
      case 'response': {
        const p = this.#pending.get(msg.id);
        if (!p) {
          this.#log.warn({ id: msg.id }, 'dropped response to unknown request');
          return;
        }
        this.#pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.error) {
          p.reject(new WorkerRequestError('remote', `${msg.error.code}: ${msg.error.message}`));
          return;
        }
        const result = checkServerRequestResult(p.method, msg.result);
        if (result.ok) p.resolve(result.value);
        else p.reject(new WorkerRequestError('bad-response', result.reason));
        return;
      }
    }
  }
}
