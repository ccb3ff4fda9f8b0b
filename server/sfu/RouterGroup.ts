import type { types } from 'mediasoup';
import { EnhancedEventEmitter } from '../lib/EnhancedEventEmitter.js';
import { InvalidStateError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import type { RouterAppData, Sfu } from './Sfu.js';

const log = logger.child({ mod: 'sfu-group' });

type RouterGroupEvents = {
  /** The group ended: closed by its owner, or a worker under one of its routers died (`reason` says). */
  close: [reason: string];
};

/**
 * One room's or one stream's routers: a primary router where every producer lives, and, once
 * the primary's worker carries `maxConsumersPerWorker`, routers on other workers for new
 * consuming transports, each producer piped to them on first use (mediasoup `pipeToRouter`:
 * one PipeTransport pair per router pair, RTP over loopback inside the node). This is how a
 * teacher reaches hundreds of students, or a stream several hundred WHEP viewers, past one
 * worker's core.
 *
 * A worker that dies under any router of the group ends the group (`close` with the reason):
 * its owner rebuilds and tells its peers to reconnect.
 */
export class RouterGroup extends EnhancedEventEmitter<RouterGroupEvents> {
  readonly primary: types.Router<RouterAppData>;
  /** Routers on other workers, by worker index. */
  readonly extra = new Map<number, types.Router<RouterAppData>>();
  private readonly sfu: Sfu;
  private readonly appData: types.AppData;
  private readonly pipes = new Map<string, Promise<void>>();
  private readonly creating = new Map<number, Promise<types.Router<RouterAppData>>>();
  private closedReason: string | null = null;

  private constructor(sfu: Sfu, primary: types.Router<RouterAppData>, appData: types.AppData) {
    super();
    this.sfu = sfu;
    this.primary = primary;
    this.appData = appData;
    this.watch(primary);
  }

  /** A group whose primary router is on the least-loaded worker. */
  static async create(sfu: Sfu, appData: types.AppData): Promise<RouterGroup> {
    const primary = await sfu.createRouter({ appData });
    return new RouterGroup(sfu, primary, appData);
  }

  get closed(): boolean {
    return this.closedReason !== null;
  }

  /** Every router of the group, the primary first. */
  routers(): types.Router<RouterAppData>[] {
    return [this.primary, ...this.extra.values()];
  }

  /**
   * The router a new consuming transport goes on: the primary while its worker has room, else
   * the group's router on the least-loaded other worker (created on first need).
   */
  async routerForConsumers(): Promise<types.Router<RouterAppData>> {
    if (this.closedReason !== null) throw new InvalidStateError(`router group closed: ${this.closedReason}`);
    const max = this.sfu.options.maxConsumersPerWorker;
    const home = this.sfu.slotOf(this.primary);
    if (!home || home.load < max || this.sfu.slots.length < 2) return this.primary;
    const best = this.sfu.leastLoaded();
    if (!best || best === home || best.load >= home.load) return this.primary;
    const existing = this.extra.get(best.index);
    if (existing && !existing.closed) return existing;
    let pending = this.creating.get(best.index);
    if (!pending) {
      pending = this.sfu.createRouter({ appData: { ...this.appData, piped: true }, workerIndex: best.index });
      this.creating.set(best.index, pending);
      pending.finally(() => this.creating.delete(best.index)).catch(() => undefined);
    }
    const router = await pending;
    if (this.closedReason !== null) {
      router.close();
      throw new InvalidStateError(`router group closed: ${this.closedReason}`);
    }
    if (!this.extra.has(best.index)) {
      this.extra.set(best.index, router);
      this.watch(router);
      log.info({ group: this.appData, worker: best.index }, 'group spread to another worker');
    }
    return this.extra.get(best.index) as types.Router<RouterAppData>;
  }

  /** Makes a producer of the primary consumable on `router` (pipes it there once; no-op on the primary). */
  async ensureProducer(router: types.Router, producerId: string): Promise<void> {
    if (router === this.primary) return;
    const key = `${router.id}:${producerId}`;
    let pending = this.pipes.get(key);
    if (!pending) {
      pending = this.primary.pipeToRouter({ producerId, router }).then(({ pipeProducer }) => {
        pipeProducer?.observer.once('close', () => this.pipes.delete(key));
      });
      this.pipes.set(key, pending);
      pending.catch(() => this.pipes.delete(key));
    }
    await pending;
  }

  /** Closes every router of the group. Idempotent. */
  close(reason = 'closed'): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    for (const r of this.routers()) r.close();
    this.extra.clear();
    this.pipes.clear();
    this.safeEmit('close', reason);
  }

  private watch(router: types.Router): void {
    router.on('workerclose', () => this.close('mediasoup worker died'));
  }
}
