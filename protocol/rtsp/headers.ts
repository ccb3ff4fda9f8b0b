/**
 * The RTSP headers that carry structure: Transport (RFC 2326 §12.39), Session (§12.37),
 * RTP-Info (§12.33) and Range (§12.29, npt only: §3.6). Parsers take the header value and
 * return typed values or throw ParseError; writers produce the value text.
 */
import { ParseError } from '../errors.js';

/** Most transports a client may offer in one Transport header (real clients offer 1–3). */
export const MAX_TRANSPORT_SPECS = 8;
/** Most streams an RTP-Info header describes (one per SETUP; cameras have 1–3). */
export const MAX_RTP_INFO_ENTRIES = 16;
/**
 * Session timeout a server states when it gives none (RFC 2326 §12.37: 60 s default).
 * Keep-alives go out well within this.
 */
export const DEFAULT_SESSION_TIMEOUT_S = 60;

/** One transport specification of a Transport header. */
export interface TransportSpec {
  /** `RTP/AVP` (UDP) or `RTP/AVP/TCP` (interleaved); `RTP/AVP/UDP` reads as UDP. */
  protocol: 'udp' | 'tcp';
  /** RFC 2326: unicast unless `multicast` is given. */
  multicast: boolean;
  /** RTP and RTCP ports of the client (UDP). */
  clientPort?: [number, number];
  /** RTP and RTCP ports of the server (UDP). */
  serverPort?: [number, number];
  /** RTP and RTCP channels (TCP). */
  interleaved?: [number, number];
  ssrc?: number;
  /** `play` or `record` (the header's value is case-insensitive and may be quoted). */
  mode?: 'play' | 'record';
  destination?: string;
  source?: string;
  /** Parameters this code does not interpret, kept for round trips. */
  other: Record<string, string>;
}

function parsePortPair(value: string, what: string, max: number): [number, number] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(value.trim());
  if (!m) throw new ParseError('bad-transport', `${what}=${value.slice(0, 20)}`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a + 1 : Number(m[2]);
  if (a > max || b > max) throw new ParseError('bad-transport', `${what} out of range`);
  return [a, b];
}

/** Parses one transport specification (no commas). */
export function parseTransportSpec(text: string): TransportSpec {
  const parts = text.split(';').map((p) => p.trim()).filter((p) => p !== '');
  const proto = (parts.shift() ?? '').toUpperCase();
  let protocol: 'udp' | 'tcp';
  if (proto === 'RTP/AVP' || proto === 'RTP/AVP/UDP') protocol = 'udp';
  else if (proto === 'RTP/AVP/TCP') protocol = 'tcp';
  else throw new ParseError('unsupported-transport', proto.slice(0, 30) || 'empty transport');
  const spec: TransportSpec = { protocol, multicast: false, other: {} };
  for (const p of parts) {
    const eq = p.indexOf('=');
    const key = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : p.slice(eq + 1).trim();
    switch (key) {
      case 'unicast':
        spec.multicast = false;
        break;
      case 'multicast':
        spec.multicast = true;
        break;
      case 'client_port':
        spec.clientPort = parsePortPair(value, key, 65535);
        break;
      case 'server_port':
        spec.serverPort = parsePortPair(value, key, 65535);
        break;
      case 'interleaved':
        spec.interleaved = parsePortPair(value, key, 255);
        break;
      case 'ssrc': {
        // Hexadecimal (RFC 2326 §12.39); a few servers write it with leading spaces or 0x.
        const hex = value.replace(/^0x/i, '');
        if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) throw new ParseError('bad-transport', `ssrc=${value.slice(0, 20)}`);
        spec.ssrc = parseInt(hex, 16) >>> 0;
        break;
      }
      case 'mode': {
        const mode = value.replace(/"/g, '').trim().toLowerCase();
        if (mode === 'play' || mode === 'record') spec.mode = mode;
        else if (mode === 'receive') spec.mode = 'record'; // RFC 2326 §12.39 lists both names
        else throw new ParseError('unsupported-transport', `mode=${mode.slice(0, 20)}`);
        break;
      }
      case 'destination':
        spec.destination = value;
        break;
      case 'source':
        spec.source = value;
        break;
      default:
        spec.other[key] = value;
    }
  }
  return spec;
}

/** Parses a Transport header: the specifications in the client's order of preference. */
export function parseTransport(value: string): TransportSpec[] {
  const texts = value.split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (texts.length === 0) throw new ParseError('bad-transport', 'empty Transport header');
  if (texts.length > MAX_TRANSPORT_SPECS) throw new ParseError('bad-transport', `more than ${MAX_TRANSPORT_SPECS} transports`);
  return texts.map(parseTransportSpec);
}

