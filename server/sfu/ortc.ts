import { EXTENSION_URI } from '../../protocol/rtp/header-extensions.js';
import {
  formatCandidate,
  formatFmtpParameters,
  getAttribute,
  getAttributes,
  getDirection,
  getMid,
  parseExtmap,
  parseFmtp,
  parseRtcpFb,
  parseRtpmap,
  parseSsrc,
  parseSsrcGroup,
  attributeName,
  writeSdp,
  type Candidate,
  type Fingerprint,
  type MediaSection,
  type SdpLine,
  type SessionDescription,
} from '../../protocol/sdp/index.js';
import { UnsupportedError } from '../lib/errors.js';

/**
 * Estuary's RTP capabilities and the offer/answer rules built on them (RFC 3264, RFC 8829 for
 * WebRTC's use). Pure functions: SDP models in, decisions and SDP text out; the transports apply
 * them to the engine. After mediasoup's `ortc.ts`.
 */

export interface RtcpFeedback {
  type: string;
  parameter?: string;
}

/** A codec as negotiated on one m-line (the contract type of the SFU API). */
export interface RtpCodec {
  mimeType: string;
  clockRate: number;
  channels?: number;
  payloadType: number;
  parameters: Record<string, string | number>;
  /** RTCP feedback both sides agreed on for this codec. */
  rtcpFeedback?: RtcpFeedback[];
}

export type MediaKind = 'audio' | 'video';

/** A codec Estuary forwards, with the payload type it uses in its own offers. */
export interface CodecCapability extends RtpCodec {
  kind: MediaKind;
  rtcpFeedback: RtcpFeedback[];
}

/** Feedback Estuary honours on video: NACK (RFC 4585 §4.2), PLI, FIR (RFC 5104 §7.1), REMB. */
const VIDEO_FEEDBACK: RtcpFeedback[] = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }, { type: 'goog-remb' }];

/**
 * The codec table: Opus (RFC 7587, in-band FEC on), VP8 (RFC 7741) and H.264 constrained
 * baseline 3.1 in non-interleaved mode (RFC 6184 §8.1). Never transport-cc: Estuary sends no TWCC
 * feedback, and Chrome's estimate collapses without it (ARCHITECTURE.md, Media engine).
 */
export const SUPPORTED_CODECS: readonly CodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111, parameters: { minptime: 10, useinbandfec: 1 }, rtcpFeedback: [] },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, payloadType: 96, parameters: {}, rtcpFeedback: VIDEO_FEEDBACK },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    payloadType: 102,
    parameters: { 'level-asymmetry-allowed': 1, 'packetization-mode': 1, 'profile-level-id': '42e01f' },
    rtcpFeedback: VIDEO_FEEDBACK,
  },
];

/** Header extensions accepted from publishers (RFC 8285): never transport-cc. */
export const SUPPORTED_HEADER_EXTENSIONS: readonly { kind: MediaKind; uri: string }[] = [
  { kind: 'audio', uri: EXTENSION_URI.mid },
  { kind: 'audio', uri: EXTENSION_URI.absSendTime },
  { kind: 'audio', uri: EXTENSION_URI.audioLevel },
  { kind: 'video', uri: EXTENSION_URI.mid },
  { kind: 'video', uri: EXTENSION_URI.absSendTime },
];

/**
 * RFC 6184 Table 5 / RFC 6184 §8.1: a profile-level-id whose stream a constrained-baseline
 * decoder can play: Baseline with constraint_set1, Main with constraint_set0, Extended with
 * constraint_set0 and set1 (profile_idc, profile-iop mask).
 */
const CONSTRAINED_BASELINE_PROFILES: readonly [number, number][] = [
  [0x42, 0x40],
  [0x4d, 0x80],
  [0x58, 0xc0],
];

