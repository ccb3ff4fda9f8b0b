/**
 * The SFU media core: Estuary's layer over mediasoup, and the only folder that imports it
 * (ARCHITECTURE.md, "The SFU media core"). Others use the mediasoup object types re-exported here.
 */
import type { types } from 'mediasoup';

export { Sfu, type SfuOptions, type WorkerSlot, type RouterAppData } from './Sfu.js';
export { RouterGroup } from './RouterGroup.js';
export { ViewerRouters, type ViewerPlacement } from './ViewerRouters.js';
export { GopCatchUp, type CatchUpSession } from './GopCatchUp.js';
export { ROUTER_MEDIA_CODECS } from './codecs.js';
export { onNewProducer } from './load.js';

export type Router = types.Router;
export type ActiveSpeakerObserver = types.ActiveSpeakerObserver;
export type WebRtcTransport = types.WebRtcTransport;
export type PlainTransport = types.PlainTransport;
export type Producer = types.Producer;
export type Consumer = types.Consumer;
export type RtpCapabilities = types.RtpCapabilities;
export type RtpParameters = types.RtpParameters;
export type RtpCodecParameters = types.RtpCodecParameters;
export type MediaKind = types.MediaKind;
export type DtlsParameters = types.DtlsParameters;
export type AppData = types.AppData;
