import type { types } from 'mediasoup';
import { formatFmtpParameters, writeSdp, type MediaSection, type SdpLine } from '../../../protocol/sdp/index.js';
import { UnsupportedError } from '../../lib/errors.js';
import { sameCodec } from './codec-match.js';
import { isRtx, offeredCodecs, readOffer, type OfferedSection, type ReadOffer } from './offer.js';

/**
 * Estuary's answers to WHIP and WHEP offers (RFC 3264 §6, RFC 8829 §5.3): built from what the
 * mediasoup producers and consumers really carry, never echoed from the offer. One BUNDLE
 * transport (RFC 8843), ICE-lite (RFC 8445 §2.5), DTLS-SRTP (RFC 5763), rtcp-mux (RFC 5761).
 */

/** The server side of the answer (a mediasoup WebRtcTransport's values). */
export interface LocalTransportParameters {
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
}

/** What one accepted m-line of an answer says. */
interface AnsweredMedia {
  rtpParameters: types.RtpParameters;
  direction: 'recvonly' | 'sendonly';
  /** Lines after the codecs: rid/simulcast (WHIP) or msid/ssrc (WHEP). */
  extra: SdpLine[];
}

const a = (value: string): SdpLine => ({ type: 'a', value });

/** WHIP answer: `recvonly` m-lines for the produced mids, each with the producer's codecs, feedback and extensions. */
export function buildPublishAnswer(offerSdp: string, local: LocalTransportParameters, accepted: Map<string, types.RtpParameters>): string {
  const offer = readOffer(offerSdp, 'send');
  const answered = new Map<string, AnsweredMedia>();
  for (const s of offer.sections) {
    const rtpParameters = s.rejected === undefined ? accepted.get(s.mid) : undefined;
    if (!rtpParameters) continue;
    const extra: SdpLine[] = [];
    const rids = rtpParameters.encodings?.map((e) => e.rid).filter((r): r is string => r !== undefined) ?? [];
    // RFC 8853 §5.3: the answerer receives the offered layers, in the offer's order.
    if (rids.length > 0) extra.push(...rids.map((rid) => a(`rid:${rid} recv`)), a(`simulcast:recv ${rids.join(';')}`));
    answered.set(s.mid, { rtpParameters, direction: 'recvonly', extra });
  }
  return buildAnswer(offer, local, answered);
}

/** WHEP answer: `sendonly` m-lines for the consumed mids, each with the consumer's codecs, SSRCs and msid (RFC 8830). */
export function buildViewAnswer(
  offerSdp: string,
  local: LocalTransportParameters,
  consumers: Map<string, { rtpParameters: types.RtpParameters; streamId: string; trackId: string }>,
): string {
  const offer = readOffer(offerSdp, 'recv');
  const answered = new Map<string, AnsweredMedia>();
  for (const s of offer.sections) {
    const consumer = s.rejected === undefined ? consumers.get(s.mid) : undefined;
    if (!consumer) continue;
    const { rtpParameters, streamId, trackId } = consumer;
    checkPayloadTypes(s, rtpParameters);
    const cname = rtpParameters.rtcp?.cname ?? streamId;
    const extra: SdpLine[] = [a(`msid:${streamId} ${trackId}`)];
    const encoding = rtpParameters.encodings?.[0];
    if (encoding?.ssrc !== undefined) {
      const ssrcs = [encoding.ssrc];
      if (encoding.rtx?.ssrc !== undefined) {
        ssrcs.push(encoding.rtx.ssrc);
        extra.push(a(`ssrc-group:FID ${ssrcs.join(' ')}`));
      }
      for (const ssrc of ssrcs) extra.push(a(`ssrc:${ssrc} cname:${cname}`), a(`ssrc:${ssrc} msid:${streamId} ${trackId}`));
    }
    answered.set(s.mid, { rtpParameters, direction: 'sendonly', extra });
  }
  return buildAnswer(offer, local, answered);
}

/**
 * A receiver demultiplexes by the payload types of its own offer (RFC 3264 §5.1; Chromium keeps
 * them even when an answer says otherwise), and a mediasoup consumer sends with the router's.
 * Each consumer codec must therefore sit on a payload type the viewer offered for that codec.
 */
function checkPayloadTypes(s: OfferedSection, rtpParameters: types.RtpParameters): void {
  const offered = offeredCodecs(s.section);
  for (const codec of rtpParameters.codecs) {
    const o = offered.find((c) => c.payloadType === codec.payloadType);
    const capability: types.RtpCodecCapability = { kind: s.kind as types.MediaKind, mimeType: codec.mimeType, clockRate: codec.clockRate, parameters: codec.parameters ?? {} };
    if (codec.channels !== undefined) capability.channels = codec.channels;
    const same = o !== undefined && (isRtx(codec) ? isRtx(o) && o.parameters['apt'] === codec.parameters?.['apt'] : o.mimeType.toLowerCase() === codec.mimeType.toLowerCase() && sameCodec(o, capability));
    if (!same) {
      throw new UnsupportedError(`mid ${s.mid}: the consumer sends ${codec.mimeType} as payload type ${codec.payloadType}, which the viewer offered ${o ? `for ${o.mimeType}` : 'for nothing'}`);
    }
  }
}

