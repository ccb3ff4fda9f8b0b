import {
  attributeName,
  getAttributes,
  getDirection,
  getMid,
  parseExtmap,
  parseFmtp,
  parseRtcpFb,
  parseRtpmap,
  parseSdp,
  writeSdp,
  type MediaSection,
  type SdpLine,
  type SessionDescription,
} from '../../protocol/sdp/index.js';
import { EXTENSION_URI } from '../../protocol/rtp/header-extensions.js';
import { buildAnswer, type LocalTransportParameters, type MediaKind, type NegotiatedMedia, type RtcpFeedback, type RtpCodec } from './ortc.js';

/**
 * Offer/answer for a viewer that offers to receive (WHEP, draft-ietf-wish-whep §4.2): Estuary
 * is the answerer and the sender. Pure functions after `ortc.ts`: each offered m-line is paired
 * with a producer of its kind whose codec the viewer offers, and answered `sendonly` with the
 * viewer's payload type and Estuary's SSRC (RFC 3264 §6.1, RFC 8829 §5.3.1).
 */

/** Feedback a consumer honours from a viewer: NACK (RFC 4585 §4.2), PLI, FIR (RFC 5104 §7.1). */
const SEND_FEEDBACK: readonly RtcpFeedback[] = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }];

/** Something that can be consumed: what the negotiation needs of a Producer. */
export interface OfferableSource {
  id: string;
  kind: MediaKind;
  codec: RtpCodec;
}

/** One offered m-line paired with a source, or rejected with a reason. */
export type ConsumeMatch =
  | {
      accepted: true;
      index: number;
      mid: string;
      kind: MediaKind;
      sourceId: string;
      /** The codec the consumer sends: the producer's, with the viewer's payload type and fmtp. */
      codec: RtpCodec;
      /** Offered header extensions we keep (only the MID, RFC 8843 §15), with the offerer's ids. */
      headerExtensions: { id: number; uri: string }[];
    }
  | { accepted: false; index: number; mid: string | undefined; kind: string; reason: string };

/**
 * Pairs each offered m-line (audio/video, RTP/SAVPF, with a mid, willing to receive) with the
 * first unused source of its kind whose codec the viewer offers. H.264 matches loosely:
 * any offered H.264 payload type with packetization-mode=1 (RFC 6184 §8.1) is taken, one with
 * the source's profile_idc first; the viewer's decoder plays any profile, and the viewer's own
 * fmtp (with level-asymmetry-allowed) is answered back.
 */
export function negotiateConsumeOffer(offer: SessionDescription, sources: readonly OfferableSource[]): ConsumeMatch[] {
  const used = new Set<string>();
  return offer.media.map((m, index): ConsumeMatch => {
    const mid = getMid(m.lines);
    const reject = (reason: string): ConsumeMatch => ({ accepted: false, index, mid, kind: m.kind, reason });
    if (m.kind !== 'audio' && m.kind !== 'video') return reject(`${m.kind} m-lines are not supported`);
    if (m.port === 0) return reject('rejected by the offerer (port 0)');
    if (mid === undefined) return reject('no a=mid');
    if (!m.protocol.includes('RTP/SAVPF')) return reject(`protocol ${m.protocol}`);
    const direction = getDirection(m.lines);
    if (direction !== 'recvonly' && direction !== 'sendrecv') return reject(`direction ${direction}: a viewer must receive`);
    const kind: MediaKind = m.kind;
    const candidates = sources.filter((s) => s.kind === kind && !used.has(s.id));
    if (candidates.length === 0) return reject(`the stream has no ${kind} track`);
    for (const source of candidates) {
      const codec = matchCodec(m, source.codec);
      if (!codec) continue;
      used.add(source.id);
      const headerExtensions = getAttributes(m.lines, 'extmap')
        .map(parseExtmap)
        .filter((e) => e.uri === EXTENSION_URI.mid)
        .map((e) => ({ id: e.id, uri: e.uri }));
      return { accepted: true, index, mid, kind, sourceId: source.id, codec, headerExtensions };
    }
    return reject(`the viewer offers no codec for ${candidates.map((s) => s.codec.mimeType).join(', ')}`);
  });
}

