import { z } from 'zod';

/**
 * The control channel between the server and its gateway workers (ARCHITECTURE.md
 * "server ↔ gateway"): JSON messages over Node IPC, validated with these schemas on receipt
 * by both sides. Three envelopes: a request (with an id, answered by exactly one response), a
 * response, and a notification (fire and forget).
 *
 * gateway → server requests: `authorizePublish`, `authorizePlay`, `locateStream`, `bridgeOpen`.
 * gateway → server notifications: `hello`, `ready`, `streamPublished`, `streamTracks`,
 *   `streamUnpublished`, `streamStats`, `bridgeClosed`, `bridgeStatus`.
 * server → gateway requests: `ingestOpen`, `bridgeStart`.
 * server → gateway notifications: `config` (the answer to `hello`), `kickStream`, `ingestClose`,
 *   `bridgeStop`.
 *
 * The bridge messages move media between the SFU and a worker as plain RTP on 127.0.0.1
 * (RFC 3550, RTP and RTCP muxed on one port, RFC 5761): `bridgeOpen` makes a gateway stream
 * WebRTC-watchable (gateway → SFU), `ingestOpen` makes an SFU producer a hub stream (SFU →
 * gateway).
 */

/** Longest stream path accepted anywhere (`live/<name>`, `room/<roomId>/<peerId>`). */
export const MAX_PATH_LENGTH = 256;
/** Longest query string forwarded for authorization (holds a JWT key; a few KB at most). */
export const MAX_QUERY_LENGTH = 8192;
/** Most streams one stats notification carries; a worker with more splits them. */
export const MAX_STATS_STREAMS = 1000;

export const streamPathSchema = z
  .string()
  .min(1)
  .max(MAX_PATH_LENGTH)
  .regex(/^[A-Za-z0-9_.~-]+(\/[A-Za-z0-9_.~-]+)*$/, 'a stream path is segments of letters, digits and _ . ~ - joined by /')
  // `.` and `..` segments would escape directories where a path names files (HLS, recordings).
  .refine((p) => !p.split('/').some((seg) => /^\.+$/.test(seg)), 'a stream path segment cannot be only dots');

/** Where a stream comes from; `relay` marks a worker's local copy of another worker's stream (never reported). */
export const originSchema = z.enum(['rtmp', 'rtsp-pull', 'rtsp-push', 'whip', 'room', 'relay']);
export type StreamOrigin = z.infer<typeof originSchema>;

/** Protocols a reader or publisher uses, for reader counts and authorization. */
export const protocolSchema = z.enum(['rtmp', 'flv', 'ws-flv', 'hls', 'rtsp', 'webrtc']);
export type StreamProtocol = z.infer<typeof protocolSchema>;

/** A track as the registry shows it: codec and the parameters a viewer cares about. */
export const trackSummarySchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('video'),
    codec: z.enum(['h264', 'h265', 'av1', 'vp8', 'vp9']),
    width: z.number().int().nonnegative().optional(),
    height: z.number().int().nonnegative().optional(),
  }),
  z.object({
    type: z.literal('audio'),
    codec: z.enum(['aac', 'opus', 'mp3', 'pcma', 'pcmu']),
    sampleRate: z.number().int().positive(),
    channels: z.number().int().positive(),
  }),
]);
export type TrackSummary = z.infer<typeof trackSummarySchema>;

const authorizeParams = z.object({
  path: streamPathSchema,
  /** The raw query string (`key=...&x=y`, no `?`), never logged: it carries keys. */
  query: z.string().max(MAX_QUERY_LENGTH),
  remoteAddress: z.string().max(64),
  protocol: protocolSchema,
});
export type AuthorizeParams = z.infer<typeof authorizeParams>;

/** The server's answer to an authorization request. */
export const authorizeResultSchema = z.discriminatedUnion('allow', [
  /** `takeover`: a live publisher on this path must be closed first (publish.conflict: takeover). */
  z.object({ allow: z.literal(true), takeover: z.boolean().default(false) }),
  z.object({ allow: z.literal(false), code: z.enum(['unauthorized', 'conflict', 'not_found', 'internal']), reason: z.string().max(200) }),
]);
export type AuthorizeResult = z.infer<typeof authorizeResultSchema>;

