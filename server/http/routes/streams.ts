import { json, Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { pullParamsSchema } from '../../../protocol/control/messages.js';
import type { PulledSource, PullManager } from '../../gateway/pulls.js';
import { formatRtspUrl, parseRtspUrl } from '../../../protocol/rtsp/url.js';
import { jwtVerify } from 'jose';
import { ConflictError, NotFoundError, UnauthorizedError } from '../../lib/errors.js';
import type { StreamEntry, StreamRegistry } from '../../gateway/registry.js';

/** `POST /api/v1/streams` body: a stream name and the source to pull (issue 7). */
export const addStreamBodySchema = z
  .object({ name: pullParamsSchema.shape.path, source: pullParamsSchema.shape.source, transport: pullParamsSchema.shape.transport, onDemand: pullParamsSchema.shape.onDemand, tlsVerify: pullParamsSchema.shape.tlsVerify })
  .strict();

/**
 * `GET /api/v1/streams` (every live stream, and every pulled source even while it is not
 * live), `GET /api/v1/streams/<path>` (one; 404 JSON when neither), `POST /api/v1/streams`
 * (pull a source: `{ name, source, transport?, onDemand?, tlsVerify? }`; 201) and
 * `DELETE /api/v1/streams/<path>` (stop pulling a source, else kick the publisher; 204).
 * With `auth.secret` set all need `Authorization: Bearer <JWT HS256 with admin: true>`.
 */
export function streamsRouter(options: { registry: StreamRegistry; secret: string | null; kick?: (path: string, reason: string) => boolean; pulls?: PullManager }): Router {
  const router = Router();
  if (options.secret !== null) router.use(requireAdmin(options.secret));
  const pulls = options.pulls;
  const describe = (path: string): Record<string, unknown> | undefined => {
    const entry = options.registry.get(path);
    const pulled = pulls?.get(path);
    if (!entry && !pulled) return undefined;
    return { ...(entry ? toJson(entry) : { path, live: false }), ...(entry ? { live: true } : {}), ...(pulled ? { source: sourceJson(pulled) } : {}) };
  };
  router.get('/', (_req, res) => {
    const paths = new Set([...options.registry.list().map((e) => e.path), ...(pulls?.list().map((p) => p.params.path) ?? [])]);
    res.json({ streams: [...paths].map(describe) });
  });
  router.post('/', json(), (req, res) => {
    if (!pulls) throw new NotFoundError('pulling sources needs the gateway');
    const parsed = addStreamBodySchema.safeParse(req.body);
    if (!parsed.success) throw new TypeError(`bad body: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`.trim());
    const { name, ...rest } = parsed.data;
    if (options.registry.get(name) && !pulls.get(name)) throw new ConflictError(`stream ${name} is live from another publisher`);
    pulls.add({ path: name, ...rest });
    res.status(201).json(describe(name));
  });
  router.get('/*path', (req, res) => {
    const path = pathParam(req.params.path);
    const out = describe(path);
    if (!out) throw new NotFoundError(`stream ${path} is not live`);
    res.json(out);
  });
  router.delete('/*path', (req, res) => {
    const path = pathParam(req.params.path);
    if (pulls?.get(path)) {
      pulls.remove(path, 'removed by the API');
      res.status(204).end();
      return;
    }
    if (!options.registry.get(path) || !options.kick?.(path, 'kicked by the API')) throw new NotFoundError(`stream ${path} is not live`);
    res.status(204).end();
  });
  return router;
}

/** A pulled source in the API: URL without credentials, state and last error. */
function sourceJson(p: PulledSource): Record<string, unknown> {
  let url: string;
  try {
    url = formatRtspUrl(parseRtspUrl(p.params.source));
  } catch {
    url = '(unparsable)';
  }
  return { url, transport: p.params.transport, onDemand: p.params.onDemand, from: p.from, state: p.state, since: new Date(p.since).toISOString(), ...(p.error ? { lastError: p.error } : {}) };
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
