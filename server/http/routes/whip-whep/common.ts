import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { jwtVerify } from 'jose';
import { streamPathSchema } from '../../../../protocol/control/messages.js';
import { ConflictError, UnauthorizedError, UnsupportedError } from '../../../lib/errors.js';
import { streamMatches } from '../../../gateway/publish-rules.js';
import type { WebRtcTransport } from '../../../sfu/index.js';

/**
 * What WHIP (RFC 9725) and WHEP (draft-ietf-wish-whep) share: SDP bodies, CORS, ICE server
 * Link headers (RFC 9725 §4.6), Bearer auth (§4.5), session resources with ETag and trickle
 * ICE PATCH (§4.3).
 */

/** Largest SDP offer or trickle fragment accepted: a browser offer is 5–10 KB. */
export const MAX_SDP_BODY_BYTES = 64 * 1024;
/** Concurrent sessions per endpoint kind: each holds a peer connection (a few hundred KB and fds). */
export const MAX_SESSIONS = 2_000;
/** Longest Bearer token considered (a JWT with a stream claim is a few hundred bytes). */
const MAX_TOKEN_LENGTH = 4096;

export const SDP_TYPE = 'application/sdp';
export const SDPFRAG_TYPE = 'application/trickle-ice-sdpfrag';

/** RFC 9110 §13.1.1: If-Match names another ICE session than the current one. */
export class PreconditionFailedError extends ConflictError {
  override name = 'PreconditionFailedError';
  readonly status = 412;
}

/** One WHIP or WHEP session: the resource the `Location` names, deleted with DELETE. */
export interface WebRtcSession {
  id: string;
  path: string;
  transport: WebRtcTransport;
  /** Strong entity tag of the ICE session (RFC 9725 §4.3.1). */
  etag: string;
  /** The client's current ICE ufrag: a PATCH with another one is an ICE restart. */
  remoteUfrag: string | undefined;
}

export function newSessionId(): string {
  return randomBytes(12).toString('base64url');
}

export function newEtag(): string {
  return `"${randomBytes(9).toString('base64url')}"`;
}

/** Body parser for SDP and trickle fragments; anything else leaves `req.body` unset. */
export const sdpBody: RequestHandler = express.text({ type: [SDP_TYPE, SDPFRAG_TYPE], limit: MAX_SDP_BODY_BYTES });

/** The request body when it has the expected content type; UnsupportedError (415) otherwise. */
export function bodyOf(req: Request, type: string): string {
  if (!req.is(type) || typeof req.body !== 'string') throw new UnsupportedError(`Content-Type must be ${type}`);
  return req.body;
}

/** `/whip/<a>/<b>` → `a/b`, validated; TypeError (400) for a bad path. */
export function streamPathOf(req: Request): string {
  const segments = (req.params as { path?: string[] }).path ?? [];
  const path = segments.join('/');
  if (!streamPathSchema.safeParse(path).success) throw new TypeError('not a stream path');
  return path;
}

/**
 * CORS for browser clients (RFC 9725 §4.4 lets any origin in by default): preflight answered
 * here with the methods and headers WHIP/WHEP use; Location, ETag, Link and Accept-Patch exposed.
 */
export function cors(origins: readonly string[]): RequestHandler {
  const any = origins.includes('*');
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    if (any) res.set('Access-Control-Allow-Origin', '*');
    else if (origin && origins.includes(origin)) res.set({ 'Access-Control-Allow-Origin': origin, Vary: 'Origin' });
    res.set('Access-Control-Expose-Headers', 'Location, ETag, Link, Accept-Patch');
    if (req.method !== 'OPTIONS') return next();
    res.set({
      'Access-Control-Allow-Methods': 'POST, PATCH, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type, If-Match',
      'Access-Control-Max-Age': '600',
      'Accept-Post': SDP_TYPE,
      'Accept-Patch': SDPFRAG_TYPE,
    });
    res.status(204).end();
  };
}

