import { EnhancedEventEmitter } from '../lib/EnhancedEventEmitter.js';
import { ViewerRouters, type GopCatchUp, type Producer, type Router, type Sfu } from '../sfu/index.js';

/** Where a WebRTC-watchable stream's producers come from. */
export type SourceOrigin = 'bridge' | 'whip' | 'room';

/**
 * One stream path's producers as WHEP viewers, the watch page and the gateway ingest see them:
 * a bridged gateway stream (RTMP/RTSP via a mediasoup PlainTransport), a WHIP publisher, or a room
 * participant's camera and microphone. Producers come and go (a room peer unmutes); closing
 * the source does not close them (their transports own them) unless it owns the router.
 */
export class StreamSource extends EnhancedEventEmitter<{ newproducer: [Producer]; producerclose: [Producer]; close: [] }> {
  readonly path: string;
  readonly origin: SourceOrigin;
  /** The router the producers live on. */
  readonly router: Router;
  /** The routers WHEP viewers are served from (the viewers' payload types, spread over workers). */
  readonly viewers: ViewerRouters;
  /** Bridged streams: the last GOP, for a viewer joining while the stream runs (GopCatchUp). */
  catchUp: GopCatchUp | undefined;
  readonly producers = new Map<string, Producer>();
  private readonly ownsRouter: boolean;
  private closedValue = false;

  constructor(options: { path: string; origin: SourceOrigin; sfu: Sfu; router: Router; ownsRouter: boolean }) {
    super();
    this.path = options.path;
    this.origin = options.origin;
    this.router = options.router;
    this.ownsRouter = options.ownsRouter;
    this.viewers = new ViewerRouters(options.sfu, options.router, { path: options.path });
    this.router.observer.once('close', () => this.close());
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
    this.viewers.close();
    this.catchUp?.close();
    if (this.ownsRouter) this.router.close();
    this.safeEmit('close');
  }
}
