import type { ServerEvents } from '../../protocol/signaling/schemas.js';
import type { Peer, PeerChannel } from '../rooms/Peer.js';

/** The part of a socket.io socket a session uses (a fake in unit tests). */
export interface SessionSocket {
  readonly id: string;
  readonly handshake: { readonly address: string };
  emit(event: string, ...args: unknown[]): unknown;
}

/**
 * One signaling socket's state: which peer (if any) it speaks for. A session is bound to a
 * peer by `join` and unbound when the peer closes or resumes on another socket.
 */
export class SignalingSession implements PeerChannel {
  private boundPeer: Peer | null = null;
  private readonly socket: SessionSocket;

  constructor(socket: SessionSocket) {
    this.socket = socket;
  }

  get id(): string {
    return this.socket.id;
  }

  get address(): string {
    return this.socket.handshake.address;
  }

  get peer(): Peer | null {
    return this.boundPeer;
  }

  /** Makes this session speak for `peer` until the peer closes or moves to another session. */
  bind(peer: Peer): void {
    this.boundPeer = peer;
    peer.once('@close', () => {
      if (this.boundPeer === peer) this.boundPeer = null;
    });
  }

  notify<E extends keyof ServerEvents>(event: E, payload: Parameters<ServerEvents[E]>[0]): void {
    this.socket.emit(event, payload);
  }

  release(): void {
    this.boundPeer = null;
  }
}
