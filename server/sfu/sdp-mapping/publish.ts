import type { types } from 'mediasoup';
import { getAttribute, getAttributes, parseMsid, parseSsrc, parseSsrcGroup, type MediaSection } from '../../../protocol/sdp/index.js';
import { UnsupportedError } from '../../lib/errors.js';
import { sameCodec } from './codec-match.js';
import { isRtx, offeredCodecs, offeredExtensions, parseAttribute, readOffer, type RemoteTransportParameters } from './offer.js';

/**
 * WHIP (RFC 9725): a publisher's offer mapped to what mediasoup's `transport.produce()` takes,
 * one entry per m-line. Encodings come from `a=ssrc`/`a=ssrc-group` (RFC 5576), rid simulcast
 * (RFC 8851, RFC 8853) or, with neither, the MID header extension (RFC 8843 §15).
 */

/** Simulcast layers accepted per m-line: browsers send at most 3 or 4 (RFC 8853 sets no limit). */
export const MAX_SIMULCAST_ENCODINGS = 8;
/** RFC 8851 §10: a rid-id is 1*(alpha-numeric / "-" / "_"); 16 characters is far above real ones (q, h, f, 0). */
const RID_PATTERN = /^[A-Za-z0-9_-]{1,16}$/;

const URI_MID = 'urn:ietf:params:rtp-hdrext:sdes:mid';
const URI_RID = 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id';
const URI_TWCC = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';

export interface PublishMedia {
  mid: string;
  kind: 'audio' | 'video' | string;
  rtpParameters?: types.RtpParameters;
  rejected?: string;
}

/** WHIP: publisher's offer → per m-line what to produce, or why it is rejected. */
export function parsePublishOffer(sdp: string, routerCapabilities: types.RtpCapabilities): { transport: RemoteTransportParameters; media: PublishMedia[] } {
  const offer = readOffer(sdp, 'send');
  const media = offer.sections.map(({ section, mid, kind, rejected }): PublishMedia => {
    if (rejected !== undefined) return { mid, kind, rejected };
    const result = producerParameters(section, mid, routerCapabilities);
    return typeof result === 'string' ? { mid, kind, rejected: result } : { mid, kind, rtpParameters: result };
  });
  if (!media.some((m) => m.rtpParameters)) {
    throw new UnsupportedError(`nothing to publish: ${media.map((m) => `${m.mid || m.kind}: ${m.rejected}`).join('; ')}`);
  }
  return { transport: offer.transport, media };
}

/** The producer's RTP parameters for one usable m-line, or the reason it cannot be produced. */
function producerParameters(section: MediaSection, mid: string, caps: types.RtpCapabilities): types.RtpParameters | string {
  const kind = section.kind as types.MediaKind;
  const offered = offeredCodecs(section);
  const routerCodecs = (caps.codecs ?? []).filter((c) => c.kind === kind && !isRtx(c));
  let chosen: { codec: (typeof offered)[number]; cap: types.RtpCodecCapability } | undefined;
  for (const codec of offered) {
    if (isRtx(codec)) continue;
    const cap = routerCodecs.find((c) => sameCodec(codec, c));
    if (cap) {
      chosen = { codec, cap };
      break;
    }
  }
  if (!chosen) return `no ${kind} codec in common with the router (offered: ${[...new Set(offered.map((c) => c.mimeType))].join(', ') || 'none'})`;
  const { codec, cap } = chosen;
  const main: types.RtpCodecParameters = {
    mimeType: cap.mimeType,
    payloadType: codec.payloadType,
    clockRate: codec.clockRate,
    parameters: { ...codec.parameters },
    rtcpFeedback: codec.rtcpFeedback,
  };
  if (kind === 'audio') main.channels = codec.channels ?? 1;
  const codecs: types.RtpCodecParameters[] = [main];
  // RFC 4588 §8.6: the RTX format whose apt names the chosen one; only when the router has RTX for it.
  const rtx = offered.find((c) => isRtx(c) && c.parameters['apt'] === codec.payloadType);
  const routerHasRtx = (caps.codecs ?? []).some((c) => isRtx(c) && c.parameters?.['apt'] === cap.preferredPayloadType);
  if (rtx && routerHasRtx) {
    codecs.push({ mimeType: `${kind}/rtx`, payloadType: rtx.payloadType, clockRate: rtx.clockRate, parameters: { apt: codec.payloadType }, rtcpFeedback: [] });
  }
  // Extensions the router receives for this kind, with the offer's ids (RFC 8285 §6).
  const headerExtensions: types.RtpHeaderExtensionParameters[] = offeredExtensions(section)
    .filter((e) => e.direction === undefined || e.direction === 'sendrecv' || e.direction === 'sendonly')
    .filter((e) => (caps.headerExtensions ?? []).some((h) => h.kind === kind && h.uri === e.uri && (h.direction === undefined || h.direction === 'sendrecv' || h.direction === 'recvonly')))
    .map((e) => ({ uri: e.uri as types.RtpHeaderExtensionUri, id: e.id, encrypt: false, parameters: {} }));
  // transport-cc feedback (draft-holmer-rmcat-transport-wide-cc-extensions) needs its header extension.
  if (!headerExtensions.some((e) => e.uri === URI_TWCC)) main.rtcpFeedback = (main.rtcpFeedback ?? []).filter((f) => f.type !== 'transport-cc');
  const encodings = encodingsOf(section, codecs.length > 1, headerExtensions);
  if (typeof encodings === 'string') return encodings;
  const rtcp: types.RtcpParameters = { reducedSize: true };
  const cname = cnameOf(section, encodings);
  if (cname !== undefined) rtcp.cname = cname;
  return { mid, codecs, headerExtensions, encodings, rtcp };
}