/** The viewer's payload type for `codec`, with the feedback both sides know; undefined when not offered. */
function matchCodec(m: MediaSection, codec: RtpCodec): RtpCodec | undefined {
  const rtpmaps = new Map(getAttributes(m.lines, 'rtpmap').map((v) => [parseRtpmap(v).payloadType, parseRtpmap(v)]));
  const fmtps = new Map(getAttributes(m.lines, 'fmtp').map((v) => [parseFmtp(v).payloadType, parseFmtp(v).parameters]));
  const feedback = getAttributes(m.lines, 'rtcp-fb').map(parseRtcpFb);
  const [, encoding] = codec.mimeType.split('/');
  const offered: { pt: number; params: Record<string, string> }[] = [];
  for (const format of m.formats) {
    const pt = Number(format);
    const map = rtpmaps.get(pt);
    if (!map || map.encoding.toLowerCase() !== (encoding ?? '').toLowerCase() || map.clockRate !== codec.clockRate) continue;
    offered.push({ pt, params: fmtps.get(pt) ?? {} });
  }
  let chosen = offered[0];
  if (codec.mimeType.toLowerCase() === 'video/h264') {
    const usable = offered.filter((o) => o.params['packetization-mode'] === '1');
    const profile = String(codec.parameters['profile-level-id'] ?? '').slice(0, 2).toLowerCase();
    chosen = usable.find((o) => (o.params['profile-level-id'] ?? '').slice(0, 2).toLowerCase() === profile) ?? usable[0];
  }
  if (!chosen) return undefined;
  const pt = chosen.pt;
  const offeredFb = feedback.filter((f) => f.payloadType === String(pt) || f.payloadType === '*');
  const rtcpFeedback = codec.mimeType.startsWith('video/') ? SEND_FEEDBACK.filter((c) => offeredFb.some((f) => f.type === c.type && f.parameter === c.parameter)) : [];
  const parameters: Record<string, string | number> = codec.mimeType.toLowerCase() === 'video/h264' ? { ...chosen.params } : { ...codec.parameters };
  const out: RtpCodec = { mimeType: codec.mimeType, clockRate: codec.clockRate, payloadType: pt, parameters, rtcpFeedback };
  if (codec.channels !== undefined) out.channels = codec.channels;
  return out;
}

/** As `NegotiatedMedia` for the engine rewrite: accepted lines keep only the chosen codec, no SSRCs. */
export function toNegotiated(matches: readonly ConsumeMatch[]): NegotiatedMedia[] {
  return matches.map((m): NegotiatedMedia =>
    m.accepted
      ? { accepted: true, index: m.index, mid: m.mid, kind: m.kind, codec: m.codec, headerExtensions: m.headerExtensions, ssrc: undefined, cname: undefined, direction: 'recvonly' }
      : m,
  );
}

/** Our sending identity on one answered m-line (RFC 8830 msid, RFC 5576 ssrc/cname). */
export interface SendParameters {
  mid: string;
  ssrc: number;
  cname: string;
  streamId: string;
  trackId: string;
}

/**
 * The answer to a viewer's offer: `buildAnswer`'s lines (ICE, DTLS, BUNDLE, the chosen codec,
 * rejected m-lines with port 0) with each accepted m-line turned `sendonly` and given our
 * msid and SSRC.
 */
export function buildSendAnswer(offer: SessionDescription, matches: readonly ConsumeMatch[], local: LocalTransportParameters, sends: readonly SendParameters[]): string {
  const desc = parseSdp(buildAnswer(offer, toNegotiated(matches), local));
  desc.media = desc.media.map((m): MediaSection => {
    const mid = getMid(m.lines);
    const send = sends.find((s) => s.mid === mid);
    if (!send || m.port === 0) return m;
    const lines: SdpLine[] = m.lines
      .filter((l) => !(l.type === 'a' && attributeName(l.value) === 'inactive'))
      .map((l) => (l.type === 'a' && l.value === 'recvonly' ? { type: 'a', value: 'sendonly' } : l));
    lines.push(
      { type: 'a', value: `msid:${send.streamId} ${send.trackId}` },
      { type: 'a', value: `ssrc:${send.ssrc} cname:${send.cname}` },
      { type: 'a', value: `ssrc:${send.ssrc} msid:${send.streamId} ${send.trackId}` },
    );
    return { ...m, lines };
  });
  return writeSdp(desc);
}
