/**
 * RTSP authentication (RFC 2326 §12.5 refers to HTTP's): Basic (RFC 7617) and Digest with
 * MD5 and `qop=auth` or no qop (RFC 2617 §3.2; RFC 7616 keeps the same computation). Pure:
 * header values in, header values and verdicts out; the caller picks nonces.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ParseError } from '../errors.js';

/** Longest credential header parsed: Digest headers are ~300 octets; this bounds the tokenizer. */
export const MAX_AUTH_HEADER_LENGTH = 2048;
/** Most auth-params in one challenge or credentials (Digest uses about ten). */
export const MAX_AUTH_PARAMS = 24;

export type AuthScheme = 'basic' | 'digest';

/** A challenge (`WWW-Authenticate`) or credentials (`Authorization`) split into scheme and params. */
export interface AuthHeader {
  scheme: AuthScheme;
  /** Lower-cased names, unquoted values. Basic credentials: `token68` holds the base64 text. */
  params: Record<string, string>;
}

/**
 * Parses `Scheme k=v, k="quoted, v", ...` (RFC 7235 §2.1). Unknown schemes are
 * ParseError('unsupported-auth'): the caller skips them (cameras offer several).
 */
export function parseAuthHeader(value: string): AuthHeader {
  if (value.length > MAX_AUTH_HEADER_LENGTH) throw new ParseError('bad-auth', `header over ${MAX_AUTH_HEADER_LENGTH} octets`);
  const m = /^\s*([A-Za-z]+)(?:\s+(.*))?$/s.exec(value);
  if (!m) throw new ParseError('bad-auth', value.slice(0, 40));
  const scheme = (m[1] as string).toLowerCase();
  if (scheme !== 'basic' && scheme !== 'digest') throw new ParseError('unsupported-auth', scheme.slice(0, 20));
  const rest = (m[2] ?? '').trim();
  // Basic credentials are one token68 (base64, `=` padding only at the end); a challenge has params.
  if (scheme === 'basic' && /^[A-Za-z0-9+/._~-]+=*$/.test(rest)) return { scheme, params: { token68: rest } };
  return { scheme, params: parseAuthParams(rest) };
}

