import type { types } from 'mediasoup';
import { ParseError } from '../../../protocol/errors.js';
import {
  getAttribute,
  getAttributes,
  getDirection,
  getMid,
  parseCandidate,
  parseExtmap,
  parseFingerprint,
  parseFmtp,
  parseRtcpFb,
  parseRtpmap,
  parseSdp,
  parseSetup,
  type Direction,
  type MediaSection,
  type SessionDescription,
} from '../../../protocol/sdp/index.js';
import { UnsupportedError } from '../../lib/errors.js';

/**
 * Reading a WHIP/WHEP offer (RFC 9725 §4.2, draft-ietf-wish-whep §4.2): the transport facts of
 * the one BUNDLE transport (RFC 8843), the per-m-line verdict (usable or why not), and the
 * offered codecs, feedback and extensions as mediasoup-shaped values. Pure: text in, values out.
 */

/**
 * m-lines looked at per offer. A WHIP/WHEP session carries one audio and one video track
 * (RFC 9725 §4.2); 16 leaves room for clients that add a data channel or spare transceivers,
 * and an offer with more is refused before any per-line work.
 */
export const MAX_OFFER_MEDIA_SECTIONS = 16;
/** Payload types read per m-line: the RTP PT field has 7 bits (RFC 3550 §5.1), so 128 names all. */
export const MAX_FORMATS_PER_SECTION = 128;
/** a=candidate lines kept: a dual-stack host with VPNs gathers a few dozen; mediasoup (ICE-lite) ignores them. */
export const MAX_REMOTE_CANDIDATES = 64;

/** Transport-level facts of the remote offer. */
export interface RemoteTransportParameters {
  iceUfrag: string;
  icePwd: string;
  /** The remote fingerprints and role: setup actpass/active (or absent) → 'client', passive → 'server' (RFC 5763 §5). */
  dtlsParameters: types.DtlsParameters;
  /** `a=candidate` values as offered (mediasoup is ICE-lite, RFC 8445 §2.5, and does not use them). */
  candidates: string[];
  /** `a=ice-options:trickle` (RFC 8840 §4.1.1) at session or transport m-line level. */
  iceOptionsTrickle: boolean;
}

/** One offered m-line with its verdict before codec matching. */
export interface OfferedSection {
  index: number;
  section: MediaSection;
  /** '' when the m-line has no a=mid (then it is always rejected). */
  mid: string;
  kind: string;
  direction: Direction;
  rejected?: string;
}

export interface ReadOffer {
  desc: SessionDescription;
  transport: RemoteTransportParameters;
  sections: OfferedSection[];
}

const FINGERPRINT_ALGORITHMS: readonly string[] = ['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512'];

/** Parses SDP text; malformed text is a TypeError (HTTP 400), with the ParseError as its cause. */
export function parseOfferText(sdp: string): SessionDescription {
  if (typeof sdp !== 'string') throw new TypeError('the SDP offer must be a string');
  try {
    return parseSdp(sdp);
  } catch (err) {
    if (err instanceof ParseError) throw new TypeError(`malformed SDP (${err.reason})`, { cause: err });
    throw err;
  }
}

/** Runs a protocol/sdp attribute parser, turning its ParseError into a TypeError. */
export function parseAttribute<T>(parse: (value: string) => T, value: string): T {
  try {
    return parse(value);
  } catch (err) {
    if (err instanceof ParseError) throw new TypeError(`malformed SDP attribute (${err.reason})`, { cause: err });
    throw err;
  }
}

/**
 * Reads an offer: every m-line with its mid, kind and direction, rejected with a reason when it
 * cannot be part of Estuary's single BUNDLE transport or does not go the way `wanted` says
 * (the client's direction: 'send' for WHIP, 'recv' for WHEP); and the transport parameters of
 * the offerer's BUNDLE-tagged m-line (RFC 8843 §7.2), session-level values filling in.
 */
