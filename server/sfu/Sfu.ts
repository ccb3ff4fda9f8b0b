import { randomInt } from 'node:crypto';
import { EnhancedEventEmitter } from '../lib/EnhancedEventEmitter.js';
import { InvalidStateError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { Router } from './Router.js';

const log = logger.child({ mod: 'sfu' });

/** The SFU's settings: `config.webrtc`. */
export interface SfuOptions {
  listenIp: string;
  announcedIp: string | null;
  udpMux: boolean;
  port: number;
  portMax: number;
  iceServers: { urls: string | string[]; username?: string; credential?: string }[];
  /** REMB toward publishers, bits per second. */
  maxIncomingBitrate: number;
}

/**
 * The SFU media core's root (after mediasoup's Worker): holds the engine settings and the SSRC
 * pool, and owns the routers.
 */
export class Sfu extends EnhancedEventEmitter<{ close: []; newrouter: [Router] }> {
  readonly routers = new Map<string, Router>();
  readonly options: Readonly<SfuOptions>;
  private readonly ssrcs = new Set<number>();
  private closedValue = false;

  constructor(options: SfuOptions) {
    super();
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw new TypeError('port must be 1-65535');
    if (!options.udpMux && !(options.portMax >= options.port && options.portMax <= 65535)) throw new TypeError('portMax must be at least port');
    if (!(options.maxIncomingBitrate > 0)) throw new TypeError('maxIncomingBitrate must be positive');
    this.options = { ...options };
    log.info({ listenIp: options.listenIp, port: options.port, udpMux: options.udpMux, announcedIp: options.announcedIp }, 'sfu ready');
  }

  get closed(): boolean {
    return this.closedValue;
  }

  createRouter(options: { appData?: Record<string, unknown> } = {}): Router {
    if (this.closedValue) throw new InvalidStateError('sfu closed');
    const o = this.options;
    const router = new Router(
      {
        engine: { listenIp: o.listenIp, udpMux: o.udpMux, port: o.port, portMax: o.portMax, iceServers: o.iceServers },
        announcedIp: o.announcedIp,
        maxIncomingBitrate: o.maxIncomingBitrate,
        allocateSsrc: () => this.allocateSsrc(),
        releaseSsrc: (ssrc) => this.ssrcs.delete(ssrc),
      },
      options.appData ?? {},
    );
    this.routers.set(router.id, router);
    router.once('@close', () => this.routers.delete(router.id));
    this.safeEmit('newrouter', router);
    return router;
  }

  /** Closes every router. Idempotent. */
  close(): void {
    if (this.closedValue) return;
    this.closedValue = true;
    for (const r of [...this.routers.values()]) r.close();
    this.safeEmit('close');
  }

  /** A random SSRC (RFC 3550 §8.1) not in use by this SFU. */
  private allocateSsrc(): number {
    for (;;) {
      const ssrc = randomInt(1, 0xffff_ffff);
      if (!this.ssrcs.has(ssrc)) {
        this.ssrcs.add(ssrc);
        return ssrc;
      }
    }
  }
}
