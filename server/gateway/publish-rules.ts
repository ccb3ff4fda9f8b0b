import { jwtVerify, errors as joseErrors } from 'jose';
import type { AuthorizeResult } from '../../protocol/control/messages.js';

/**
 * Publish rules (pure decisions, no I/O besides JWT verification): who may publish on a path.
 * Keys are JWTs (RFC 7519) signed HS256 with `auth.secret`, carrying
 * `{ stream: 'live/demo' | 'live/*', publish: true }`, passed as `?key=` on the RTMP URL or
 * in the stream key (`demo?key=...`).
 */

/** Longest key accepted; a real key is a few hundred bytes, this bounds verification work. */
export const MAX_KEY_LENGTH = 4096;

/** What the rules need to know about a publish attempt. */
export interface PublishAttempt {
  path: string;
  /** Raw query string (no `?`). */
  query: string;
  /** Whether the path is live now. */
  live: boolean;
  conflict: 'reject' | 'takeover';
  /** auth.secret; null leaves publishing open. */
  secret: string | null;
}

/** Decides a publish: key check first (a takeover needs a valid key too), then the conflict rule. */
export async function decidePublish(attempt: PublishAttempt): Promise<AuthorizeResult> {
  if (attempt.secret !== null) {
    const key = new URLSearchParams(attempt.query).get('key');
    const denied = await checkPublishKey(attempt.secret, key, attempt.path);
    if (denied) return { allow: false, code: 'unauthorized', reason: denied };
  }
  if (attempt.live) {
    if (attempt.conflict === 'reject') return { allow: false, code: 'conflict', reason: `stream ${attempt.path} is already being published` };
    return { allow: true, takeover: true };
  }
  return { allow: true, takeover: false };
}

/** Checks a publish key for a path; returns why it is refused, or null when it is good. */
export async function checkPublishKey(secret: string, key: string | null, path: string): Promise<string | null> {
  if (!key) return 'publishing needs a key';
  if (key.length > MAX_KEY_LENGTH) return 'key too long';
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(key, new TextEncoder().encode(secret), { algorithms: ['HS256'] }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) return 'key expired';
    return 'key invalid';
  }
  if (payload.publish !== true) return 'key does not allow publishing';
  if (typeof payload.stream !== 'string' || !streamMatches(payload.stream, path)) return 'key is for another stream';
  return null;
}

/** `live/demo` matches itself; `live/*` matches every path under `live/`; `*` matches all. */
export function streamMatches(pattern: string, path: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) return path.startsWith(pattern.slice(0, -1));
  return pattern === path;
}