export function readOffer(sdp: string, wanted: 'send' | 'recv'): ReadOffer {
  const desc = parseOfferText(sdp);
  if (desc.media.length === 0) throw new TypeError('the offer has no m-line');
  if (desc.media.length > MAX_OFFER_MEDIA_SECTIONS) throw new TypeError(`the offer has more than ${MAX_OFFER_MEDIA_SECTIONS} m-lines`);
  // RFC 8843 §7.1: one transport per BUNDLE group; Estuary keeps one transport per session, the first group.
  const bundle = getAttributes(desc.lines, 'group')
    .map((g) => g.trim().split(/\s+/))
    .find((g) => g[0] === 'BUNDLE')
    ?.slice(1);
  const seen = new Set<string>();
  let unbundledTaken = false;
  const sections = desc.media.map((section, index): OfferedSection => {
    const mid = getMid(section.lines)?.trim() ?? '';
    if (mid !== '') {
      if (seen.has(mid)) throw new TypeError(`duplicate a=mid:${mid.slice(0, 32)}`);
      seen.add(mid);
    }
    const direction = getDirection(section.lines);
    const out: OfferedSection = { index, section, mid, kind: section.kind, direction };
    const bundleOnly = getAttribute(section.lines, 'bundle-only') !== undefined;
    let reason: string | undefined;
    if (section.kind !== 'audio' && section.kind !== 'video') reason = `${section.kind} m-lines are not supported`;
    else if (!section.protocol.includes('RTP/SAVPF')) reason = `protocol ${section.protocol} (DTLS-SRTP with AVPF needed)`;
    // RFC 8843 §6: port 0 with a=bundle-only is a bundled m-line, not a rejected one.
    else if (section.port === 0 && !bundleOnly) reason = 'rejected by the offerer (port 0)';
    else if (mid === '') reason = 'no a=mid';
    else if (bundle && !bundle.includes(mid)) reason = 'not in the BUNDLE group';
    else if (!bundle && unbundledTaken) reason = 'no BUNDLE group: one transport per session carries only the first m-line';
    else if (wanted === 'send' && direction !== 'sendonly' && direction !== 'sendrecv') reason = `direction ${direction}: a publisher must send`;
    else if (wanted === 'recv' && direction !== 'recvonly' && direction !== 'sendrecv') reason = `direction ${direction}: a viewer must receive`;
    if (reason !== undefined) out.rejected = reason;
    else if (!bundle) unbundledTaken = true;
    return out;
  });
  return { desc, transport: readTransport(desc, sections, bundle), sections };
}

/** The offerer's BUNDLE-tagged m-line (first mid of the group), else the first usable one. */
function transportSection(desc: SessionDescription, sections: readonly OfferedSection[], bundle: string[] | undefined): MediaSection | undefined {
  const tag = bundle?.[0];
  const tagged = tag === undefined ? undefined : sections.find((s) => s.mid === tag);
  return (tagged ?? sections.find((s) => s.rejected === undefined) ?? sections[0])?.section ?? desc.media[0];
}

function readTransport(desc: SessionDescription, sections: readonly OfferedSection[], bundle: string[] | undefined): RemoteTransportParameters {
  const media = transportSection(desc, sections, bundle)?.lines ?? [];
  const pick = (name: string): string | undefined => getAttribute(media, name) ?? getAttribute(desc.lines, name);
  const iceUfrag = pick('ice-ufrag')?.trim();
  const icePwd = pick('ice-pwd')?.trim();
  if (!iceUfrag || !icePwd) throw new TypeError('the offer has no a=ice-ufrag / a=ice-pwd');
  // RFC 8122 §5: fingerprints at media level override the session level.
  const fpValues = getAttributes(media, 'fingerprint').length > 0 ? getAttributes(media, 'fingerprint') : getAttributes(desc.lines, 'fingerprint');
  if (fpValues.length === 0) throw new TypeError('the offer has no a=fingerprint');
  const fingerprints = fpValues
    .map((v) => parseAttribute(parseFingerprint, v))
    .filter((f) => FINGERPRINT_ALGORITHMS.includes(f.algorithm))
    .map((f): types.DtlsFingerprint => ({ algorithm: f.algorithm as types.FingerprintAlgorithm, value: f.value.toUpperCase() }));
  if (fingerprints.length === 0) throw new UnsupportedError('no a=fingerprint with a hash function mediasoup knows');
  const setupValue = pick('setup');
  const setup = setupValue === undefined ? 'actpass' : parseAttribute(parseSetup, setupValue);
  if (setup === 'holdconn') throw new UnsupportedError('a=setup:holdconn: no DTLS connection wanted');
  const role: types.DtlsRole = setup === 'passive' ? 'server' : 'client';
  const candidates = getAttributes(media, 'candidate').slice(0, MAX_REMOTE_CANDIDATES);
  for (const c of candidates) parseAttribute(parseCandidate, c);
  const iceOptions = [...getAttributes(desc.lines, 'ice-options'), ...getAttributes(media, 'ice-options')];
  // RFC 8839 §5.6 separates options with spaces; libdatachannel (OBS) writes `ice2,trickle`.
  const iceOptionsTrickle = iceOptions.some((o) => o.trim().split(/[\s,]+/).includes('trickle'));
  return { iceUfrag, icePwd, dtlsParameters: { role, fingerprints }, candidates, iceOptionsTrickle };
}