/** Most tracks one bridge or ingest carries: one video and one audio. */
export const MAX_BRIDGE_TRACKS = 2;
/** Longest fmtp line carried (an H.264 fmtp with sprop-parameter-sets is ~150 characters). */
export const MAX_FMTP_LENGTH = 1024;

const payloadTypeSchema = z.number().int().min(0).max(127);
const ssrcSchema = z.number().int().min(0).max(0xffff_ffff);

/** A track the gateway sends to the SFU (RTMP/RTSP stream → WebRTC viewers). */
export const bridgeTrackSchema = z.discriminatedUnion('codec', [
  z.object({ kind: z.literal('video'), codec: z.literal('h264'), clockRate: z.literal(90000), fmtp: z.string().max(MAX_FMTP_LENGTH) }),
  z.object({ kind: z.literal('audio'), codec: z.literal('opus'), clockRate: z.literal(48000), channels: z.literal(2) }),
  z.object({ kind: z.literal('audio'), codec: z.literal('pcma'), clockRate: z.literal(8000), channels: z.literal(1) }),
  z.object({ kind: z.literal('audio'), codec: z.literal('pcmu'), clockRate: z.literal(8000), channels: z.literal(1) }),
]);
export type BridgeTrack = z.infer<typeof bridgeTrackSchema>;

export const bridgeOpenParamsSchema = z.object({ path: streamPathSchema, tracks: z.array(bridgeTrackSchema).min(1).max(MAX_BRIDGE_TRACKS) });
export type BridgeOpenParams = z.infer<typeof bridgeOpenParamsSchema>;

/** Where the SFU's PlainTransport listens, and the SSRC/PT of each track (same order as the params). */
export const bridgeOpenResultSchema = z.object({
  host: z.string().max(64),
  port: z.number().int().min(1).max(65535),
  tracks: z.array(z.object({ kind: z.enum(['video', 'audio']), payloadType: payloadTypeSchema, ssrc: ssrcSchema })).min(1).max(MAX_BRIDGE_TRACKS),
});
export type BridgeOpenResult = z.infer<typeof bridgeOpenResultSchema>;

/** What the registry shows of a stream's WebRTC bridge (`GET /api/v1/streams` → `webrtc`). */
export const webrtcStatusSchema = z.object({
  bridged: z.boolean(),
  /** The video is re-encoded for WebRTC viewers (B-frames found and `bridge.bframes: transcode`). */
  videoTranscoded: z.boolean(),
  reason: z.string().max(200).optional(),
});
export type WebrtcStatus = z.infer<typeof webrtcStatusSchema>;

/** Requests a gateway sends, by method: params schema and result schema. */
export const gatewayRequests = {
  authorizePublish: { params: authorizeParams, result: authorizeResultSchema },
  authorizePlay: { params: authorizeParams, result: authorizeResultSchema },
  /**
   * Where a stream this worker does not carry lives: the owning worker's relay URL (an
   * HTTP-FLV URL on loopback), or null when the path is not live on another worker.
   */
  locateStream: { params: z.object({ path: streamPathSchema }), result: z.object({ url: z.string().max(1024).nullable() }) },
  /**
   * The SFU should carry this stream to WebRTC viewers: the server opens a PlainTransport
   * (comedia) with one producer per track and answers with its port and the SSRC/PT to send.
   * A second `bridgeOpen` for a live path replaces the first.
   */
  bridgeOpen: { params: bridgeOpenParamsSchema, result: bridgeOpenResultSchema },
} as const;
export type GatewayRequestMethod = keyof typeof gatewayRequests;
export type RequestParams<M extends GatewayRequestMethod> = z.infer<(typeof gatewayRequests)[M]['params']>;
export type RequestResult<M extends GatewayRequestMethod> = z.infer<(typeof gatewayRequests)[M]['result']>;

const readersSchema = z.partialRecord(protocolSchema, z.number().int().nonnegative());
export type ReaderCounts = z.infer<typeof readersSchema>;

/** What a pulled source is doing (`GET /api/v1/streams` → `source.state`). */
export const pullStateSchema = z.enum(['connecting', 'running', 'reconnecting', 'failed', 'unauthorized']);
export type PullState = z.infer<typeof pullStateSchema>;

/** Longest source URL a pull takes (credentials included). */
export const MAX_SOURCE_URL_LENGTH = 2048;

