import { ParseError } from '../errors.js';
import { getAttribute, getAttributes, type SdpLine } from './session-description.js';

/**
 * Typed views of the SDP attributes WebRTC uses: rtpmap/fmtp (RFC 8866 §6.6, §6.15),
 * rtcp-fb (RFC 4585 §4.2), extmap (RFC 8285 §5), ssrc / ssrc-group (RFC 5576 §4.1, §4.2),
 * mid (RFC 9143 §6), msid (RFC 8830 §2), direction (RFC 8866 §6.7), candidate (RFC 8839 §5.1),
 * ice-ufrag/ice-pwd (RFC 8839 §5.4), fingerprint (RFC 8122 §5), setup (RFC 4145 §4).
 */

export interface Rtpmap {
  payloadType: number;
  encoding: string;
  clockRate: number;
  channels?: number;
}

export function parseRtpmap(value: string): Rtpmap {
  const m = /^(\d{1,3}) ([^/\s]+)\/(\d+)(?:\/(\d+))?$/.exec(value.trim());
  if (!m) throw new ParseError('bad-rtpmap', value.slice(0, 60));
  const out: Rtpmap = { payloadType: Number(m[1]), encoding: m[2] as string, clockRate: Number(m[3]) };
  if (m[4] !== undefined) out.channels = Number(m[4]);
  return out;
}

export interface Fmtp {
  payloadType: number;
  /** `key=value` pairs split on ';'; a value-less token (RED's `111/111`) is kept under its own text with value ''. */
  parameters: Record<string, string>;
}

export function parseFmtp(value: string): Fmtp {
  const m = /^(\d{1,3}) (.*)$/.exec(value.trim());
  if (!m) throw new ParseError('bad-fmtp', value.slice(0, 60));
  const parameters: Record<string, string> = {};
  for (const part of (m[2] as string).split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) parameters[p] = '';
    else parameters[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
  }
  return { payloadType: Number(m[1]), parameters };
}

export function formatFmtpParameters(parameters: Record<string, string | number>): string {
  return Object.entries(parameters)
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
    .join(';');
}

export interface RtcpFb {
  /** '*' applies to every format. */
  payloadType: number | '*';
  type: string;
  parameter?: string;
}

export function parseRtcpFb(value: string): RtcpFb {
  const m = /^(\d{1,3}|\*) (\S+)(?: (\S+))?/.exec(value.trim());
  if (!m) throw new ParseError('bad-rtcp-fb', value.slice(0, 60));
  const out: RtcpFb = { payloadType: m[1] === '*' ? '*' : Number(m[1]), type: m[2] as string };
  if (m[3] !== undefined) out.parameter = m[3];
  return out;
}

export interface Extmap {
  id: number;
  direction?: string;
  uri: string;
}

export function parseExtmap(value: string): Extmap {
  const m = /^(\d{1,3})(?:\/(\w+))? (\S+)/.exec(value.trim());
  if (!m) throw new ParseError('bad-extmap', value.slice(0, 60));
  const out: Extmap = { id: Number(m[1]), uri: m[3] as string };
  if (m[2] !== undefined) out.direction = m[2];
  return out;
}

export interface SsrcAttribute {
  ssrc: number;
  attribute: string;
  value?: string;
}

export function parseSsrc(value: string): SsrcAttribute {
  const m = /^(\d{1,10}) ([^:\s]+)(?::(.*))?$/.exec(value.trim());
  if (!m || Number(m[1]) > 0xffffffff) throw new ParseError('bad-ssrc', value.slice(0, 60));
  const out: SsrcAttribute = { ssrc: Number(m[1]), attribute: m[2] as string };
  if (m[3] !== undefined) out.value = m[3];
  return out;
}

export interface SsrcGroup {
  semantics: string;
  ssrcs: number[];
}

export function parseSsrcGroup(value: string): SsrcGroup {
  const [semantics, ...rest] = value.trim().split(/\s+/);
  const ssrcs = rest.map(Number);
  if (!semantics || ssrcs.some((s) => !Number.isInteger(s) || s < 0 || s > 0xffffffff)) throw new ParseError('bad-ssrc-group', value.slice(0, 60));
  return { semantics, ssrcs };
}

