import type { Logger } from 'pino';
import type { PeerInfo, ServerEvents } from '../../protocol/signaling/schemas.js';
import { EnhancedEventEmitter } from '../lib/EnhancedEventEmitter.js';
import { ConflictError, InvalidStateError } from '../lib/errors.js';
import type { Router, Sfu } from '../sfu/index.js';
import { Peer, producerInfo } from './Peer.js';

export interface RoomOptions {
  id: string;
  sfu: Sfu;
  maxPeers: number;
  log: Logger;
}

type RoomEvents = { '@close': [] };

/**
 * A room: its peers and the one SFU Router they share. The router is created with the first
 * peer and the room closes (router included) when its last peer leaves. The room relays what
 * one peer does to the others: joined, left, new/closed/paused/resumed producers.
 */
export class Room extends EnhancedEventEmitter<RoomEvents> {
  readonly id: string;
  readonly createdAt = new Date();
  readonly peers = new Map<string, Peer>();
  private router: Router | null = null;
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

  /** The room's router, created on first use. */
  getRouter(): Router {
    if (this.closed) throw new InvalidStateError(`room ${this.id} is closed`);
    this.router ??= this.sfu.createRouter({ appData: { roomId: this.id } });
    return this.router;
  }

  /** Adds a peer (after which the others are told) and wires its departure. */
  addPeer(peer: Peer): void {
    if (this.closed) throw new InvalidStateError(`room ${this.id} is closed`);
    if (this.peers.size >= this.maxPeers) throw new ConflictError(`room ${this.id} is full (${this.maxPeers} peers)`);
    this.getRouter();
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
    if (producer) this.broadcast('newProducer', { producer: producerInfo(peer.id, producer) }, peer.id);
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
    this.router?.close();
    this.router = null;
    this.log.info({ reason }, 'room closed');
    this.safeEmit('@close');
  }

  private removePeer(peer: Peer): void {
    if (this.peers.get(peer.id) !== peer) return;
    this.peers.delete(peer.id);
    this.broadcast('peerLeft', { peerId: peer.id });
    if (this.peers.size === 0) this.close('last peer left');
  }
}