/** `k=v` and `k="v"` pairs separated by commas; quoted-pair escapes honoured. */
function parseAuthParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  let i = 0;
  let count = 0;
  while (i < text.length) {
    while (i < text.length && (text[i] === ',' || text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= text.length) break;
    const keyMatch = /^([A-Za-z0-9_-]+)\s*=\s*/.exec(text.slice(i));
    if (!keyMatch) throw new ParseError('bad-auth', text.slice(i, i + 30));
    const key = (keyMatch[1] as string).toLowerCase();
    i += keyMatch[0].length;
    let value = '';
    if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      if (text[i] !== '"') throw new ParseError('bad-auth', 'unterminated quoted string');
      i++;
    } else {
      const end = text.indexOf(',', i);
      value = (end < 0 ? text.slice(i) : text.slice(i, end)).trim();
      i = end < 0 ? text.length : end;
    }
    if (++count > MAX_AUTH_PARAMS) throw new ParseError('bad-auth', `more than ${MAX_AUTH_PARAMS} parameters`);
    params[key] = value;
  }
  return params;
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** `Basic <base64(user:pass)>` (RFC 7617 §2). */
export function basicCredentials(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** User and password from Basic credentials, or undefined when they do not decode. */
export function decodeBasic(header: AuthHeader): { username: string; password: string } | undefined {
  if (header.scheme !== 'basic' || !header.params.token68) return undefined;
  const text = Buffer.from(header.params.token68, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/** The inputs of a Digest response (RFC 2617 §3.2.2). */
export interface DigestInput {
  username: string;
  password: string;
  realm: string;
  nonce: string;
  method: string;
  uri: string;
  /** `auth`, or undefined for the RFC 2069 form most cameras use. */
  qop?: 'auth';
  /** 8 hex digits, required with qop. */
  nc?: string;
  cnonce?: string;
}

/**
 * request-digest = KD(H(A1), nonce ":" nc ":" cnonce ":" qop ":" H(A2)) with qop, else
 * KD(H(A1), nonce ":" H(A2)); A1 = user:realm:password, A2 = method:uri (RFC 2617 §3.2.2.1–3).
 */
export function digestResponse(d: DigestInput): string {
  const ha1 = md5(`${d.username}:${d.realm}:${d.password}`);
  const ha2 = md5(`${d.method}:${d.uri}`);
  if (d.qop === 'auth') {
    if (!d.nc || !d.cnonce) throw new TypeError('qop=auth needs nc and cnonce');
    return md5(`${ha1}:${d.nonce}:${d.nc}:${d.cnonce}:auth:${ha2}`);
  }
  return md5(`${ha1}:${d.nonce}:${ha2}`);
}

/**
 * The Authorization value answering a Digest challenge. Uses qop=auth when the challenge
 * offers it (with `cnonce` and nonce count `nc`), else the plain form. Only MD5 is supported.
 */
export function digestCredentials(challenge: AuthHeader, creds: { username: string; password: string }, method: string, uri: string, cnonce: string, nc = 1): string {
  const p = challenge.params;
  if (challenge.scheme !== 'digest' || p.realm === undefined || p.nonce === undefined) throw new TypeError('not a Digest challenge');
  const algorithm = (p.algorithm ?? 'MD5').toUpperCase();
  if (algorithm !== 'MD5') throw new ParseError('unsupported-auth', `Digest algorithm ${algorithm.slice(0, 20)}`);
  const qops = (p.qop ?? '').split(',').map((q) => q.trim().toLowerCase());
  const qop = qops.includes('auth') ? ('auth' as const) : undefined;
  const ncText = nc.toString(16).padStart(8, '0');
  const response = digestResponse({ ...creds, realm: p.realm, nonce: p.nonce, method, uri, ...(qop ? { qop, nc: ncText, cnonce } : {}) });
  const parts = [`username=${quote(creds.username)}`, `realm=${quote(p.realm)}`, `nonce=${quote(p.nonce)}`, `uri=${quote(uri)}`, `response=${quote(response)}`];
  if (p.algorithm !== undefined) parts.push(`algorithm=${p.algorithm}`);
  if (p.opaque !== undefined) parts.push(`opaque=${quote(p.opaque)}`);
  if (qop) parts.push(`qop=auth`, `nc=${ncText}`, `cnonce=${quote(cnonce)}`);
  return `Digest ${parts.join(', ')}`;
}

/** A Digest challenge offering qop=auth (what a server sends with 401). */
export function digestChallenge(realm: string, nonce: string): string {
  return `Digest realm=${quote(realm)}, nonce=${quote(nonce)}, algorithm=MD5, qop="auth"`;
}

/** A Basic challenge. */
export function basicChallenge(realm: string): string {
  return `Basic realm=${quote(realm)}`;
}

/**
 * Whether Digest credentials prove `password` for this request: the realm and nonce must be
 * ours, and the response must match with or without qop as the client chose. Compared in
 * constant time.
 */
export function verifyDigest(header: AuthHeader, password: string, expected: { realm: string; nonce: string; method: string }): boolean {
  const p = header.params;
  if (header.scheme !== 'digest' || !p.username || !p.response || p.realm !== expected.realm || p.nonce !== expected.nonce || !p.uri) return false;
  if ((p.algorithm ?? 'MD5').toUpperCase() !== 'MD5') return false;
  let want: string;
  if (p.qop !== undefined) {
    if (p.qop.toLowerCase() !== 'auth' || !p.nc || !p.cnonce) return false;
    want = digestResponse({ username: p.username, password, realm: p.realm, nonce: p.nonce, method: expected.method, uri: p.uri, qop: 'auth', nc: p.nc, cnonce: p.cnonce });
  } else {
    want = digestResponse({ username: p.username, password, realm: p.realm, nonce: p.nonce, method: expected.method, uri: p.uri });
  }
  const a = Buffer.from(want, 'utf8');
  const b = Buffer.from(p.response.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