export interface Msid {
  streamId: string;
  trackId?: string;
}

export function parseMsid(value: string): Msid {
  const [streamId, trackId] = value.trim().split(/\s+/);
  if (!streamId) throw new ParseError('bad-msid', value.slice(0, 60));
  return trackId === undefined ? { streamId } : { streamId, trackId };
}

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
const DIRECTIONS: readonly Direction[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

/** The section's direction attribute; RFC 8866 §6.7: sendrecv when absent. */
export function getDirection(lines: readonly SdpLine[]): Direction {
  for (const l of lines) if (l.type === 'a' && (DIRECTIONS as readonly string[]).includes(l.value)) return l.value as Direction;
  return 'sendrecv';
}

export interface Candidate {
  foundation: string;
  component: number;
  transport: string;
  priority: number;
  address: string;
  port: number;
  type: string;
  /** Everything after `typ <type>` (raddr, rport, generation, ...). */
  extensions: string;
}

/** RFC 8839 §5.1 candidate attribute value. */
export function parseCandidate(value: string): Candidate {
  const m = /^(\S+) (\d+) (\S+) (\d+) (\S+) (\d+) typ (\S+)(?: (.*))?$/.exec(value.trim());
  if (!m) throw new ParseError('bad-candidate', value.slice(0, 80));
  return {
    foundation: m[1] as string,
    component: Number(m[2]),
    transport: m[3] as string,
    priority: Number(m[4]),
    address: m[5] as string,
    port: Number(m[6]),
    type: m[7] as string,
    extensions: m[8] ?? '',
  };
}

export function formatCandidate(c: Candidate): string {
  return `${c.foundation} ${c.component} ${c.transport} ${c.priority} ${c.address} ${c.port} typ ${c.type}${c.extensions ? ` ${c.extensions}` : ''}`;
}

export interface Fingerprint {
  algorithm: string;
  value: string;
}

export function parseFingerprint(value: string): Fingerprint {
  const m = /^(\S+) ([0-9A-Fa-f:]+)$/.exec(value.trim());
  if (!m) throw new ParseError('bad-fingerprint', value.slice(0, 60));
  return { algorithm: (m[1] as string).toLowerCase(), value: m[2] as string };
}

export type SetupRole = 'actpass' | 'active' | 'passive' | 'holdconn';

export function parseSetup(value: string): SetupRole {
  const v = value.trim();
  if (v !== 'actpass' && v !== 'active' && v !== 'passive' && v !== 'holdconn') throw new ParseError('bad-setup', v.slice(0, 20));
  return v;
}

/** ICE and DTLS parameters of a section, falling back to the session level (RFC 8839 §5.4, RFC 8842 §5). */
export interface TransportParameters {
  iceUfrag?: string;
  icePwd?: string;
  fingerprint?: Fingerprint;
  setup?: SetupRole;
}

export function getTransportParameters(media: readonly SdpLine[], session: readonly SdpLine[]): TransportParameters {
  const pick = (name: string): string | undefined => getAttribute(media, name) ?? getAttribute(session, name);
  const out: TransportParameters = {};
  const ufrag = pick('ice-ufrag');
  const pwd = pick('ice-pwd');
  const fp = pick('fingerprint');
  const setup = pick('setup');
  if (ufrag !== undefined) out.iceUfrag = ufrag;
  if (pwd !== undefined) out.icePwd = pwd;
  if (fp !== undefined) out.fingerprint = parseFingerprint(fp);
  if (setup !== undefined) out.setup = parseSetup(setup);
  return out;
}

/** The section's `a=mid`, or undefined. */
export function getMid(lines: readonly SdpLine[]): string | undefined {
  return getAttribute(lines, 'mid');
}

/** Every `a=candidate` of a section, parsed. */
export function getCandidates(lines: readonly SdpLine[]): Candidate[] {
  return getAttributes(lines, 'candidate').map(parseCandidate);
}