/** RFC 8122 §5: sha-256 when mediasoup offers it (every WebRTC stack has it), else its strongest. */
function answerFingerprint(dtls: types.DtlsParameters): types.DtlsFingerprint {
  const fps = dtls.fingerprints;
  const fp = fps.find((f) => f.algorithm === 'sha-256') ?? fps[fps.length - 1];
  if (!fp) throw new TypeError('local dtlsParameters carry no fingerprint');
  return fp;
}

/** RFC 8445 §5.1 candidate lines, UDP first (ffmpeg's WHIP muxer takes the first UDP host candidate it reads). */
function candidateLines(candidates: readonly types.IceCandidate[]): SdpLine[] {
  const sorted = [...candidates].sort((x, y) => Number(x.protocol === 'tcp') - Number(y.protocol === 'tcp') || y.priority - x.priority);
  return sorted.map((c) => {
    // RFC 6544 §4.5: mediasoup's TCP candidates are passive.
    const tcp = c.protocol === 'tcp' ? ` tcptype ${c.tcpType ?? 'passive'}` : '';
    return a(`candidate:${c.foundation} 1 ${c.protocol} ${c.priority} ${c.address ?? c.ip} ${c.port} typ host${tcp}`);
  });
}

/** FNV-1a over the ICE ufrag: a stable numeric o= sess-id (RFC 8866 §5.2) without a clock or randomness. */
function sessionId(ufrag: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < ufrag.length; i++) h = Math.imul(h ^ ufrag.charCodeAt(i), 0x01000193) >>> 0;
  return String(h);
}

function codecLines(rtpParameters: types.RtpParameters): { formats: string[]; lines: SdpLine[] } {
  const formats: string[] = [];
  const lines: SdpLine[] = [];
  for (const c of rtpParameters.codecs) {
    const pt = c.payloadType;
    formats.push(String(pt));
    const encoding = c.mimeType.slice(c.mimeType.indexOf('/') + 1);
    lines.push(a(`rtpmap:${pt} ${encoding}/${c.clockRate}${c.channels !== undefined && c.channels > 1 ? `/${c.channels}` : ''}`));
    for (const fb of c.rtcpFeedback ?? []) lines.push(a(`rtcp-fb:${pt} ${fb.type}${fb.parameter ? ` ${fb.parameter}` : ''}`));
    const params = Object.fromEntries(Object.entries(c.parameters ?? {}).filter(([, v]) => typeof v === 'string' || typeof v === 'number')) as Record<string, string | number>;
    if (Object.keys(params).length > 0) lines.push(a(`fmtp:${pt} ${formatFmtpParameters(params)}`));
  }
  return { formats, lines };
}

function buildAnswer(offer: ReadOffer, local: LocalTransportParameters, answered: ReadonlyMap<string, AnsweredMedia>): string {
  if (answered.size === 0) throw new UnsupportedError('the answer would accept no m-line');
  const accepted = offer.sections.filter((s) => answered.has(s.mid)).map((s) => s.mid);
  const fingerprint = answerFingerprint(local.dtlsParameters);
  // RFC 5763 §5: the answerer takes the role the offerer left: passive when the offerer acts as DTLS client.
  const setup = offer.transport.dtlsParameters.role === 'server' ? 'active' : 'passive';
  const session: SdpLine[] = [
    { type: 'v', value: '0' },
    { type: 'o', value: `- ${sessionId(local.iceParameters.usernameFragment)} 2 IN IP4 127.0.0.1` },
    { type: 's', value: '-' },
    { type: 't', value: '0 0' },
    a('ice-lite'),
    a(`group:BUNDLE ${accepted.join(' ')}`),
    a('msid-semantic: WMS *'),
  ];
  const media = offer.sections.map((s): MediaSection => {
    const m = answered.get(s.mid);
    if (!m) {
      // RFC 3264 §6: a rejected m-line keeps its media type, port 0; RFC 8843 §7.3.3: outside the group.
      const lines: SdpLine[] = [{ type: 'c', value: 'IN IP4 0.0.0.0' }];
      if (s.mid !== '') lines.push(a(`mid:${s.mid}`));
      lines.push(a('inactive'));
      return { kind: s.section.kind, port: 0, protocol: s.section.protocol, formats: s.section.formats.slice(0, 1).concat(s.section.formats.length ? [] : ['0']), lines };
    }
    const { formats, lines: codecs } = codecLines(m.rtpParameters);
    const lines: SdpLine[] = [
      { type: 'c', value: 'IN IP4 0.0.0.0' },
      a('rtcp:9 IN IP4 0.0.0.0'),
      a(`ice-ufrag:${local.iceParameters.usernameFragment}`),
      a(`ice-pwd:${local.iceParameters.password}`),
      a(`fingerprint:${fingerprint.algorithm} ${fingerprint.value.toUpperCase()}`),
      a(`setup:${setup}`),
      a(`mid:${s.mid}`),
      ...(m.rtpParameters.headerExtensions ?? []).map((e) => a(`extmap:${e.id} ${e.uri}`)),
      a(m.direction),
      a('rtcp-mux'),
      a('rtcp-rsize'),
      ...codecs,
      ...m.extra,
    ];
    // RFC 8843 §7.1.1: one transport; its candidates ride on the first bundled m-line.
    if (s.mid === accepted[0]) lines.push(...candidateLines(local.iceCandidates), a('end-of-candidates'));
    return { kind: s.section.kind, port: 9, protocol: s.section.protocol, formats, lines };
  });
  return writeSdp({ lines: session, media });
}
