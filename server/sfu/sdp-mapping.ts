/**
 * WHIP (RFC 9725) and WHEP (draft-ietf-wish-whep) SDP ↔ mediasoup RTP parameters: the one pure
 * module between HTTP offers and the SFU (ARCHITECTURE.md, "The SFU media core"). SDP text in,
 * plain mediasoup-shaped values or SDP text out; no sockets, no mediasoup calls (types only).
 * Errors by class: malformed SDP → TypeError (HTTP 400), nothing usable → UnsupportedError (415).
 */
export { MAX_FORMATS_PER_SECTION, MAX_OFFER_MEDIA_SECTIONS, MAX_REMOTE_CANDIDATES, type RemoteTransportParameters } from './sdp-mapping/offer.js';
export { MAX_SIMULCAST_ENCODINGS, parsePublishOffer, type PublishMedia } from './sdp-mapping/publish.js';
export { parseViewOffer, type ViewMedia } from './sdp-mapping/view.js';
export { buildPublishAnswer, buildViewAnswer, type LocalTransportParameters } from './sdp-mapping/answer.js';
export { h264Profile, type H264Profile } from './sdp-mapping/codec-match.js';
