/**
 * RTSP URLs (RFC 2326 §3.2): `rtsp[s]://[user[:pass]@]host[:port]/path[?query]`, control URLs
 * of media sections resolved against the session's base (RFC 2326 C.1.1), and the stream path
 * a request URI names.
 */
import { ParseError } from '../errors.js';

/** RFC 2326 §3.2 default ports. */
export const RTSP_DEFAULT_PORT = 554;
export const RTSPS_DEFAULT_PORT = 322;
/** Longest URL accepted from a peer or the config. */
export const MAX_RTSP_URL_LENGTH = 2048;

export interface RtspUrl {
  scheme: 'rtsp' | 'rtsps';
  host: string;
  port: number;
  /** The path from its leading '/', percent-encoding kept. */
  path: string;
  /** The query without '?', or ''. */
  query: string;
  username?: string;
  password?: string;
}

/** Parses an absolute rtsp:// or rtsps:// URL; credentials are percent-decoded. */
export function parseRtspUrl(text: string): RtspUrl {
  if (text.length > MAX_RTSP_URL_LENGTH) throw new ParseError('bad-url', `URL over ${MAX_RTSP_URL_LENGTH} characters`);
  const m = /^(rtsps?):\/\/(?:([^@/?#]*)@)?(\[[0-9a-fA-F:.]+\]|[^:/?#[\]@]+)(?::(\d{1,5}))?([^?#]*)(?:\?([^#]*))?$/i.exec(text.trim());
  if (!m) throw new ParseError('bad-url', text.slice(0, 60));
  const scheme = (m[1] as string).toLowerCase() as 'rtsp' | 'rtsps';
  const port = m[4] === undefined ? (scheme === 'rtsps' ? RTSPS_DEFAULT_PORT : RTSP_DEFAULT_PORT) : Number(m[4]);
  if (port < 1 || port > 65535) throw new ParseError('bad-url', `port ${port}`);
  const out: RtspUrl = { scheme, host: (m[3] as string).replace(/^\[|\]$/g, ''), port, path: m[5] || '/', query: m[6] ?? '' };
  if (m[2] !== undefined) {
    const colon = m[2].indexOf(':');
    try {
      out.username = decodeURIComponent(colon < 0 ? m[2] : m[2].slice(0, colon));
      if (colon >= 0) out.password = decodeURIComponent(m[2].slice(colon + 1));
    } catch {
      throw new ParseError('bad-url', 'bad percent-encoding in credentials');
    }
  }
  return out;
}

/** The URL without credentials (what goes on the wire and into logs). */
export function formatRtspUrl(url: RtspUrl, options: { withQuery?: boolean } = {}): string {
  const host = url.host.includes(':') ? `[${url.host}]` : url.host;
  const defaultPort = url.scheme === 'rtsps' ? RTSPS_DEFAULT_PORT : RTSP_DEFAULT_PORT;
  const port = url.port === defaultPort ? '' : `:${url.port}`;
  const query = (options.withQuery ?? true) && url.query ? `?${url.query}` : '';
  return `${url.scheme}://${host}${port}${url.path}${query}`;
}

/**
 * Resolves a media section's `a=control` against the base URL (Content-Base, Content-Location
 * or the DESCRIBE URL): absolute URLs stay; `*` or no control is the base itself; a relative
 * one is appended after a '/' (what cameras and gortsplib expect rather than RFC 3986 merging,
 * which would drop the base's last segment).
 */
export function resolveControl(base: string, control: string | undefined): string {
  if (control === undefined || control === '' || control === '*') return base;
  if (/^rtsps?:\/\//i.test(control)) return control;
  if (control.startsWith('?')) return base + control;
  return base.endsWith('/') ? base + control : `${base}/${control}`;
}

/**
 * The stream path and query a request URI names: `rtsp://host:8554/live/cam1?key=k` →
 * `live/cam1`, `key=k`. A trailing slash is dropped; `*` and bare `/` name no stream.
 */
export function requestTarget(uri: string): { path: string; query: string } {
  let pathAndQuery: string;
  if (/^rtsps?:\/\//i.test(uri)) {
    const u = parseRtspUrl(uri);
    pathAndQuery = u.query ? `${u.path}?${u.query}` : u.path;
  } else if (uri.startsWith('/')) {
    pathAndQuery = uri;
  } else {
    throw new ParseError('bad-url', uri.slice(0, 60));
  }
  const q = pathAndQuery.indexOf('?');
  const rawPath = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw new ParseError('bad-url', 'bad percent-encoding in path');
  }
  return { path: path.replace(/^\/+|\/+$/g, ''), query: q < 0 ? '' : pathAndQuery.slice(q + 1) };
}
