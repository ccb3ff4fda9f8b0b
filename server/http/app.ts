import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { errorCode, httpStatus } from '../lib/errors.js';
import { logger } from '../lib/logger.js';

const log = logger.child({ mod: 'http' });

/** Where `npm run build` puts the bundled web pages. */
export const CLIENT_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../client/dist');

/** Builds the express app shell: JSON parsing, health, static pages; routes are mounted by the caller. */
export function createApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, uptime: process.uptime() });
  });
  if (!existsSync(CLIENT_DIST)) log.warn({ dir: CLIENT_DIST }, 'web pages not built: run npm run build');
  app.use('/static', express.static(CLIENT_DIST, { index: false, maxAge: '1h' }));
  // The home page: join a room, how to publish, live streams.
  app.get('/', (_req, res) => {
    res.sendFile(path.join(CLIENT_DIST, 'index.html'));
  });
  return app;
}

/** The last middleware: maps error classes to status codes and a JSON body. */
export function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  const code = errorCode(err);
  const status = (err as { status?: number }).status ?? httpStatus(code);
  if (status >= 500) log.error({ err, url: req.originalUrl }, 'request failed');
  res.status(status).json({ error: { code: status === 400 && code === 'internal' ? 'bad_request' : code, message: (err as Error).message ?? String(err) } });
}