/**
 * The encodings of an m-line: rid simulcast (`a=simulcast:send`, RFC 8853 §5.1, in its order;
 * the rtp-stream-id extension is required to tell layers apart), else the SSRCs (an
 * `a=ssrc-group:SIM` per layer with its FID RTX, else the first FID pair, else the first
 * `a=ssrc`), else one encoding found by the MID header extension.
 */
function encodingsOf(section: MediaSection, withRtx: boolean, extensions: readonly types.RtpHeaderExtensionParameters[]): types.RtpEncodingParameters[] | string {
  const rids = simulcastRids(section);
  if (typeof rids === 'string') return rids;
  if (rids.length > 0) {
    if (!extensions.some((e) => e.uri === URI_RID)) return 'rid simulcast without the rtp-stream-id header extension';
    return rids.map((rid) => ({ rid }));
  }
  const ssrcs = getAttributes(section.lines, 'ssrc').map((v) => parseAttribute(parseSsrc, v));
  const groups = getAttributes(section.lines, 'ssrc-group').map((v) => parseAttribute(parseSsrcGroup, v));
  const fid = new Map(groups.filter((g) => g.semantics === 'FID' && g.ssrcs.length === 2).map((g) => [g.ssrcs[0] as number, g.ssrcs[1] as number]));
  const withRtxOf = (ssrc: number): types.RtpEncodingParameters => {
    const rtxSsrc = fid.get(ssrc);
    return withRtx && rtxSsrc !== undefined ? { ssrc, rtx: { ssrc: rtxSsrc } } : { ssrc };
  };
  const sim = groups.find((g) => g.semantics === 'SIM');
  if (sim && sim.ssrcs.length > 0) {
    if (sim.ssrcs.length > MAX_SIMULCAST_ENCODINGS) return `more than ${MAX_SIMULCAST_ENCODINGS} simulcast layers`;
    return sim.ssrcs.map(withRtxOf);
  }
  const first = fid.keys().next().value ?? ssrcs[0]?.ssrc;
  if (first !== undefined) return [withRtxOf(first)];
  if (!extensions.some((e) => e.uri === URI_MID)) return 'no a=ssrc, no a=rid and no MID header extension: the stream cannot be recognised';
  return [{}];
}

/** rids of `a=simulcast:send` (RFC 8853 §5.1; the first of each alternative list, `~` paused prefix dropped) that `a=rid ... send` declares. */
function simulcastRids(section: MediaSection): string[] | string {
  const declared = getAttributes(section.lines, 'rid')
    .map((v) => v.trim().split(/\s+/))
    .filter((p) => p[1] === 'send' && RID_PATTERN.test(p[0] ?? ''))
    .map((p) => p[0] as string);
  if (declared.length === 0) return [];
  const simulcast = getAttribute(section.lines, 'simulcast');
  let order = declared;
  if (simulcast !== undefined) {
    const parts = simulcast.trim().split(/\s+/);
    const sendAt = parts.indexOf('send');
    const list = sendAt >= 0 ? parts[sendAt + 1] : undefined;
    if (list !== undefined) order = list.split(';').map((alt) => (alt.split(',')[0] ?? '').replace(/^~/, '')).filter((r) => declared.includes(r));
  }
  const unique = [...new Set(order)];
  if (unique.length > MAX_SIMULCAST_ENCODINGS) return `more than ${MAX_SIMULCAST_ENCODINGS} simulcast layers`;
  return unique;
}

/** RFC 7022 CNAME: `a=ssrc:<ssrc> cname:` of the first encoding (or any), else the msid stream id (RFC 8830 §2). */
function cnameOf(section: MediaSection, encodings: readonly types.RtpEncodingParameters[]): string | undefined {
  const ssrcs = getAttributes(section.lines, 'ssrc').map((v) => parseAttribute(parseSsrc, v));
  const cnames = ssrcs.filter((s) => s.attribute === 'cname' && s.value);
  const first = encodings[0]?.ssrc;
  const cname = (cnames.find((s) => s.ssrc === first) ?? cnames[0])?.value;
  if (cname !== undefined) return cname;
  const msid = getAttribute(section.lines, 'msid');
  const streamId = msid === undefined ? undefined : parseAttribute(parseMsid, msid).streamId;
  return streamId === undefined || streamId === '-' ? undefined : streamId;
}
