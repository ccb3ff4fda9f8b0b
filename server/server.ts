import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Config } from './config.js';
import { createApp, errorHandler } from './http/app.js';
import { logger } from './lib/logger.js';
import { mountRooms } from './rooms/mount.js';
import { mountGateway } from './gateway/mount.js';
import { mountHls } from './http/hls.js';
import { mountWebrtcStreams } from './bridge/mount.js';

const log = logger.child({ mod: 'server' });

/** What a subsystem gets to mount itself: it adds routes and returns its close function. */
export interface ServerContext {
  config: Config;
  app: Express;
  httpServer: http.Server;
}

/** A subsystem's handle: closed in reverse order of mounting when the server stops. */
export interface Subsystem {
  name: string;
  close(): Promise<void> | void;
}

/** A running Estuary server (what tests start and stop). */
export interface EstuaryServer {
  config: Config;
  httpServer: http.Server;
  /** The bound HTTP port (useful when configured with port 0 in tests). */
  port: number;
  close(): Promise<void>;
}

/** Starts the HTTP server with every subsystem the config enables. */
export async function startServer(config: Config): Promise<EstuaryServer> {
  const app = createApp();
  const httpServer = http.createServer(app);
  const ctx: ServerContext = { config, app, httpServer };
  const subsystems: Subsystem[] = [];
  const closeAll = async (): Promise<void> => {
    for (const s of [...subsystems].reverse()) {
      try {
        await s.close();
      } catch (err) {
        log.error({ err, subsystem: s.name }, 'subsystem close failed');
      }
    }
  };
  try {
    // -- subsystems mount here, one line each (rooms/signaling, gateway supervision, ...) --
    subsystems.push(await mountRooms(ctx));
    subsystems.push(await mountGateway(ctx));
    subsystems.push(mountHls(ctx));
    subsystems.push(mountWebrtcStreams(ctx, subsystems));
    // -- end of subsystems --
    app.use(errorHandler);
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.http.port, config.http.host, resolve);
    });
  } catch (err) {
    // What did start (mediasoup workers, gateway workers) must not outlive a failed start.
    await closeAll();
    httpServer.close();
    throw err;
  }
  const port = (httpServer.address() as AddressInfo).port;
  log.info({ port }, `listening on http://${config.http.host}:${port}`);
  return {
    config,
    httpServer,
    port,
    async close() {
      await closeAll();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
