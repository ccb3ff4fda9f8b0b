/**
 * RTMP URL and stream-name helpers. An RTMP URL is `rtmp[s]://host[:port]/app[/name][?query]`;
 * the client sends `tcUrl` (with the app) in connect and the stream name (which often carries
 * a query, e.g. a key: `demo?key=abc`) in publish/play. App is the first path segment and the
 * name the rest, as ffmpeg, OBS and nginx-rtmp split it.
 */

/** Default ports: 1935 for rtmp (RTMP spec 1.0 §1), 443 for rtmps. */
export const RTMP_DEFAULT_PORT = 1935;
export const RTMPS_DEFAULT_PORT = 443;

export interface RtmpUrl {
  scheme: 'rtmp' | 'rtmps';
  host: string;
  port: number;
  /** First path segment (`live`). */
  app: string;
  /** The rest of the path without the query (`demo`), '' if none. */
  streamName: string;
  /** Query parameters (last value wins for repeated keys). */
  query: Record<string, string>;
  /** What a client sends as tcUrl in connect: `rtmp://host[:port]/app`. */
  tcUrl: string;
}

/** Splits `name?a=1&b=2` into its name and query parameters. */
export function splitQuery(nameWithQuery: string): { name: string; query: Record<string, string> } {
  const q = nameWithQuery.indexOf('?');
  if (q < 0) return { name: nameWithQuery, query: {} };
  const query: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of new URLSearchParams(nameWithQuery.slice(q + 1))) query[k] = v;
  return { name: nameWithQuery.slice(0, q), query };
}

/** Parses an rtmp:// or rtmps:// URL. TypeError when it is not one or has no app. */
export function parseRtmpUrl(url: string): RtmpUrl {
  const m = /^(rtmps?):\/\/(\[[^\]]+\]|[^/:?#]+)(?::(\d{1,5}))?(\/[^#]*)?$/i.exec(url);
  if (!m) throw new TypeError(`not an RTMP URL: ${url}`);
  const scheme = (m[1] ?? 'rtmp').toLowerCase() as 'rtmp' | 'rtmps';
  const host = m[2] ?? '';
  const port = m[3] ? Number(m[3]) : scheme === 'rtmps' ? RTMPS_DEFAULT_PORT : RTMP_DEFAULT_PORT;
  if (port < 1 || port > 65535) throw new TypeError(`bad port in ${url}`);
  const { name: path, query } = splitQuery((m[4] ?? '/').slice(1));
  const slash = path.indexOf('/');
  const app = slash < 0 ? path : path.slice(0, slash);
  if (app === '') throw new TypeError(`no app in ${url}`);
  const streamName = slash < 0 ? '' : path.slice(slash + 1);
  const tcUrl = `${scheme}://${host}${m[3] ? `:${port}` : ''}/${app}`;
  return { scheme, host, port, app, streamName, query, tcUrl };
}

/**
 * The stream path (`live/demo`) and merged query for a session: `app` from connect (which may
 * carry a query: `live?token=x`) and the name from publish/play (`demo?key=abc`). Name
 * parameters win over app parameters with the same key.
 */
export function streamPathOf(app: string, streamName: string): { path: string; query: Record<string, string> } {
  const a = splitQuery(app);
  const n = splitQuery(streamName);
  const appPath = a.name.replace(/\/+$/, '');
  const name = n.name.replace(/^\/+/, '');
  return { path: name ? `${appPath}/${name}` : appPath, query: { ...a.query, ...n.query } };
}
