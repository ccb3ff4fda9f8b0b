import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { logger } from '../lib/logger.js';
import { RtspServerSession, type RtspSessionContext } from './rtsp-session.js';

const log = logger.child({ mod: 'rtsp' });

/**
 * Most RTSP connections one worker holds (publishers and players). Each UDP session also holds
 * a pair of sockets per track; beyond this new connections are refused so existing ones keep
 * their resources.
 */
export const MAX_RTSP_SESSIONS = 2_000;

/** The RTSP listener (`rtsp.port`, default 8554): one RtspServerSession per TCP connection. */
export class RtspServer {
  readonly #server: net.Server;
  readonly #sessions = new Set<RtspServerSession>();
  readonly #ctx: RtspSessionContext;
  #nextConn = 1;

  constructor(ctx: RtspSessionContext) {
    this.#ctx = ctx;
    this.#server = net.createServer((socket) => this.#onConnection(socket));
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const bound = (this.#server.address() as AddressInfo).port;
    log.info({ port: bound }, `RTSP listening on ${host}:${bound}`);
    return bound;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const s of [...this.#sessions]) s.close('server stopping');
    await closed;
  }

  #onConnection(socket: net.Socket): void {
    if (this.#sessions.size >= MAX_RTSP_SESSIONS) {
      log.warn({ remoteAddress: socket.remoteAddress, sessions: this.#sessions.size }, 'closed: too many RTSP sessions');
      socket.destroy();
      return;
    }
    const session = new RtspServerSession({ socket, ctx: this.#ctx, log: log.child({ conn: this.#nextConn++ }), onClosed: (s) => this.#sessions.delete(s) });
    this.#sessions.add(session);
  }
}