/** Whether an H.264 `profile-level-id` (6 hex digits) is constrained-baseline compatible. */
export function isConstrainedBaseline(profileLevelId: string | undefined): boolean {
  // RFC 6184 §8.1: an absent profile-level-id means 42000A (Baseline, no constraint flags).
  if (profileLevelId === undefined || !/^[0-9a-fA-F]{6}$/.test(profileLevelId)) return false;
  const idc = parseInt(profileLevelId.slice(0, 2), 16);
  const iop = parseInt(profileLevelId.slice(2, 4), 16);
  return CONSTRAINED_BASELINE_PROFILES.some(([p, mask]) => p === idc && (iop & mask) === mask);
}

/** The outcome of negotiating one m-line of a client's offer. */
export type NegotiatedMedia =
  | {
      accepted: true;
      index: number;
      mid: string;
      kind: MediaKind;
      /** The codec with the offerer's payload type. */
      codec: RtpCodec;
      /** Offered header extensions we keep, with the offerer's ids. */
      headerExtensions: { id: number; uri: string }[];
      /** The publisher's media SSRC from `a=ssrc` (its RTX SSRC dropped), when signalled. */
      ssrc: number | undefined;
      cname: string | undefined;
      /** Our direction in the answer. */
      direction: 'recvonly' | 'inactive';
    }
  | { accepted: false; index: number; mid: string | undefined; kind: string; reason: string };

/**
 * Negotiates each m-line of a client offer toward a send transport (the client publishes):
 * picks the first offered codec Estuary supports (offerer's preference order, H.264 only if
 * constrained-baseline compatible with packetization-mode=1), the feedback and extensions both
 * sides support, and the media SSRC. Unsupported m-lines come back rejected with a reason.
 */
export function negotiateOffer(offer: SessionDescription): NegotiatedMedia[] {
  return offer.media.map((m, index) => negotiateSection(m, index));
}

function negotiateSection(m: MediaSection, index: number): NegotiatedMedia {
  const mid = getMid(m.lines);
  const reject = (reason: string): NegotiatedMedia => ({ accepted: false, index, mid, kind: m.kind, reason });
  if (m.kind !== 'audio' && m.kind !== 'video') return reject(`${m.kind} m-lines are not supported`);
  if (m.port === 0) return reject('rejected by the offerer (port 0)');
  if (mid === undefined) return reject('no a=mid');
  if (!m.protocol.includes('RTP/SAVPF')) return reject(`protocol ${m.protocol}`);
  const kind: MediaKind = m.kind;
  const codec = pickCodec(m, kind);
  if (!codec) return reject(`no supported ${kind} codec offered`);
  const headerExtensions = getAttributes(m.lines, 'extmap')
    .map(parseExtmap)
    .filter((e) => SUPPORTED_HEADER_EXTENSIONS.some((s) => s.kind === kind && s.uri === e.uri))
    .map((e) => ({ id: e.id, uri: e.uri }));
  const { ssrc, cname } = mediaSsrc(m.lines);
  const offered = getDirection(m.lines);
  const direction = offered === 'sendonly' || offered === 'sendrecv' ? 'recvonly' : 'inactive';
  return { accepted: true, index, mid, kind, codec, headerExtensions, ssrc, cname, direction };
}

