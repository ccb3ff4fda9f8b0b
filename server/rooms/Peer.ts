import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { sourceSchema, type PeerInfo, type ProducerInfo, type ServerEvents } from '../../protocol/signaling/schemas.js';
import { EnhancedEventEmitter } from '../lib/EnhancedEventEmitter.js';
import { NotFoundError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import type { Consumer, Producer, Router, RtpCapabilities, WebRtcTransport } from '../sfu/index.js';

/** Bytes of randomness in a session secret (hex-encoded: 48 characters, within the schema's 16–128). */
const SESSION_SECRET_BYTES = 24;

/** The wire a peer's notifications travel on: one signaling socket, replaceable on resume. */
export interface PeerChannel {
  /** The remote address, for logs. */
  readonly address: string;
  notify<E extends keyof ServerEvents>(event: E, payload: Parameters<ServerEvents[E]>[0]): void;
  /** The peer no longer uses this channel (it resumed on another one, or it closed). */
  release(): void;
}

export interface PeerOptions {
  id: string;
  roomId: string;
  displayName: string;
  canPublish: boolean;
  canSubscribe: boolean;
  channel: PeerChannel;
}

type PeerEvents = {
  '@close': [reason: string];
  '@producerclose': [producer: Producer];
};

/**
 * A participant of a room: its signaling channel, its send/recv transports and the producers
 * and consumers on them. The Peer owns its transports; closing it closes them, which closes
 * its producers (others are told through the Room) and consumers.
 *
 * A peer whose socket drops is `detach`ed: it keeps its media objects for the reconnect grace
 * and is closed when the grace runs out, unless a new socket `takeOver`s the session.
 */
export class Peer extends EnhancedEventEmitter<PeerEvents> {
  readonly id: string;
  readonly roomId: string;
  readonly displayName: string;
  readonly canPublish: boolean;
  readonly canSubscribe: boolean;
  readonly joinedAt = new Date();
  readonly transports = new Map<string, WebRtcTransport>();
  /** What each transport is for: its direction, its router, and (recv) the client's receive capabilities. */
  private readonly transportInfo = new Map<string, TransportInfo>();
  readonly producers = new Map<string, Producer>();
  readonly consumers = new Map<string, Consumer>();
  private readonly sessionSecret = randomBytes(SESSION_SECRET_BYTES).toString('hex');
  /** Which transport each producer and consumer lives on, so a transport's end reaches them all. */
  private readonly transportOf = new Map<string, string>();
  private channel: PeerChannel | null;
  private graceTimer: NodeJS.Timeout | null = null;
  private readonly log: Logger;
  private closedReason: string | null = null;
  /** Set while the peer tears its own media down (resume, close, a requested close): the client knows. */
  private ownTeardown = false;

  constructor(options: PeerOptions) {
    super();
    this.id = options.id;
    this.roomId = options.roomId;
    this.displayName = options.displayName;
    this.canPublish = options.canPublish;
    this.canSubscribe = options.canSubscribe;
    this.channel = options.channel;
    this.log = logger.child({ mod: 'peer', roomId: this.roomId, peerId: this.id });
  }

  get closed(): boolean {
    return this.closedReason !== null;
  }

  /** Whether the peer has a live signaling socket (false during the reconnect grace). */
  get connected(): boolean {
    return this.channel !== null;
  }

  /** The secret a reconnecting client proves the session with; handed out once, in the join ack. */
  get secret(): string {
    return this.sessionSecret;
  }

  /** Constant-time comparison of a resume secret. */
  matchesSecret(candidate: string): boolean {
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.sessionSecret);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  info(): PeerInfo {
    return { id: this.id, displayName: this.displayName, producers: [...this.producers.values()].map((p) => producerInfo(this.id, p)) };
  }

  notify<E extends keyof ServerEvents>(event: E, payload: Parameters<ServerEvents[E]>[0]): void {
    this.channel?.notify(event, payload);
  }

  getTransport(id: string): WebRtcTransport {
    const transport = this.transports.get(id);
    if (!transport) throw new NotFoundError(`no transport ${id}`);
    return transport;
  }

  /** Direction, router and receive capabilities of one of the peer's transports. */
  transportInfoOf(id: string): TransportInfo {
    const info = this.transportInfo.get(id);
    if (!info) throw new NotFoundError(`no transport ${id}`);
    return info;
  }

  getProducer(id: string): Producer {
    const producer = this.producers.get(id);
    if (!producer) throw new NotFoundError(`no producer ${id}`);
    return producer;
  }

  getConsumer(id: string): Consumer {
    const consumer = this.consumers.get(id);
    if (!consumer) throw new NotFoundError(`no consumer ${id}`);
    return consumer;
  }

  /** Takes ownership of a new transport: a failed or closed transport is closed with everything on it. */
  addTransport(transport: WebRtcTransport, info: TransportInfo): void {
    this.transports.set(transport.id, transport);
    this.transportInfo.set(transport.id, info);
    // The client cannot repair a transport whose DTLS failed: it rebuilds both on `mediaReset`.
    const failed = (what: string): void => {
      this.log.info({ transportId: transport.id, direction: info.direction, what }, 'transport failed; the client rebuilds');
      this.resetMedia(`transport failed (${what})`);
    };
    transport.on('dtlsstatechange', (state) => {
      if (state === 'failed') failed('dtls failed');
      // close_notify: the client closed this transport itself, and knows.
      else if (state === 'closed') this.quietly(() => {
        transport.close();
        this.onTransportGone(transport);
      });
    });
    // The router went away under it (room closed, or its worker died: `resetMedia` follows and
    // tells the client to rebuild), so the client is not told producer by producer.
    transport.on('routerclose', () => this.quietly(() => this.onTransportGone(transport)));
    transport.observer.once('close', () => this.onTransportGone(transport));
  }

  addProducer(transport: WebRtcTransport, producer: Producer): void {
    this.producers.set(producer.id, producer);
    this.transportOf.set(producer.id, transport.id);
    // A producer closed with its transport is part of a teardown the client hears of as a whole.
    producer.observer.once('close', () => (transport.closed ? this.quietly(() => this.onProducerGone(producer)) : this.onProducerGone(producer)));
  }

  addConsumer(transport: WebRtcTransport, consumer: Consumer): void {
    this.consumers.set(consumer.id, consumer);
    this.transportOf.set(consumer.id, transport.id);
    consumer.observer.once('close', () => (transport.closed ? this.quietly(() => this.onConsumerGone(consumer)) : this.onConsumerGone(consumer)));
  }

  /** Closes one of the peer's producers at its request; the Room tells the others. */
  closeProducer(id: string): void {
    const producer = this.getProducer(id);
    this.quietly(() => this.onProducerGone(producer));
  }

  /** The socket dropped without `leave`: keep the session for `graceMs`, then close. */
  detach(channel: PeerChannel, graceMs: number): void {
    if (this.closed || this.channel !== channel) return;
    this.channel = null;
    this.log.info({ graceMs }, 'socket lost; holding the session for a reconnect');
    this.graceTimer = setTimeout(() => this.close('reconnect grace expired'), graceMs);
  }

  /**
   * A new socket resumes this session: the old socket is released, the old transports are
   * closed (the client builds new ones and produces again) and the grace timer stops.
   */
  takeOver(channel: PeerChannel): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = null;
    const previous = this.channel;
    this.channel = channel;
    previous?.release();
    this.quietly(() => this.closeTransports());
    this.log.info({ address: channel.address }, 'session resumed');
  }

  /** Ends the peer: the one place its life ends, with one log line. Idempotent. */
  close(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = null;
    this.quietly(() => this.closeTransports());
    const channel = this.channel;
    this.channel = null;
    channel?.release();
    this.log.info({ reason, address: channel?.address }, `closed: ${reason}`);
    this.safeEmit('@close', reason);
  }

  private closeTransports(): void {
    for (const transport of [...this.transports.values()]) {
      transport.close();
      this.onTransportGone(transport);
    }
  }

  private quietly(fn: () => void): void {
    this.ownTeardown = true;
    try {
      fn();
    } finally {
      this.ownTeardown = false;
    }
  }

  /**
   * The server lost the peer's media (its router's worker died): everything on its transports
   * is dropped without telling the client piecemeal; the client is told `mediaReset` and
   * rebuilds (new transports, produce and consume again).
   */
  resetMedia(reason: string): void {
    if (this.closed) return;
    this.quietly(() => this.closeTransports());
    this.notify('mediaReset', { reason });
  }

  private onTransportGone(transport: WebRtcTransport): void {
    if (!this.transports.delete(transport.id)) return;
    this.transportInfo.delete(transport.id);
    for (const [id, transportId] of [...this.transportOf]) {
      if (transportId !== transport.id) continue;
      const producer = this.producers.get(id);
      if (producer) this.onProducerGone(producer);
      const consumer = this.consumers.get(id);
      if (consumer) this.onConsumerGone(consumer);
    }
  }

  private onProducerGone(producer: Producer): void {
    this.transportOf.delete(producer.id);
    if (!this.producers.delete(producer.id)) return;
    producer.close();
    // The others always learn of it (through the Room); the owner only when the server ended it.
    if (!this.ownTeardown && !this.closed) this.notify('producerClosed', { producerId: producer.id, peerId: this.id });
    this.safeEmit('@producerclose', producer);
  }

  private onConsumerGone(consumer: Consumer): void {
    this.transportOf.delete(consumer.id);
    if (!this.consumers.delete(consumer.id)) return;
    consumer.close();
    if (!this.ownTeardown && !this.closed) this.notify('consumerClosed', { consumerId: consumer.id });
  }
}

/** What a peer keeps of each of its transports. */
export interface TransportInfo {
  direction: 'send' | 'recv';
  router: Router;
  /** The client's receive capabilities (recv transports): what its consumers are built for. */
  rtpCapabilities?: RtpCapabilities;
}

/** The signaling view of a producer; `source` is what the publisher declared in `produce`. */
export function producerInfo(peerId: string, producer: Producer): ProducerInfo {
  const source = sourceSchema.safeParse(producer.appData.source);
  return { id: producer.id, peerId, kind: producer.kind, source: source.success ? source.data : 'stream', paused: producer.paused };
}
