import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Authorize } from '../authorize.js';
import type { Hub } from '../hub/hub.js';
import type { StreamSource } from '../relay/stream-finder.js';
import { logger } from '../lib/logger.js';
import { DEFAULT_RTMP_TIMEOUTS, RtmpSession, type RtmpTimeouts } from './rtmp-session.js';

const log = logger.child({ mod: 'rtmp' });

/**
 * Most RTMP connections one worker holds (publishers and players). Each costs a socket, a
 * chunk reader (up to MAX_CHUNK_STREAMS partial messages) and, for players, a reader queue;
 * beyond this new connections are refused at once so existing ones keep their resources.
 */
export const MAX_RTMP_SESSIONS = 2_000;

/** The RTMP listener (`rtmp.port`, default 1935): one RtmpSession per TCP connection. */
export class RtmpServer {
  readonly #server: net.Server;
  readonly #sessions = new Set<RtmpSession>();
  readonly #hub: Hub;
  readonly #authorize: Authorize;
  readonly #source: StreamSource;
  readonly #timeouts: RtmpTimeouts;
  readonly #maxSessions: number;
  #nextConn = 1;

  constructor(hub: Hub, source: StreamSource, authorize: Authorize, options: { timeouts?: Partial<RtmpTimeouts>; maxSessions?: number } = {}) {
    this.#hub = hub;
    this.#source = source;
    this.#authorize = authorize;
    this.#timeouts = { ...DEFAULT_RTMP_TIMEOUTS, ...options.timeouts };
    this.#maxSessions = options.maxSessions ?? MAX_RTMP_SESSIONS;
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
    log.info({ port: bound }, `RTMP listening on ${host}:${bound}`);
    return bound;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const s of [...this.#sessions]) s.close('server stopping');
    await closed;
  }

  #onConnection(socket: net.Socket): void {
    if (this.#sessions.size >= this.#maxSessions) {
      log.warn({ remoteAddress: socket.remoteAddress, sessions: this.#sessions.size }, 'closed: too many RTMP sessions');
      socket.destroy();
      return;
    }
    const session = new RtmpSession({
      socket,
      hub: this.#hub,
      source: this.#source,
      authorize: this.#authorize,
      log: log.child({ conn: this.#nextConn++ }),
      onClosed: (s) => this.#sessions.delete(s),
      timeouts: this.#timeouts,
    });
    this.#sessions.add(session);
  }
}