function pickCodec(m: MediaSection, kind: MediaKind): RtpCodec | undefined {
  const rtpmaps = new Map(getAttributes(m.lines, 'rtpmap').map((v) => [parseRtpmap(v).payloadType, parseRtpmap(v)]));
  const fmtps = new Map(getAttributes(m.lines, 'fmtp').map((v) => [parseFmtp(v).payloadType, parseFmtp(v).parameters]));
  const feedback = getAttributes(m.lines, 'rtcp-fb').map(parseRtcpFb);
  for (const format of m.formats) {
    const pt = Number(format);
    const map = rtpmaps.get(pt);
    if (!map) continue;
    const params = fmtps.get(pt) ?? {};
    const cap = SUPPORTED_CODECS.find(
      (c) => c.kind === kind && c.mimeType.toLowerCase() === `${kind}/${map.encoding}`.toLowerCase() && c.clockRate === map.clockRate,
    );
    if (!cap) continue;
    if (cap.mimeType === 'video/H264' && !(params['packetization-mode'] === '1' && isConstrainedBaseline(params['profile-level-id']))) continue;
    const offeredFb = feedback.filter((f) => f.payloadType === pt || f.payloadType === '*');
    const rtcpFeedback = cap.rtcpFeedback.filter((c) => offeredFb.some((f) => f.type === c.type && f.parameter === c.parameter));
    const codec: RtpCodec = { mimeType: cap.mimeType, clockRate: cap.clockRate, payloadType: pt, parameters: { ...cap.parameters }, rtcpFeedback };
    if (cap.channels !== undefined) codec.channels = cap.channels;
    return codec;
  }
  return undefined;
}

/**
 * The media SSRC of a section (RFC 5576): the first of an FID group when there is one (the
 * second is RTX, which Estuary does not negotiate), else the first `a=ssrc`. Undefined when the
 * offer signals none (rid-based simulcast): the transport latches the first SSRC it sees.
 */
function mediaSsrc(lines: readonly SdpLine[]): { ssrc: number | undefined; cname: string | undefined } {
  const ssrcLines = getAttributes(lines, 'ssrc').map(parseSsrc);
  const fid = getAttributes(lines, 'ssrc-group').map(parseSsrcGroup).find((g) => g.semantics === 'FID');
  const ssrc = fid?.ssrcs[0] ?? ssrcLines[0]?.ssrc;
  const cname = ssrcLines.find((s) => s.ssrc === ssrc && s.attribute === 'cname')?.value;
  return { ssrc, cname };
}

/** Attributes that describe one m-line's RTP and never survive our rewrite unless re-checked. */
const PER_CODEC_ATTRIBUTES = new Set(['rtpmap', 'fmtp', 'rtcp-fb']);
/**
 * The client's candidates are not given to the engine: like an ICE-lite server (RFC 8445 §2.5),
 * it answers the client's checks and learns the client's address from them (peer-reflexive).
 * With the candidates, the engine checks first while the client still waits for our answer;
 * those checks go unanswered and ICE waits for the retransmission, so a third of joins took
 * ~1 s instead of ~60 ms (measured with WHEP viewers on loopback).
 */
const CLIENT_CANDIDATE_ATTRIBUTES = new Set(['candidate', 'end-of-candidates']);
/** Simulcast signalling we cannot honour (libdatachannel routes by signalled SSRC only). */
const DROPPED_ATTRIBUTES = new Set(['rid', 'simulcast', 'ssrc-group', 'rtcp-rsize', 'extmap-allow-mixed']);

/**
 * Rewrites a client offer into the one the engine applies: each accepted m-line keeps only the
 * chosen codec, its agreed feedback, our header extensions and the media SSRC; rejected m-lines
 * get port 0 and leave the BUNDLE group. The engine's own answer then matches ours.
 */
export function rewriteOfferForEngine(offer: SessionDescription, negotiated: readonly NegotiatedMedia[]): string {
  const accepted = negotiated.filter((n) => n.accepted).map((n) => n.mid);
  const session = offer.lines
    .filter((l) => !(l.type === 'a' && DROPPED_ATTRIBUTES.has(attributeName(l.value))))
    .map((l) => (l.type === 'a' && l.value.startsWith('group:BUNDLE') ? { type: 'a', value: ['group:BUNDLE', ...accepted].join(' ') } : l));
  const media = offer.media.map((m, i): MediaSection => {
    const n = negotiated[i];
    if (!n || !n.accepted) {
      const mid = getMid(m.lines);
      return { ...m, port: 0, formats: m.formats.slice(0, 1), lines: mid === undefined ? [] : [{ type: 'a', value: `mid:${mid}` }] };
    }
    return { ...m, formats: [String(n.codec.payloadType)], lines: m.lines.filter((l) => keepLine(l, n)) };
  });
  return writeSdp({ lines: session, media });
}