/** RFC 3551 Table 4: static payload types a client may use without an a=rtpmap. */
const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, { encoding: string; clockRate: number; channels?: number }> = new Map([
  [0, { encoding: 'PCMU', clockRate: 8000 }],
  [8, { encoding: 'PCMA', clockRate: 8000 }],
  [9, { encoding: 'G722', clockRate: 8000 }],
]);

/** fmtp keys whose values stay text even when all digits (an H.264 profile-level-id such as 640032 is hex). */
const TEXT_FMTP_KEYS = new Set(['profile-level-id']);

/**
 * fmtp parameters as mediasoup wants them (RFC 8866 §6.15): integer values as numbers (its
 * codec matching compares `packetization-mode`, `profile-id`, `apt` with `===`), the rest as text.
 */
export function fmtpToParameters(parameters: Readonly<Record<string, string>>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(parameters)) {
    out[key] = !TEXT_FMTP_KEYS.has(key) && /^(0|[1-9]\d{0,14})$/.test(value) ? Number(value) : value;
  }
  return out;
}

/** RTCP feedback mediasoup acts on (RFC 4585 §4.2 nack/pli, RFC 5104 §7.1 fir, REMB, transport-cc). */
const SUPPORTED_FEEDBACK: readonly types.RtcpFeedback[] = [
  { type: 'nack' },
  { type: 'nack', parameter: 'pli' },
  { type: 'ccm', parameter: 'fir' },
  { type: 'goog-remb' },
  { type: 'transport-cc' },
];

/** One codec of an m-line as offered: the offer's payload type, fmtp and rtcp-fb (supported ones, once each). */
export interface OfferedCodec {
  payloadType: number;
  /** `kind/encoding` with the offer's spelling of the encoding. */
  mimeType: string;
  clockRate: number;
  /** Audio: the rtpmap channel count, 1 when absent (RFC 8866 §6.6). Video: undefined. */
  channels?: number;
  parameters: Record<string, string | number>;
  rtcpFeedback: types.RtcpFeedback[];
}

/** The codecs of an m-line in the offer's preference order (RFC 3264 §5.1). */
export function offeredCodecs(section: MediaSection): OfferedCodec[] {
  const rtpmaps = new Map(getAttributes(section.lines, 'rtpmap').map((v) => {
    const r = parseAttribute(parseRtpmap, v);
    return [r.payloadType, r] as const;
  }));
  const fmtps = new Map(getAttributes(section.lines, 'fmtp').map((v) => {
    const f = parseAttribute(parseFmtp, v);
    return [f.payloadType, f.parameters] as const;
  }));
  const feedback = getAttributes(section.lines, 'rtcp-fb').map((v) => parseAttribute(parseRtcpFb, v));
  const out: OfferedCodec[] = [];
  const seen = new Set<number>();
  for (const format of section.formats.slice(0, MAX_FORMATS_PER_SECTION)) {
    if (!/^\d{1,3}$/.test(format)) continue;
    const pt = Number(format);
    if (pt > 127 || seen.has(pt)) continue;
    seen.add(pt);
    const map = rtpmaps.get(pt) ?? STATIC_PAYLOAD_TYPES.get(pt);
    if (!map) continue;
    const fbs = feedback.filter((f) => f.payloadType === pt || f.payloadType === '*');
    const rtcpFeedback = SUPPORTED_FEEDBACK.filter((s) => fbs.some((f) => f.type === s.type && f.parameter === s.parameter)).map((f) => ({ ...f }));
    const codec: OfferedCodec = {
      payloadType: pt,
      mimeType: `${section.kind}/${map.encoding}`,
      clockRate: map.clockRate,
      parameters: fmtpToParameters(fmtps.get(pt) ?? {}),
      rtcpFeedback,
    };
    if (section.kind === 'audio') codec.channels = map.channels ?? 1;
    out.push(codec);
  }
  return out;
}

/** An offered `a=extmap` (RFC 8285 §5) with a usable id (1-255; 0 and 4096+ are not ids). */
export function offeredExtensions(section: MediaSection): { id: number; uri: string; direction?: string }[] {
  const out: { id: number; uri: string; direction?: string }[] = [];
  for (const v of getAttributes(section.lines, 'extmap')) {
    const e = parseAttribute(parseExtmap, v);
    if (e.id < 1 || e.id > 255 || out.some((o) => o.id === e.id || o.uri === e.uri)) continue;
    out.push(e);
  }
  return out;
}

export function isRtx(codec: { mimeType: string }): boolean {
  return /\/rtx$/i.test(codec.mimeType);
}
