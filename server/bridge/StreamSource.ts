import { EnhancedEventEmitter } from '../lib/EnhancedEventEmitter.js';
import type { Producer, Router, RouterGroup } from '../sfu/index.js';

/** Where a WebRTC-watchable stream's producers come from. */
export type SourceOrigin = 'bridge' | 'whip' | 'room';

/**
 * One stream path's producers as WHEP viewers, the watch page and the gateway ingest see them:
 * a bridged gateway stream (RTMP/RTSP via PlainRtpTransport), a WHIP publisher, or a room
 * participant's camera and microphone. Producers come and go (a room peer unmutes); closing
 * the source does not close them (their transports own them) unless it owns the router.
 */
export class StreamSource extends EnhancedEventEmitter<{ newproducer: [Producer]; producerclose: [Producer]; close: [] }> {
  readonly path: string;
  readonly origin: SourceOrigin;
  /** The router the producers live on. */
  readonly router: Router;
  /** Routers on other workers for viewers beyond one worker's share (bridged and WHIP streams). */
  private readonly group: RouterGroup | undefined;
  readonly producers = new Map<string, Producer>();
  private readonly ownsRouter: boolean;
  private closedValue = false;

  /** With a `group`, its primary is the router and the source owns the group when `ownsRouter`. */
  constructor(options: { path: string; origin: SourceOrigin; router: Router; group?: RouterGroup; ownsRouter: boolean }) {
    super();
    this.path = options.path;
    this.origin = options.origin;
    this.router = options.router;
    this.group = options.group;
    this.ownsRouter = options.ownsRouter;
    this.router.observer.once('close', () => this.close());
  }

  /**
   * The router a new viewer's transport goes on, with `producers` consumable there: the
   * source's own router while its worker has room, else one on another worker with the
   * producers piped to it.
   */
  async routerForViewer(producers: readonly Producer[]): Promise<Router> {
    if (!this.group) return this.router;
    const router = await this.group.routerForConsumers();
    for (const p of producers) await this.group.ensureProducer(router, p.id);
    return router;
  }

  get closed(): boolean {
    return this.closedValue;
  }

  /** The producers a viewer gets: one video and one audio at most, live ones only. */
  viewable(): Producer[] {
    const out: Producer[] = [];
    for (const kind of ['video', 'audio'] as const) {
      const p = [...this.producers.values()].find((x) => x.kind === kind && !x.closed);
      if (p) out.push(p);
    }
    return out;
  }

  add(producer: Producer): void {
    if (this.closedValue || producer.closed || this.producers.has(producer.id)) return;
    this.producers.set(producer.id, producer);
    producer.observer.once('close', () => {
      if (!this.producers.delete(producer.id)) return;
      this.safeEmit('producerclose', producer);
    });
    this.safeEmit('newproducer', producer);
  }

  /** Ends the source (its router too when it owns it). Idempotent. */
  close(): void {
    if (this.closedValue) return;
    this.closedValue = true;
    this.producers.clear();
    if (this.ownsRouter) {
      if (this.group) this.group.close('stream ended');
      else this.router.close();
    }
    this.safeEmit('close');
  }
}