/** A source the worker pulls into the hub (issue 7: `streams:` in the config, `POST /api/v1/streams`). */
export const pullParamsSchema = z.object({
  path: streamPathSchema,
  source: z.string().max(MAX_SOURCE_URL_LENGTH).regex(/^rtsps?:\/\//i, 'an rtsp:// or rtsps:// URL'),
  /** `tcp` (interleaved), `udp`, or `auto` (UDP, then TCP when no RTP arrives in 3 s). */
  transport: z.enum(['tcp', 'udp', 'auto']).default('auto'),
  /** Pull only while someone watches (not built yet: the source is pulled all the time). */
  onDemand: z.boolean().default(false),
  /** rtsps://: check the camera's certificate. */
  tlsVerify: z.boolean().default(true),
});
export type PullParams = z.infer<typeof pullParamsSchema>;

/** Notifications a gateway sends. */
export const gatewayNotifications = {
  /**
   * The worker's channel is up: the server answers with `config`. (A message sent before the
   * child attached its listener would be lost, so the server never sends first.)
   */
  hello: z.object({ pid: z.number().int() }),
  /** The worker is listening (ports actually bound). */
  ready: z.object({
    pid: z.number().int(),
    rtmpPort: z.number().int().nullable(),
    flvPort: z.number().int().nullable(),
    /** Loopback port other workers pull this worker's streams from (relay). */
    relayPort: z.number().int().nullable(),
  }),
  streamPublished: z.object({
    path: streamPathSchema,
    origin: originSchema,
    tracks: z.array(trackSummarySchema).max(8),
    remoteAddress: z.string().max(64),
    startedAt: z.number(),
  }),
  /** The track set or parameters changed (sequence headers arrived after the publish). */
  streamTracks: z.object({ path: streamPathSchema, tracks: z.array(trackSummarySchema).max(8) }),
  streamUnpublished: z.object({ path: streamPathSchema, reason: z.string().max(200) }),
  /** Periodic per-stream figures over the last interval. */
  streamStats: z.object({
    streams: z
      .array(
        z.object({
          path: streamPathSchema,
          /** Ingest bitrate over the last interval, bits per second. */
          bitrate: z.number().nonnegative(),
          readers: readersSchema,
          /** Frames dropped by slow readers since the stream started. */
          drops: z.number().int().nonnegative(),
        }),
      )
      .max(MAX_STATS_STREAMS),
  }),
  /** The gateway stopped sending a bridged stream (unpublish, error): the server closes its Router. */
  bridgeClosed: z.object({ path: streamPathSchema, reason: z.string().max(200) }),
  /** A pulled source changed state (`pullStart`): connecting, running, reconnecting with the last error, … */
  pullStatus: z.object({ path: streamPathSchema, state: pullStateSchema, error: z.string().max(200).optional() }),
  /** The bridge state of a stream changed (opened, video transcoded or passed through, failed). */
  bridgeStatus: z.object({ path: streamPathSchema, webrtc: webrtcStatusSchema }),
} as const;
export type GatewayNotificationMethod = keyof typeof gatewayNotifications;
export type GatewayNotification<M extends GatewayNotificationMethod> = z.infer<(typeof gatewayNotifications)[M]>;

/** The `bridge` section of the config, as a worker gets it. */
export const bridgeConfigSchema = z.object({
  /** Bridge RTMP/RTSP streams to the SFU (WebRTC viewers). */
  enabled: z.boolean().default(true),
  /** H.264 with B-frames: re-encode for WebRTC viewers (baseline, same GOP), or pass through. */
  bframes: z.enum(['transcode', 'passthrough']).default('transcode'),
  /** VP8 from rooms/WHIP is re-encoded to H.264 for HLS/FLV/RTMP readers. */
  transcodeVp8: z.boolean().default(true),
  /**
   * `on-demand`: a stream is bridged (and its AAC→Opus child runs) only while the server asks
   * (`bridgeStart` … `bridgeStop`, while it has WebRTC viewers); `always`: every stream at once.
   */
  mode: z.enum(['on-demand', 'always']).default('on-demand'),
  /** Opus bitrate of the AAC→Opus child, bits per second (RFC 7587 §3.1.1: 6–510 kb/s). */
  opusBitrate: z.number().int().min(6_000).max(510_000).default(96_000),
});
export type BridgeConfig = z.infer<typeof bridgeConfigSchema>;

const listenerSchema = z.object({ enabled: z.boolean(), host: z.string(), port: z.number().int().min(1).max(65535) });

/** The part of the server config a worker runs with. */
export const workerConfigSchema = z.object({
  workerId: z.number().int().nonnegative(),
  logLevel: z.string(),
  rtmp: listenerSchema,
  flv: listenerSchema,
  /** RTSP push/play listener (gateway/rtsp); absent: off. */
  rtsp: listenerSchema.optional(),
  /** Passed through for the HLS packager (gateway/hls), which validates its own fields. */
  hls: z.record(z.string(), z.unknown()),
  /** Interval of `streamStats` notifications, ms. */
  statsIntervalMs: z.number().int().min(100).max(60_000),
  /** Secret other workers present to this worker's relay listener (random per server start). */
  relayToken: z.string().min(16).max(128),
  /** The SFU bridge (gateway/bridge); absent: the defaults of `bridgeConfigSchema`. */
  bridge: bridgeConfigSchema.optional(),
});
export type WorkerConfig = z.infer<typeof workerConfigSchema>;


/** A track the SFU sends to the gateway (room participant or WHIP publisher → hub stream). */
export const ingestTrackSchema = z.object({
  kind: z.enum(['video', 'audio']),
  codec: z.enum(['h264', 'vp8', 'opus']),
  payloadType: payloadTypeSchema,
  clockRate: z.number().int().min(1000).max(200_000),
  channels: z.number().int().min(1).max(8).optional(),
  ssrc: ssrcSchema,
  fmtp: z.string().max(MAX_FMTP_LENGTH).optional(),
});
export type IngestTrack = z.infer<typeof ingestTrackSchema>;

export const ingestOpenParamsSchema = z.object({
  path: streamPathSchema,
  origin: z.enum(['room', 'whip']),
  tracks: z.array(ingestTrackSchema).min(1).max(MAX_BRIDGE_TRACKS),
});
export type IngestOpenParams = z.infer<typeof ingestOpenParamsSchema>;

/** Requests the server sends to a worker, by method. */
export const serverRequests = {
  /**
   * Publish an SFU producer set in the worker's hub: the worker binds a UDP port on 127.0.0.1
   * (RTP and RTCP muxed) and answers with it; the server's PlainTransport sends there.
   */
  ingestOpen: { params: ingestOpenParamsSchema, result: z.object({ port: z.number().int().min(1).max(65535) }) },
  /**
   * Bridge a stream of this worker now (`bridge.mode: on-demand`, a WebRTC viewer arrived):
   * answered once the worker's own `bridgeOpen` was answered, so the SFU's producers exist.
   * A path already bridged answers at once; a path not live here fails with code `not_found`.
   */
  bridgeStart: { params: z.object({ path: streamPathSchema }), result: z.object({ path: streamPathSchema }) },
} as const;
export type ServerRequestMethod = keyof typeof serverRequests;
export type ServerRequestParams<M extends ServerRequestMethod> = z.infer<(typeof serverRequests)[M]['params']>;
export type ServerRequestResult<M extends ServerRequestMethod> = z.infer<(typeof serverRequests)[M]['result']>;
export type AnyServerRequest = { [M in ServerRequestMethod]: { method: M; params: ServerRequestParams<M> } }[ServerRequestMethod];

/** Notifications the server sends. */
export const serverNotifications = {
  config: workerConfigSchema,
  /** Close the publisher of a stream (takeover on another worker, API kick). */
  kickStream: z.object({ path: streamPathSchema, reason: z.string().max(200) }),
  /** Stop an ingest opened with `ingestOpen`: the worker unpublishes the stream and frees the port. */
  ingestClose: z.object({ path: streamPathSchema, reason: z.string().max(200) }),
  /** Pull a source into this worker's hub (a second one for the same path replaces the first). */
  pullStart: pullParamsSchema,
  /** Stop pulling a source; its stream is unpublished. */
  pullStop: z.object({ path: streamPathSchema, reason: z.string().max(200) }),
  /** Stop bridging a stream started with `bridgeStart` (its last WebRTC viewer left); the worker answers with `bridgeClosed`. */
  bridgeStop: z.object({ path: streamPathSchema, reason: z.string().max(200) }),
} as const;
export type ServerNotificationMethod = keyof typeof serverNotifications;
export type ServerNotification<M extends ServerNotificationMethod> = z.infer<(typeof serverNotifications)[M]>;

/** Error codes a response may carry when the handler failed (not a denial: that is a result). */
export const responseErrorSchema = z.object({ code: z.string().max(64), message: z.string().max(500) });

/** The three envelopes. `params`/`result` are checked against the method's schema afterwards. */
export const envelopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('request'), id: z.number().int().nonnegative(), method: z.string().max(64), params: z.unknown() }),
  z.object({ kind: z.literal('response'), id: z.number().int().nonnegative(), result: z.unknown().optional(), error: responseErrorSchema.optional() }),
  z.object({ kind: z.literal('notify'), method: z.string().max(64), params: z.unknown() }),
]);
export type Envelope = z.infer<typeof envelopeSchema>;

