import type { types } from 'mediasoup';
import { UnsupportedError } from '../../lib/errors.js';
import { offeredCodecs, offeredExtensions, readOffer, type RemoteTransportParameters } from './offer.js';

/**
 * WHEP (draft-ietf-wish-whep §4.2): a viewer's offer read as mediasoup receive capabilities, one
 * set per m-line, for `transport.consume({ rtpCapabilities })`. mediasoup matches codecs by
 * mimeType, clock rate, channels and profile, and keeps a header extension only when the
 * viewer's id equals the router's; the consumer's payload types are always the router's
 * (`buildViewAnswer` refuses an answer whose payload types the viewer did not offer).
 */

export interface ViewMedia {
  mid: string;
  kind: string;
  rtpCapabilities?: types.RtpCapabilities;
  rejected?: string;
}

/** WHEP: viewer's offer → per m-line the viewer's receive capabilities (offer PTs, extmap ids, rtcp-fb as offered). */
export function parseViewOffer(sdp: string): { transport: RemoteTransportParameters; media: ViewMedia[] } {
  const offer = readOffer(sdp, 'recv');
  const media = offer.sections.map(({ section, mid, kind, rejected }): ViewMedia => {
    if (rejected !== undefined) return { mid, kind, rejected };
    const mediaKind = kind as types.MediaKind;
    const codecs = offeredCodecs(section).map((c): types.RtpCodecCapability => {
      const cap: types.RtpCodecCapability = {
        kind: mediaKind,
        mimeType: c.mimeType,
        preferredPayloadType: c.payloadType,
        clockRate: c.clockRate,
        parameters: { ...c.parameters },
        rtcpFeedback: c.rtcpFeedback,
      };
      if (c.channels !== undefined) cap.channels = c.channels;
      return cap;
    });
    if (codecs.length === 0) return { mid, kind, rejected: 'no codec offered' };
    const headerExtensions = offeredExtensions(section)
      .filter((e) => e.direction === undefined || e.direction === 'sendrecv' || e.direction === 'recvonly')
      .map((e): types.RtpHeaderExtension => ({ kind: mediaKind, uri: e.uri as types.RtpHeaderExtensionUri, preferredId: e.id, preferredEncrypt: false, direction: 'sendrecv' }));
    return { mid, kind, rtpCapabilities: { codecs, headerExtensions } };
  });
  if (!media.some((m) => m.rtpCapabilities)) {
    throw new UnsupportedError(`nothing to receive: ${media.map((m) => `${m.mid || m.kind}: ${m.rejected}`).join('; ')}`);
  }
  return { transport: offer.transport, media };
}
