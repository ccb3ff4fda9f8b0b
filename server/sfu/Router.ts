import { randomUUID } from 'node:crypto';
import { EnhancedEventEmitter } from '../lib/EnhancedEventEmitter.js';
import { InvalidStateError } from '../lib/errors.js';
import { PlainRtpTransport, type PlainRtpTransportOptions } from './PlainRtpTransport.js';
import type { Producer } from './Producer.js';
import { WebRtcTransport, type TransportInternal } from './WebRtcTransport.js';

/** @internal What the Sfu gives a router: everything a transport needs but its direction. */
export type RouterInternal = Omit<TransportInternal, 'direction' | 'appData'>;

/** What the router needs of a child transport to own it and index its producers. */
interface ChildTransport {
  readonly id: string;
  once(event: '@close', listener: () => void): unknown;
  on(event: '@newproducer', listener: (producer: Producer) => void): unknown;
}

/**
 * A media routing domain (one room or one broadcast), after mediasoup's Router: owns its
 * transports, and indexes every producer on them so consumers elsewhere in the router can find it.
 */
export class Router extends EnhancedEventEmitter<{ close: []; newproducer: [Producer]; '@close': [] }> {
  readonly id = randomUUID();
  readonly appData: Record<string, unknown>;
  readonly transports = new Map<string, WebRtcTransport | PlainRtpTransport>();
  readonly producers = new Map<string, Producer>();
  private readonly internal: RouterInternal;
  private closedValue = false;

  /** @internal Created by Sfu.createRouter(). */
  constructor(internal: RouterInternal, appData: Record<string, unknown>) {
    super();
    this.internal = internal;
    this.appData = appData;
  }

  get closed(): boolean {
    return this.closedValue;
  }

  createWebRtcTransport(options: { direction: 'send' | 'recv'; appData?: Record<string, unknown> }): WebRtcTransport {
    if (this.closedValue) throw new InvalidStateError('router closed');
    if (options.direction !== 'send' && options.direction !== 'recv') throw new TypeError('direction must be send or recv');
    const transport = new WebRtcTransport({ ...this.internal, direction: options.direction, appData: options.appData ?? {} });
    this.adopt(transport);
    return transport;
  }

  /**
   * A plain RTP transport (RFC 3550 over UDP, RTP/RTCP muxed) bound on `listenIp`: for the
   * gateway bridge (comedia: the remote is learnt from the first packet) and for sending
   * producers to a gateway ingest (`remote`).
   */
  async createPlainRtpTransport(options: PlainRtpTransportOptions): Promise<PlainRtpTransport> {
    if (this.closedValue) throw new InvalidStateError('router closed');
    if (typeof options.listenIp !== 'string' || options.listenIp === '') throw new TypeError('listenIp is required');
    const socket = await PlainRtpTransport.bindSocket(options.listenIp, options.port ?? 0);
    if (this.closedValue) {
      socket.close();
      throw new InvalidStateError('router closed');
    }
    const transport = new PlainRtpTransport({ ...this.internal, appData: options.appData ?? {} }, socket, options);
    this.adopt(transport);
    return transport;
  }

  getProducer(id: string): Producer | undefined {
    return this.producers.get(id);
  }

  /** The one wiring of a child transport: owned in `transports`, its producers indexed. */
  private adopt(transport: ChildTransport): void {
    this.transports.set(transport.id, transport as WebRtcTransport | PlainRtpTransport);
    transport.once('@close', () => this.transports.delete(transport.id));
    transport.on('@newproducer', (producer) => {
      this.producers.set(producer.id, producer);
      producer.once('@close', () => this.producers.delete(producer.id));
      this.safeEmit('newproducer', producer);
    });
  }

  /** Closes every transport (and so their producers and consumers). Idempotent. */
  close(): void {
    if (this.closedValue) return;
    this.closedValue = true;
    for (const t of [...this.transports.values()]) t.close();
    this.safeEmit('@close');
    this.safeEmit('close');
  }
}
