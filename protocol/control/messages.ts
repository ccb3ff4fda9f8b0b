import { z } from 'zod';

/**
 * The control channel between the server and its gateway workers (ARCHITECTURE.md
 * "server ↔ gateway"): JSON messages over Node IPC, validated with these schemas on receipt
 * by both sides. Three envelopes: a request (with an id, answered by exactly one response), a
 * response, and a notification (fire and forget).
 *
 * gateway → server requests: `authorizePublish`, `authorizePlay`, `locateStream`.
 * gateway → server notifications: `hello`, `ready`, `streamPublished`, `streamTracks`,
 *   `streamUnpublished`, `streamStats`.
 * server → gateway notifications: `config` (the answer to `hello`), `kickStream`.
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

/** Requests a gateway sends, by method: params schema and result schema. */
export const gatewayRequests = {
  authorizePublish: { params: authorizeParams, result: authorizeResultSchema },
  authorizePlay: { params: authorizeParams, result: authorizeResultSchema },
  /**
   * Where a stream this worker does not carry lives: the owning worker's relay URL (an
   * HTTP-FLV URL on loopback), or null when the path is not live on another worker.
   */
  locateStream: { params: z.object({ path: streamPathSchema }), result: z.object({ url: z.string().max(1024).nullable() }) },
} as const;
export type GatewayRequestMethod = keyof typeof gatewayRequests;
export type RequestParams<M extends GatewayRequestMethod> = z.infer<(typeof gatewayRequests)[M]['params']>;
export type RequestResult<M extends GatewayRequestMethod> = z.infer<(typeof gatewayRequests)[M]['result']>;

const readersSchema = z.partialRecord(protocolSchema, z.number().int().nonnegative());
export type ReaderCounts = z.infer<typeof readersSchema>;

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
} as const;
export type GatewayNotificationMethod = keyof typeof gatewayNotifications;
export type GatewayNotification<M extends GatewayNotificationMethod> = z.infer<(typeof gatewayNotifications)[M]>;

const listenerSchema = z.object({ enabled: z.boolean(), host: z.string(), port: z.number().int().min(1).max(65535) });

/** The part of the server config a worker runs with. */
export const workerConfigSchema = z.object({
  workerId: z.number().int().nonnegative(),
  logLevel: z.string(),
  rtmp: listenerSchema,
  flv: listenerSchema,
  /** Passed through for the HLS packager (gateway/hls), which validates its own fields. */
  hls: z.record(z.string(), z.unknown()),
  /** Interval of `streamStats` notifications, ms. */
  statsIntervalMs: z.number().int().min(100).max(60_000),
  /** Secret other workers present to this worker's relay listener (random per server start). */
  relayToken: z.string().min(16).max(128),
});
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

/** Notifications the server sends. */
export const serverNotifications = {
  config: workerConfigSchema,
  /** Close the publisher of a stream (takeover on another worker, API kick). */
  kickStream: z.object({ path: streamPathSchema, reason: z.string().max(200) }),
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
