/** The SFU media core: the only module that touches the WebRTC engine (ARCHITECTURE.md). */
export { Sfu, type SfuOptions } from './Sfu.js';
export { Router } from './Router.js';
export { WebRtcTransport, type TransportState, type TransportStats } from './WebRtcTransport.js';
export { PlainRtpTransport, type PlainRtpTransportOptions, type PlainRtpTransportStats, type PlainRtpTuple } from './PlainRtpTransport.js';
export { Producer, type ProducerStats } from './Producer.js';
export { Consumer, type ConsumerStats } from './Consumer.js';
export { SUPPORTED_CODECS, SUPPORTED_HEADER_EXTENSIONS, type RtpCodec, type MediaKind, type CodecCapability } from './ortc.js';