/** Result of checking a received message: the typed envelope, or why it was dropped. */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Parses any received value as an envelope. */
export function checkEnvelope(raw: unknown): Checked<Envelope> {
  const r = envelopeSchema.safeParse(raw);
  return r.success ? { ok: true, value: r.data } : { ok: false, reason: r.error.issues[0]?.message ?? 'invalid envelope' };
}

function hasKey<T extends object>(table: T, key: string): key is Extract<keyof T, string> {
  return Object.prototype.hasOwnProperty.call(table, key);
}

/** A gateway notification checked against its method's schema. */
export type AnyGatewayNotification = { [M in GatewayNotificationMethod]: { method: M; params: GatewayNotification<M> } }[GatewayNotificationMethod];
export type AnyServerNotification = { [M in ServerNotificationMethod]: { method: M; params: ServerNotification<M> } }[ServerNotificationMethod];
export type AnyGatewayRequest = { [M in GatewayRequestMethod]: { method: M; params: RequestParams<M> } }[GatewayRequestMethod];

export function checkGatewayNotification(method: string, params: unknown): Checked<AnyGatewayNotification> {
  if (!hasKey(gatewayNotifications, method)) return { ok: false, reason: `unknown notification ${method}` };
  const r = gatewayNotifications[method].safeParse(params);
  if (!r.success) return { ok: false, reason: `${method}: ${r.error.issues[0]?.message ?? 'invalid'}` };
  return { ok: true, value: { method, params: r.data } as AnyGatewayNotification };
}

