import type http from 'node:http';
import { Server } from 'socket.io';
import type { ClientEvents, ServerEvents } from '../../protocol/signaling/schemas.js';
import type { SignalingServices } from './context.js';
import { SignalingDispatcher } from './Dispatcher.js';
import { handlers } from './handlers/index.js';
import { SignalingSession } from './SignalingSession.js';

/** The socket.io path the SDK connects to. */
export const SIGNALING_PATH = '/socket.io';
/** Largest socket.io message accepted: a maximal SDP (64 KiB) plus its envelope, with margin. */
const MAX_MESSAGE_BYTES = 256 * 1024;

export interface SignalingServerOptions {
  httpServer: http.Server;
  services: SignalingServices;
  /** How long a peer whose socket dropped without `leave` is kept for a resume, in ms. */
  reconnectGraceMs: number;
}

/**
 * Room signaling over socket.io: one SignalingSession per socket, every incoming event through
 * the dispatcher, and a dropped socket's peer held for the reconnect grace.
 */
export class SignalingServer {
  readonly io: Server<ClientEvents, ServerEvents>;
  readonly dispatcher: SignalingDispatcher;
  private closed = false;

  constructor(options: SignalingServerOptions) {
    const { services, reconnectGraceMs } = options;
    this.dispatcher = new SignalingDispatcher(handlers, services);
    this.io = new Server<ClientEvents, ServerEvents>(options.httpServer, { path: SIGNALING_PATH, serveClient: false, maxHttpBufferSize: MAX_MESSAGE_BYTES });
    this.io.on('connection', (socket) => {
      const session = new SignalingSession(socket);
      socket.onAny((event: string, ...args: unknown[]) => this.dispatcher.handle(session, event, args));
      socket.on('disconnect', (reason) => {
        const peer = session.peer;
        services.log.debug({ socket: socket.id, reason, peerId: peer?.id }, 'socket disconnected');
        if (!peer) return;
        if (reconnectGraceMs > 0) peer.detach(session, reconnectGraceMs);
        else peer.close(`socket ${reason}`);
      });
    });
  }

  /** Disconnects every socket and stops accepting new ones. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.io.disconnectSockets(true);
    // io.close() would also close the HTTP server, which belongs to the caller.
    this.io.engine.close();
    this.io.removeAllListeners();
  }
}
