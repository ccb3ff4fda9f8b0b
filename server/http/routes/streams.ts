import { Router, type NextFunction, type Request, type Response } from 'express';
import { jwtVerify } from 'jose';
import { NotFoundError, UnauthorizedError } from '../../lib/errors.js';
import type { StreamEntry, StreamRegistry } from '../../gateway/registry.js';

/**
 * `GET /api/v1/streams` (every live stream), `GET /api/v1/streams/<path>` (one; 404 JSON
 * when not live) and `DELETE /api/v1/streams/<path>` (kick the publisher; 204). With
 * `auth.secret` set all need `Authorization: Bearer <JWT HS256 with admin: true>`.
 */
export function streamsRouter(options: { registry: StreamRegistry; secret: string | null; kick?: (path: string, reason: string) => boolean }): Router {
  const router = Router();
  if (options.secret !== null) router.use(requireAdmin(options.secret));
  router.get('/', (_req, res) => {
    res.json({ streams: options.registry.list().map(toJson) });
  });
  router.get('/*path', (req, res) => {
    const path = pathParam(req.params.path);
    const entry = options.registry.get(path);
    if (!entry) throw new NotFoundError(`stream ${path} is not live`);
    res.json(toJson(entry));
  });
  router.delete('/*path', (req, res) => {
    const path = pathParam(req.params.path);
    if (!options.registry.get(path) || !options.kick?.(path, 'kicked by the API')) throw new NotFoundError(`stream ${path} is not live`);
    res.status(204).end();
  });
  return router;
}

/** Express 5 gives a `*path` wildcard as its segments. */
function pathParam(segments: unknown): string {
  return Array.isArray(segments) ? segments.join('/') : String(segments);
}

/** The API shape of a stream: registry fields plus reader total and ISO start time. */
function toJson(e: StreamEntry): Record<string, unknown> {
  const total = Object.values(e.readers).reduce((a, b) => a + (b ?? 0), 0);
  return {
    path: e.path,
    origin: e.origin,
    tracks: e.tracks,
    bitrate: e.bitrate,
    readers: { ...e.readers, total },
    drops: e.drops,
    startedAt: new Date(e.startedAt).toISOString(),
    remoteAddress: e.remoteAddress,
    worker: e.worker,
    webrtc: e.webrtc,
  };
}

/** Middleware: a valid HS256 JWT with `admin: true` in the Authorization header. */
export function requireAdmin(secret: string): (req: Request, res: Response, next: NextFunction) => Promise<void> {
  const key = new TextEncoder().encode(secret);
  return async (req, _res, next) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer (\S+)$/.exec(header);
    if (!match) throw new UnauthorizedError('an admin token is required (Authorization: Bearer <jwt>)');
    let admin: unknown;
    try {
      ({
        payload: { admin },
      } = await jwtVerify(match[1]!, key, { algorithms: ['HS256'] }));
    } catch {
      throw new UnauthorizedError('admin token invalid or expired');
    }
    if (admin !== true) throw new UnauthorizedError('token is not an admin token');
    next();
  };
}