export function checkServerNotification(method: string, params: unknown): Checked<AnyServerNotification> {
  if (!hasKey(serverNotifications, method)) return { ok: false, reason: `unknown notification ${method}` };
  const r = serverNotifications[method].safeParse(params);
  if (!r.success) return { ok: false, reason: `${method}: ${r.error.issues[0]?.message ?? 'invalid'}` };
  return { ok: true, value: { method, params: r.data } as AnyServerNotification };
}

export function checkGatewayRequest(method: string, params: unknown): Checked<AnyGatewayRequest> {
  if (!hasKey(gatewayRequests, method)) return { ok: false, reason: `unknown request ${method}` };
  const r = gatewayRequests[method].params.safeParse(params);
  if (!r.success) return { ok: false, reason: `${method}: ${r.error.issues[0]?.message ?? 'invalid'}` };
  return { ok: true, value: { method, params: r.data } as AnyGatewayRequest };
}

export function checkRequestResult<M extends GatewayRequestMethod>(method: M, result: unknown): Checked<RequestResult<M>> {
  const r = gatewayRequests[method].result.safeParse(result);
  return r.success ? { ok: true, value: r.data as RequestResult<M> } : { ok: false, reason: `${method} result: ${r.error.issues[0]?.message ?? 'invalid'}` };
}

export function checkServerRequest(method: string, params: unknown): Checked<AnyServerRequest> {
  if (!hasKey(serverRequests, method)) return { ok: false, reason: `unknown request ${method}` };
  const r = serverRequests[method].params.safeParse(params);
  if (!r.success) return { ok: false, reason: `${method}: ${r.error.issues[0]?.message ?? 'invalid'}` };
  return { ok: true, value: { method, params: r.data } as AnyServerRequest };
}

export function checkServerRequestResult<M extends ServerRequestMethod>(method: M, result: unknown): Checked<ServerRequestResult<M>> {
  const r = serverRequests[method].result.safeParse(result);
  return r.success ? { ok: true, value: r.data as ServerRequestResult<M> } : { ok: false, reason: `${method} result: ${r.error.issues[0]?.message ?? 'invalid'}` };
}
