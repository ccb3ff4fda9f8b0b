import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { createApp, errorHandler } from './http/app.js';
import { logger } from './lib/logger.js';

const log = logger.child({ mod: 'server' });

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
  app.use(errorHandler);
  const httpServer = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.http.port, config.http.host, resolve);
  });
  const port = (httpServer.address() as AddressInfo).port;
  log.info({ port }, `listening on http://${config.http.host}:${port}`);
  return {
    config,
    httpServer,
    port,
    async close() {
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