function keepLine(l: SdpLine, n: Extract<NegotiatedMedia, { accepted: true }>): boolean {
  if (l.type !== 'a') return true;
  const name = attributeName(l.value);
  if (DROPPED_ATTRIBUTES.has(name)) return false;
  if (CLIENT_CANDIDATE_ATTRIBUTES.has(name)) return false;
  if (PER_CODEC_ATTRIBUTES.has(name)) {
    const ptText = l.value.slice(name.length + 1).split(' ')[0];
    if (ptText !== String(n.codec.payloadType)) return false;
    if (name === 'rtcp-fb') {
      const fb = parseRtcpFb(l.value.slice(name.length + 1));
      return (n.codec.rtcpFeedback ?? []).some((f) => f.type === fb.type && f.parameter === fb.parameter);
    }
    return true;
  }
  if (name === 'extmap') return n.headerExtensions.some((e) => e.id === parseExtmap(l.value.slice(7)).id);
  if (name === 'ssrc') return n.ssrc !== undefined && parseSsrc(l.value.slice(5)).ssrc === n.ssrc;
  return true;
}

/** Our side of ICE and DTLS for an answer (taken from the engine's local description). */
export interface LocalTransportParameters {
  iceUfrag: string;
  icePwd: string;
  fingerprint: Fingerprint;
  /** RFC 5763 §5: the answerer picks active or passive, never actpass. */
  setup: 'active' | 'passive';
  candidates: Candidate[];
  /** RFC 3264 §5: session id fixed per transport, version bumped per new description. */
  sessionId: string;
  sessionVersion: number;
}

/**
 * Builds the answer to a client offer from Estuary's capabilities (RFC 3264 §6, RFC 8829 §5.3):
 * every offered m-line in order; accepted ones with the chosen codec (the offerer's payload type,
 * our fmtp), the agreed feedback and extensions, `recvonly`, rtcp-mux and BUNDLE (RFC 8843);
 * rejected ones with port 0. No transport-cc, rid or simulcast can appear.
 */
export function buildAnswer(offer: SessionDescription, negotiated: readonly NegotiatedMedia[], local: LocalTransportParameters): string {
  const accepted = negotiated.filter((n): n is Extract<NegotiatedMedia, { accepted: true }> => n.accepted);
  const session: SdpLine[] = [
    { type: 'v', value: '0' },
    { type: 'o', value: `- ${local.sessionId} ${local.sessionVersion} IN IP4 0.0.0.0` },
    { type: 's', value: '-' },
    { type: 't', value: '0 0' },
  ];
  if (accepted.length > 0) session.push({ type: 'a', value: ['group:BUNDLE', ...accepted.map((n) => n.mid)].join(' ') });
  session.push({ type: 'a', value: 'msid-semantic: WMS' });
  const media = offer.media.map((m, i): MediaSection => {
    const n = negotiated[i];
    if (!n || !n.accepted) {
      const lines: SdpLine[] = [{ type: 'c', value: 'IN IP4 0.0.0.0' }];
      const mid = getMid(m.lines);
      if (mid !== undefined) lines.push({ type: 'a', value: `mid:${mid}` });
      lines.push({ type: 'a', value: 'inactive' });
      return { kind: m.kind, port: 0, protocol: m.protocol, formats: m.formats.slice(0, 1), lines };
    }
    const a = (value: string): SdpLine => ({ type: 'a', value });
    const pt = n.codec.payloadType;
    const [, encoding] = n.codec.mimeType.split('/');
    const lines: SdpLine[] = [
      { type: 'c', value: 'IN IP4 0.0.0.0' },
      a('rtcp:9 IN IP4 0.0.0.0'),
      a(`ice-ufrag:${local.iceUfrag}`),
      a(`ice-pwd:${local.icePwd}`),
      a(`fingerprint:${local.fingerprint.algorithm} ${local.fingerprint.value}`),
      a(`setup:${local.setup}`),
      a(`mid:${n.mid}`),
      ...n.headerExtensions.map((e) => a(`extmap:${e.id} ${e.uri}`)),
      a(n.direction),
      a('rtcp-mux'),
      a(`rtpmap:${pt} ${encoding}/${n.codec.clockRate}${n.codec.channels ? `/${n.codec.channels}` : ''}`),
      ...(n.codec.rtcpFeedback ?? []).map((f) => a(`rtcp-fb:${pt} ${f.type}${f.parameter ? ` ${f.parameter}` : ''}`)),
    ];
    if (Object.keys(n.codec.parameters).length > 0) lines.push(a(`fmtp:${pt} ${formatFmtpParameters(n.codec.parameters)}`));
    // BUNDLE: one transport, so the candidates ride on the first bundled section (RFC 8843 §7.1.1).
    if (n === accepted[0]) {
      for (const c of local.candidates) lines.push(a(`candidate:${formatCandidate(c)}`));
      lines.push(a('end-of-candidates'));
    }
    return { kind: m.kind, port: 9, protocol: m.protocol, formats: [String(pt)], lines };
  });
  return writeSdp({ lines: session, media });
}