/**
 * RFC 9725 §4.6: one `Link: <url>; rel="ice-server"` per configured ICE server URL, with
 * username and credential for TURN.
 */
export function iceServerLinks(servers: readonly { urls: string | string[]; username?: string; credential?: string }[]): string[] {
  const out: string[] = [];
  for (const s of servers) {
    for (const url of Array.isArray(s.urls) ? s.urls : [s.urls]) {
      let link = `<${url}>; rel="ice-server"`;
      if (s.username !== undefined && s.credential !== undefined) {
        link += `; username="${s.username.replace(/"/g, '')}"; credential="${s.credential.replace(/"/g, '')}"; credential-type="password"`;
      }
      out.push(link);
    }
  }
  return out;
}

/** The Bearer token of the request (RFC 6750 §2.1), if any. */
export function bearer(req: Request): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

/**
 * Verifies a JWT (HS256, `auth.secret`) whose `stream` claim covers `path` (`live/demo`,
 * `live/*`, `*`) and, when `publish`, carries `publish: true`. UnauthorizedError (401) otherwise.
 */
export async function requireStreamToken(req: Request, res: Response, secret: string, path: string, publish: boolean): Promise<void> {
  const token = bearer(req);
  const fail = (reason: string): never => {
    res.set('WWW-Authenticate', `Bearer realm="estuary", error="invalid_token"`);
    throw new UnauthorizedError(reason);
  };
  if (!token) fail('a Bearer token is required');
  if ((token as string).length > MAX_TOKEN_LENGTH) fail('token too long');
  let payload: Record<string, unknown> = {};
  try {
    ({ payload } = await jwtVerify(token as string, new TextEncoder().encode(secret), { algorithms: ['HS256'] }));
  } catch {
    fail('token invalid or expired');
  }
  if (publish && payload.publish !== true) fail('token does not allow publishing');
  if (typeof payload.stream !== 'string' || !streamMatches(payload.stream, path)) fail('token is for another stream');
}

/**
 * Trickle ICE and ICE restart PATCH (RFC 9725 §4.3, RFC 8840). If-Match must name the session's
 * ETag (or `*`): 412 otherwise. The server is ICE-lite (mediasoup): it learns the client's
 * addresses from its connectivity checks, so trickled candidates need nothing and get 204. A
 * fragment with an `a=ice-ufrag` other than the client's current one is an ICE restart
 * (§4.3.2): the transport gets new ICE credentials and the answer is `200` with a fragment
 * carrying them and the server's candidates; the session's ETag changes.
 */
export async function applyPatch(req: Request, res: Response, session: WebRtcSession): Promise<void> {
  const ifMatch = req.headers['if-match'];
  if (ifMatch === undefined) throw new PreconditionFailedError('If-Match is required');
  if (ifMatch !== '*' && ifMatch !== session.etag) throw new PreconditionFailedError('If-Match does not name this ICE session');
  const frag = bodyOf(req, SDPFRAG_TYPE);
  let ufrag: string | undefined;
  for (const raw of frag.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('a=ice-ufrag:')) ufrag = line.slice(12);
  }
  if (ufrag === undefined || ufrag === session.remoteUfrag) {
    res.status(204).end();
    return;
  }
  const ice = await session.transport.restartIce();
  session.remoteUfrag = ufrag;
  session.etag = newEtag();
  const lines = [`a=ice-ufrag:${ice.usernameFragment}`, `a=ice-pwd:${ice.password}`, 'a=ice-lite'];
  for (const c of session.transport.iceCandidates) {
    const tcp = c.protocol === 'tcp' ? ' tcptype passive' : '';
    lines.push(`a=candidate:${c.foundation} 1 ${c.protocol} ${c.priority} ${c.address} ${c.port} typ host${tcp}`);
  }
  lines.push('a=end-of-candidates');
  res.status(200).set({ 'Content-Type': SDPFRAG_TYPE, ETag: session.etag }).send(lines.join('\r\n') + '\r\n');
}
