import type { BridgeOpenParams, BridgeOpenResult } from '../../protocol/control/messages.js';
import { logger } from '../lib/logger.js';
import type { StreamRegistry } from './registry.js';

const log = logger.child({ mod: 'gateway-bridge' });

/**
 * What the server's bridge manager (the SFU side) gives the gateway subsystem with
 * `setBridgeHandler`: how to answer a worker's `bridgeOpen` (create a broadcast Router, a
 * comedia PlainTransport and one Producer per track) and how to hear that a bridge ended.
 */
export interface BridgeHandler {
  /** A worker asks the SFU to carry a stream; resolves with the transport's port and SSRC/PT per track. */
  open(params: BridgeOpenParams, workerId: number): Promise<BridgeOpenResult>;
  /** The bridge of `path` ended: `bridgeClosed` from its worker, or the worker died. */
  closed(path: string, reason: string): void;
  /**
   * Optional: an ingest opened with `requestIngest` ended on the gateway side (its worker died,
   * or the worker unpublished it after RTP stopped). Call `requestIngest` again to restore it.
   */
  ingestClosed?(path: string, reason: string): void;
}

/** The error a worker's `bridgeOpen` gets while no handler is set; the worker retries later. */
export class NoBridgeHandlerError extends Error {
  override name = 'NoBridgeHandlerError';
  readonly code = 'no_bridge_handler';
}

/**
 * Bookkeeping between the workers and the bridge handler: which worker owns each bridged path
 * (so a dying worker's bridges are closed) and each ingest (so the handler hears when one
 * ends). The supervisor calls it; the handler never sees worker processes.
 */
export class BridgeHooks {
  #handler: BridgeHandler | null = null;
  /** Bridged path → worker id. */
  readonly #bridges = new Map<string, number>();
  /** Ingest path → worker id. */
  readonly #ingests = new Map<string, number>();

  constructor(registry: StreamRegistry) {
    registry.on('unpublished', (entry, reason) => {
      const worker = this.#ingests.get(entry.path);
      if (worker === undefined || worker !== entry.worker) return;
      this.#ingests.delete(entry.path);
      this.#call((h) => h.ingestClosed?.(entry.path, reason));
    });
  }

  setHandler(handler: BridgeHandler | null): void {
    this.#handler = handler;
  }

  get bridgedPaths(): ReadonlyMap<string, number> {
    return this.#bridges;
  }

  /** A worker's `bridgeOpen`: rejects with NoBridgeHandlerError without a handler. */
  async open(workerId: number, params: BridgeOpenParams): Promise<BridgeOpenResult> {
    const handler = this.#handler;
    if (!handler) throw new NoBridgeHandlerError('no WebRTC bridge handler on this server');
    const result = await handler.open(params, workerId);
    this.#bridges.set(params.path, workerId);
    return result;
  }

  /** A worker's `bridgeClosed`; ignored for a path another worker bridges now. */
  closed(workerId: number, path: string, reason: string): void {
    if (this.#bridges.get(path) !== workerId) return;
    this.#bridges.delete(path);
    this.#call((h) => h.closed(path, reason));
  }

  /** The server stopped the bridge of `path` itself (`bridgeStop`): its worker's `bridgeClosed` is not relayed. */
  forget(path: string): void {
    this.#bridges.delete(path);
  }

  /** A worker died: each of its bridges is closed. (Its ingests end through the registry.) */
  workerGone(workerId: number, reason: string): void {
    for (const [path, owner] of [...this.#bridges]) if (owner === workerId) this.closed(workerId, path, reason);
  }

  /** Ingests per worker, for choosing the least loaded one. */
  ingestCount(workerId: number): number {
    let n = 0;
    for (const owner of this.#ingests.values()) if (owner === workerId) n++;
    return n;
  }

  ingestOpened(workerId: number, path: string): void {
    this.#ingests.set(path, workerId);
  }

  /** The worker carrying an ingest, and forgets it (closeIngest). */
  ingestEnded(path: string): number | undefined {
    const worker = this.#ingests.get(path);
    this.#ingests.delete(path);
    return worker;
  }

  #call(fn: (h: BridgeHandler) => void): void {
    const h = this.#handler;
    if (!h) return;
    try {
      fn(h);
    } catch (err) {
      log.error({ err }, 'bridge handler threw');
    }
  }
}