/** Writes one transport specification. */
export function formatTransport(spec: TransportSpec): string {
  const parts = [spec.protocol === 'tcp' ? 'RTP/AVP/TCP' : 'RTP/AVP', spec.multicast ? 'multicast' : 'unicast'];
  if (spec.destination !== undefined) parts.push(`destination=${spec.destination}`);
  if (spec.source !== undefined) parts.push(`source=${spec.source}`);
  if (spec.clientPort) parts.push(`client_port=${spec.clientPort[0]}-${spec.clientPort[1]}`);
  if (spec.serverPort) parts.push(`server_port=${spec.serverPort[0]}-${spec.serverPort[1]}`);
  if (spec.interleaved) parts.push(`interleaved=${spec.interleaved[0]}-${spec.interleaved[1]}`);
  if (spec.ssrc !== undefined) parts.push(`ssrc=${spec.ssrc.toString(16).toUpperCase().padStart(8, '0')}`);
  if (spec.mode) parts.push(`mode=${spec.mode}`);
  for (const [k, v] of Object.entries(spec.other)) parts.push(v === '' ? k : `${k}=${v}`);
  return parts.join(';');
}

/** A Session header: the id and the timeout the server states (seconds). */
export interface SessionHeader {
  id: string;
  timeout?: number;
}

/** RFC 2326 §12.37: `session-id [;timeout=delta-seconds]`; ids are 1..255 safe characters. */
export function parseSession(value: string): SessionHeader {
  const [idPart, ...params] = value.split(';');
  const id = (idPart ?? '').trim();
  if (!/^[A-Za-z0-9$\-_.+]{1,255}$/.test(id)) throw new ParseError('bad-session', id.slice(0, 40) || 'empty session id');
  const out: SessionHeader = { id };
  for (const p of params) {
    const m = /^\s*timeout\s*=\s*(\d{1,6})\s*$/i.exec(p);
    // A zero or malformed timeout (seen on some DVRs) falls back to the default.
    if (m && Number(m[1]) > 0) out.timeout = Number(m[1]);
  }
  return out;
}

export function formatSession(session: SessionHeader): string {
  return session.timeout === undefined ? session.id : `${session.id};timeout=${session.timeout}`;
}

/** One stream of an RTP-Info header: where the PLAY starts in RTP terms. */
export interface RtpInfoEntry {
  url: string;
  seq?: number;
  rtptime?: number;
}

/**
 * RFC 2326 §12.33: `url=<url>[;seq=n][;rtptime=n]` per stream, comma-separated. A comma
 * inside a URL would be ambiguous, so entries are split only before `url=`.
 */
export function parseRtpInfo(value: string): RtpInfoEntry[] {
  const texts = value.split(/,\s*(?=url=)/i).map((t) => t.trim()).filter((t) => t !== '');
  if (texts.length > MAX_RTP_INFO_ENTRIES) throw new ParseError('bad-rtp-info', `more than ${MAX_RTP_INFO_ENTRIES} entries`);
  return texts.map((text) => {
    const parts = text.split(';');
    const entry: RtpInfoEntry = { url: '' };
    for (const p of parts) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const key = p.slice(0, eq).trim().toLowerCase();
      const v = p.slice(eq + 1).trim();
      if (key === 'url') entry.url = v;
      else if (key === 'seq' && /^\d{1,5}$/.test(v) && Number(v) <= 0xffff) entry.seq = Number(v);
      else if (key === 'rtptime' && /^\d{1,10}$/.test(v) && Number(v) <= 0xffffffff) entry.rtptime = Number(v);
      else if (key === 'seq' || key === 'rtptime') throw new ParseError('bad-rtp-info', `${key}=${v.slice(0, 20)}`);
    }
    if (!entry.url) throw new ParseError('bad-rtp-info', 'entry without url');
    return entry;
  });
}

export function formatRtpInfo(entries: readonly RtpInfoEntry[]): string {
  return entries
    .map((e) => [`url=${e.url}`, ...(e.seq !== undefined ? [`seq=${e.seq}`] : []), ...(e.rtptime !== undefined ? [`rtptime=${e.rtptime}`] : [])].join(';'))
    .join(',');
}

/** A Range header in Normal Play Time (RFC 2326 §3.6); `start` undefined means `now`. */
export interface NptRange {
  start?: number;
  end?: number;
}

/** Parses `npt=<start>-[<end>]` (seconds, or `now`); other units are ParseError('unsupported-range'). */
export function parseRange(value: string): NptRange {
  const v = value.split(';')[0]?.trim() ?? '';
  if (!v.toLowerCase().startsWith('npt=')) throw new ParseError('unsupported-range', v.slice(0, 30));
  const m = /^(now|\d+(?:\.\d*)?|\d+:\d{1,2}:\d{1,2}(?:\.\d*)?)?-(\d+(?:\.\d*)?|\d+:\d{1,2}:\d{1,2}(?:\.\d*)?)?$/.exec(v.slice(4).trim());
  if (!m) throw new ParseError('bad-range', v.slice(0, 30));
  const out: NptRange = {};
  if (m[1] !== undefined && m[1] !== 'now') out.start = nptSeconds(m[1]);
  if (m[2] !== undefined) out.end = nptSeconds(m[2]);
  return out;
}

function nptSeconds(text: string): number {
  if (!text.includes(':')) return Number(text);
  const [h, min, s] = text.split(':').map(Number) as [number, number, number];
  return h * 3600 + min * 60 + s;
}

export function formatRange(range: NptRange): string {
  const start = range.start === undefined ? 'now' : String(range.start);
  return `npt=${start}-${range.end === undefined ? '' : String(range.end)}`;
}
