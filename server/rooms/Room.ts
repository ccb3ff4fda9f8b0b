import type { Logger } from 'pino';
import type { PeerInfo, ServerEvents } from '../../protocol/signaling/schemas.js';
import { EnhancedEventEmitter } from '../lib/EnhancedEventEmitter.js';
import { ConflictError, InvalidStateError } from '../lib/errors.js';
import { RouterGroup, type ActiveSpeakerObserver, type Producer, type Sfu } from '../sfu/index.js';

/** How often mediasoup's ActiveSpeakerObserver re-elects the dominant speaker, ms (its own hysteresis smooths it). */
export const SPEAKER_INTERVAL_MS = 300;
import { Peer, producerInfo } from './Peer.js';

export interface RoomOptions {
  id: string;
  sfu: Sfu;
  maxPeers: number;
  log: Logger;
}

type RoomEvents = { '@close': [] };

/**
 * A room: its peers and the SFU routers they share (a RouterGroup: one router, spread over more
 * workers when the room outgrows one). The routers are created with the first peer and the
 * room closes (routers included) when its last peer leaves. The room relays what one peer does
 * to the others: joined, left, new/closed/paused/resumed producers. When a mediasoup worker
 * under the room dies, every peer is told `mediaReset` and rebuilds on new routers.
 */
export class Room extends EnhancedEventEmitter<RoomEvents> {
  readonly id: string;
  readonly createdAt = new Date();
  readonly peers = new Map<string, Peer>();
  private group: Promise<RouterGroup> | null = null;
  private speakers: Promise<ActiveSpeakerObserver | undefined> | null = null;
  /** The dominant speaker's peer id, as last announced. */
  activeSpeaker: string | null = null;
  private readonly sfu: Sfu;
  private readonly maxPeers: number;
  private readonly log: Logger;
  private closed = false;

  constructor(options: RoomOptions) {
    super();
    this.id = options.id;
    this.sfu = options.sfu;
    this.maxPeers = options.maxPeers;
    this.log = options.log.child({ roomId: this.id });
  }

  /** The room's routers, created on first use (and again after a worker under them died). */
  getRouters(): Promise<RouterGroup> {
    if (this.closed) return Promise.reject(new InvalidStateError(`room ${this.id} is closed`));
    if (!this.group) {
      const pending = RouterGroup.create(this.sfu, { roomId: this.id });
      this.group = pending;
      pending.then(
        (group) => {
          if (this.closed) group.close('room closed');
          group.once('close', (reason) => this.onRoutersLost(pending, reason));
          this.speakers = group.primary.createActiveSpeakerObserver({ interval: SPEAKER_INTERVAL_MS }).then(
            (observer) => {
              observer.on('dominantspeaker', ({ producer }) => this.setSpeaker(typeof producer.appData.peerId === 'string' ? producer.appData.peerId : null));
              return observer;
            },
            () => undefined,
          );
        },
        () => {
          if (this.group === pending) this.group = null;
        },
      );
    }
    return this.group;
  }

  /** A producer of any peer in the room. */
  findProducer(id: string): Producer | undefined {
    for (const peer of this.peers.values()) {
      const producer = peer.producers.get(id);
      if (producer) return producer;
    }
    return undefined;
  }

  /** Adds a peer (after which the others are told) and wires its departure. */
  addPeer(peer: Peer): void {
    if (this.closed) throw new InvalidStateError(`room ${this.id} is closed`);
    if (this.peers.size >= this.maxPeers) throw new ConflictError(`room ${this.id} is full (${this.maxPeers} peers)`);
    this.peers.set(peer.id, peer);
    peer.on('@producerclose', (producer) => this.broadcast('producerClosed', { producerId: producer.id, peerId: peer.id }, peer.id));
    peer.on('@close', () => this.removePeer(peer));
    this.broadcast('peerJoined', { peer: peer.info() }, peer.id);
    this.log.info({ peerId: peer.id, displayName: peer.displayName, peers: this.peers.size }, 'peer joined');
  }

  /** What a joining peer sees: everyone else, with their producers. */
  peerInfos(except: string): PeerInfo[] {
    return [...this.peers.values()].filter((p) => p.id !== except).map((p) => p.info());
  }

  /** Tells the other peers about a peer's new producer, so they can consume it. */
  announceProducer(peer: Peer, producerId: string): void {
    const producer = peer.producers.get(producerId);
    if (!producer) return;
    this.broadcast('newProducer', { producer: producerInfo(peer.id, producer) }, peer.id);
    // Microphones take part in the dominant-speaker election (the observer drops closed ones).
    if (producer.kind === 'audio' && producer.appData.source === 'mic') {
      void this.speakers?.then((observer) => observer?.addProducer({ producerId }).catch(() => undefined));
    }
  }

  private setSpeaker(peerId: string | null): void {
    if (peerId === this.activeSpeaker) return;
    this.activeSpeaker = peerId;
    this.broadcast('activeSpeaker', { peerId });
  }

  /** Sends a notification to every peer but `except`. */
  broadcast<E extends keyof ServerEvents>(event: E, payload: Parameters<ServerEvents[E]>[0], except?: string): void {
    for (const peer of this.peers.values()) if (peer.id !== except) peer.notify(event, payload);
  }

  /** Closes every peer (they are told why) and the router. Idempotent. */
  close(reason = 'room closed'): void {
    if (this.closed) return;
    this.closed = true;
    for (const peer of [...this.peers.values()]) {
      peer.notify('kicked', { reason });
      peer.close(reason);
    }
    const group = this.group;
    this.group = null;
    void group?.then((g) => g.close('room closed'), () => undefined);
    this.log.info({ reason }, 'room closed');
    this.safeEmit('@close');
  }

  /** The routers went away under the peers (a worker died): every peer rebuilds on new ones. */
  private onRoutersLost(group: Promise<RouterGroup>, reason: string): void {
    if (this.group !== group || this.closed) return;
    this.group = null;
    this.speakers = null;
    this.log.warn({ reason, peers: this.peers.size }, 'room media lost; peers reconnect');
    for (const peer of this.peers.values()) peer.resetMedia(reason);
  }

  private removePeer(peer: Peer): void {
    if (this.peers.get(peer.id) !== peer) return;
    this.peers.delete(peer.id);
    this.broadcast('peerLeft', { peerId: peer.id });
    if (this.peers.size === 0) this.close('last peer left');
  }
}