/** The codec a consumer of `producerCodec` sends with: ours, with our payload type. */
export function consumerCodec(producerCodec: RtpCodec): RtpCodec {
  const cap = SUPPORTED_CODECS.find((c) => c.mimeType.toLowerCase() === producerCodec.mimeType.toLowerCase() && c.clockRate === producerCodec.clockRate);
  if (!cap) throw new UnsupportedError(`cannot forward ${producerCodec.mimeType}`);
  const codec: RtpCodec = { mimeType: cap.mimeType, clockRate: cap.clockRate, payloadType: cap.payloadType, parameters: { ...cap.parameters }, rtcpFeedback: [...cap.rtcpFeedback] };
  if (cap.channels !== undefined) codec.channels = cap.channels;
  return codec;
}

/** What one consumer's m-line in a recv-transport offer carries. */
export interface ConsumerMediaParameters {
  mid: string;
  kind: MediaKind;
  codec: RtpCodec;
  ssrc: number;
  cname: string;
  /** RFC 8830 msid: the stream groups a peer's audio and video; the track names the producer. */
  streamId: string;
  trackId: string;
}

/** Replaces the connection address of host candidates (`announcedIp`, a server behind 1:1 NAT). */
export function announceCandidates(candidates: readonly Candidate[], announcedIp: string | null): Candidate[] {
  if (!announcedIp) return [...candidates];
  return candidates.map((c) => (c.type === 'host' ? { ...c, address: announcedIp } : c));
}

/** Rewrites `a=candidate` host addresses of an SDP text in place of the engine's local ones. */
export function announceSdp(sdpLines: SessionDescription, announcedIp: string | null): SessionDescription {
  if (!announcedIp) return sdpLines;
  const fix = (l: SdpLine): SdpLine => {
    if (l.type !== 'a' || !l.value.startsWith('candidate:')) return l;
    const parts = l.value.split(' ');
    if (parts[7] === 'host' && parts.length > 5) parts[4] = announcedIp;
    return { type: 'a', value: parts.join(' ') };
  };
  return { lines: sdpLines.lines.map(fix), media: sdpLines.media.map((m) => ({ ...m, lines: m.lines.map(fix) })) };
}

/** The first value of an attribute across a description's sections (session first). */
export function findAttribute(desc: SessionDescription, name: string): string | undefined {
  return getAttribute(desc.lines, name) ?? desc.media.map((m) => getAttribute(m.lines, name)).find((v) => v !== undefined);
}
