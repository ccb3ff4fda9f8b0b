import { z } from 'zod';

/**
 * Room signaling over socket.io: request payload schemas, response data types and server
 * notifications, shared by the server handlers and the browser SDK.
 *
 * Negotiation model (mediasoup's): the server never negotiates SDP for rooms. `join` answers
 * with the router's RTP capabilities; the client loads its mediasoup-client Device with them and
 * builds its own SDP. `createTransport` returns ICE and DTLS parameters; the client's DTLS
 * parameters come back in `connectTransport`; `produce` carries the sender's RTP parameters;
 * `consume` returns a consumer's RTP parameters for the client's receive capabilities (sent with
 * the recv `createTransport`). Consumers are created paused and resumed once the client's
 * receiver is ready (STYLE.md §14).
 */

/** Upper bounds on signaling payloads. */
export const MAX_DISPLAY_NAME_LENGTH = 64;
export const MAX_ID_LENGTH = 128;
export const MAX_TOKEN_LENGTH = 4096;
/** Codecs in a capability set: a browser lists ~30 with RTX; room to spare. */
export const MAX_CODECS = 64;
/** Header extensions in a capability set or parameters (RFC 8285 one-byte ids: 14). */
export const MAX_HEADER_EXTENSIONS = 32;
/** Encodings of one producer: simulcast layers (3 in practice) or SVC. */
export const MAX_ENCODINGS = 8;
/** Fingerprints in DTLS parameters: one per hash algorithm. */
export const MAX_FINGERPRINTS = 8;
/** Codec parameters per codec and RTCP feedback entries per codec. */
const MAX_CODEC_PARAMETERS = 32;
const MAX_RTCP_FEEDBACK = 16;

export const idSchema = z.string().min(1).max(MAX_ID_LENGTH).regex(/^[A-Za-z0-9_.:-]+$/, 'ids use letters, digits and _ . : -');
export const kindSchema = z.enum(['audio', 'video']);
export type MediaKind = z.infer<typeof kindSchema>;
/** What a producer carries, for the page to lay it out. */
export const sourceSchema = z.enum(['mic', 'camera', 'screen', 'screen-audio', 'stream']);
export type ProducerSource = z.infer<typeof sourceSchema>;

const shortString = z.string().max(256);
const parametersSchema = z
  .record(z.string().max(64), z.union([z.string().max(1024), z.number(), z.boolean()]))
  .refine((r) => Object.keys(r).length <= MAX_CODEC_PARAMETERS, `at most ${MAX_CODEC_PARAMETERS} parameters`);
const rtcpFeedbackSchema = z.array(z.object({ type: shortString, parameter: shortString.optional() }).strict()).max(MAX_RTCP_FEEDBACK);

/** mediasoup `RtpParameters` (a producer's, from mediasoup-client): shape and sizes checked here, semantics by mediasoup. */
export const rtpParametersSchema = z
  .object({
    mid: shortString.optional(),
    codecs: z
      .array(
        z.looseObject({
          mimeType: shortString,
          payloadType: z.number().int().min(0).max(127),
          clockRate: z.number().int().positive(),
          channels: z.number().int().positive().max(255).optional(),
          parameters: parametersSchema.optional(),
          rtcpFeedback: rtcpFeedbackSchema.optional(),
        }),
      )
      .min(1)
      .max(MAX_CODECS),
    headerExtensions: z
      .array(z.looseObject({ uri: shortString, id: z.number().int().min(1).max(255), encrypt: z.boolean().optional(), parameters: parametersSchema.optional() }))
      .max(MAX_HEADER_EXTENSIONS)
      .optional(),
    encodings: z
      .array(
        z.looseObject({
          ssrc: z.number().int().min(0).max(0xffff_ffff).optional(),
          rid: shortString.optional(),
          codecPayloadType: z.number().int().optional(),
          rtx: z.object({ ssrc: z.number().int().min(0).max(0xffff_ffff) }).strict().optional(),
          dtx: z.boolean().optional(),
          scalabilityMode: shortString.optional(),
          scaleResolutionDownBy: z.number().optional(),
          maxBitrate: z.number().optional(),
        }),
      )
      .min(1)
      .max(MAX_ENCODINGS),
    rtcp: z.looseObject({ cname: shortString.optional(), reducedSize: z.boolean().optional(), mux: z.boolean().optional() }).optional(),
  })
  .strict();

/** mediasoup `RtpCapabilities` (a client Device's receive capabilities). */
export const rtpCapabilitiesSchema = z
  .object({
    codecs: z
      .array(
        z.looseObject({
          kind: kindSchema,
          mimeType: shortString,
          preferredPayloadType: z.number().int().min(0).max(127).optional(),
          clockRate: z.number().int().positive(),
          channels: z.number().int().positive().max(255).optional(),
          parameters: parametersSchema.optional(),
          rtcpFeedback: rtcpFeedbackSchema.optional(),
        }),
      )
      .max(MAX_CODECS)
      .optional(),
    headerExtensions: z
      .array(z.looseObject({ kind: kindSchema, uri: shortString, preferredId: z.number().int().min(1).max(255), preferredEncrypt: z.boolean().optional(), direction: shortString.optional() }))
      .max(MAX_HEADER_EXTENSIONS * 2)
      .optional(),
  })
  .strict();

/** mediasoup `DtlsParameters` from the client. */
export const dtlsParametersSchema = z
  .object({
    role: z.enum(['auto', 'client', 'server']).optional(),
    fingerprints: z
      .array(z.object({ algorithm: z.enum(['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512']), value: z.string().max(256) }).strict())
      .min(1)
      .max(MAX_FINGERPRINTS),
  })
  .strict();

export const requestSchemas = {
  join: z
    .object({
      roomId: idSchema,
      displayName: z.string().trim().min(1).max(MAX_DISPLAY_NAME_LENGTH),
      /** JWT (HS256) when the server has auth configured. */
      token: z.string().max(MAX_TOKEN_LENGTH).optional(),
      /** Resume a session after a reconnect: the peerId and secret from the first join. */
      resume: z.object({ peerId: idSchema, sessionSecret: z.string().min(16).max(128) }).strict().optional(),
    })
    .strict(),
  /** A send transport, or a recv transport with the client's receive capabilities (what `consume` needs). */
  createTransport: z
    .object({ direction: z.enum(['send', 'recv']), rtpCapabilities: rtpCapabilitiesSchema.optional() })
    .strict()
    .refine((r) => r.direction === 'send' || r.rtpCapabilities !== undefined, 'a recv transport needs rtpCapabilities'),
  /** The client's DTLS parameters: the transport connects. */
  connectTransport: z.object({ transportId: idSchema, dtlsParameters: dtlsParametersSchema }).strict(),
  /** New ICE credentials after a network change (the client restarts ICE with them). */
  restartIce: z.object({ transportId: idSchema }).strict(),
  produce: z
    .object({
      transportId: idSchema,
      kind: kindSchema,
      rtpParameters: rtpParametersSchema,
      source: sourceSchema,
      paused: z.boolean().default(false),
    })
    .strict(),
  consume: z.object({ transportId: idSchema, producerId: idSchema }).strict(),
  resumeConsumer: z.object({ consumerId: idSchema }).strict(),
  pauseConsumer: z.object({ consumerId: idSchema }).strict(),
  /** The highest simulcast/SVC layers this client wants of a consumer (its tile size); bandwidth may give less. */
  setConsumerPreferredLayers: z
    .object({ consumerId: idSchema, spatialLayer: z.number().int().min(0).max(MAX_ENCODINGS - 1), temporalLayer: z.number().int().min(0).max(3).optional() })
    .strict(),
  pauseProducer: z.object({ producerId: idSchema }).strict(),
  resumeProducer: z.object({ producerId: idSchema }).strict(),
  closeProducer: z.object({ producerId: idSchema }).strict(),
  leave: z.object({}).strict(),
} as const;

export type RequestName = keyof typeof requestSchemas;
export type RequestPayload<N extends RequestName> = z.input<(typeof requestSchemas)[N]>;
export type ParsedRequest<N extends RequestName> = z.output<(typeof requestSchemas)[N]>;

export interface ProducerInfo {
  id: string;
  peerId: string;
  kind: MediaKind;
  source: ProducerSource;
  paused: boolean;
}

export interface PeerInfo {
  id: string;
  displayName: string;
  producers: ProducerInfo[];
}

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** ICE parameters of a server transport (mediasoup `IceParameters`). */
export interface IceParameters {
  usernameFragment: string;
  password: string;
  iceLite?: boolean;
}

/** A server ICE candidate (mediasoup `IceCandidate`). */
export interface IceCandidate {
  foundation: string;
  priority: number;
  address: string;
  ip?: string;
  protocol: 'udp' | 'tcp';
  port: number;
  type: 'host';
  tcpType?: 'passive';
}

export type RtpParametersData = z.infer<typeof rtpParametersSchema>;
export type RtpCapabilitiesData = z.infer<typeof rtpCapabilitiesSchema>;

/** Response data per request. */
export interface ResponseData {
  join: {
    peerId: string;
    sessionSecret: string;
    resumed: boolean;
    peers: PeerInfo[];
    iceServers: IceServer[];
    canPublish: boolean;
    canSubscribe: boolean;
    /** The room router's RTP capabilities: what the client's mediasoup-client Device loads. */
    routerRtpCapabilities: RtpCapabilitiesData;
  };
  createTransport: {
    transportId: string;
    direction: 'send' | 'recv';
    iceParameters: IceParameters;
    iceCandidates: IceCandidate[];
    dtlsParameters: { role?: 'auto' | 'client' | 'server'; fingerprints: { algorithm: string; value: string }[] };
  };
  connectTransport: Record<string, never>;
  restartIce: { iceParameters: IceParameters };
  produce: { producerId: string };
  consume: { consumerId: string; producerId: string; peerId: string; kind: MediaKind; rtpParameters: RtpParametersData; paused: boolean; producerPaused: boolean };
  resumeConsumer: Record<string, never>;
  pauseConsumer: Record<string, never>;
  setConsumerPreferredLayers: Record<string, never>;
  pauseProducer: Record<string, never>;
  resumeProducer: Record<string, never>;
  closeProducer: Record<string, never>;
  leave: Record<string, never>;
}

export type ErrorCode = 'bad_request' | 'invalid_state' | 'unsupported' | 'not_found' | 'unauthorized' | 'conflict' | 'internal';

/** Every request is answered with one of these through the socket.io ack. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: ErrorCode; message: string } };

/** Server → client notifications. */
export interface ServerEvents {
  peerJoined: (p: { peer: PeerInfo }) => void;
  peerLeft: (p: { peerId: string }) => void;
  newProducer: (p: { producer: ProducerInfo }) => void;
  producerClosed: (p: { producerId: string; peerId: string }) => void;
  producerPaused: (p: { producerId: string; peerId: string }) => void;
  producerResumed: (p: { producerId: string; peerId: string }) => void;
  /** The server closed a consumer (its producer closed, or the transport went away). */
  consumerClosed: (p: { consumerId: string }) => void;
  /**
   * The server lost this peer's media (a mediasoup worker died): the client builds new
   * transports, produces again and consumes again, staying in the room.
   */
  mediaReset: (p: { reason: string }) => void;
  /** The room's dominant speaker changed (mediasoup's ActiveSpeakerObserver over the microphones); null: nobody. */
  activeSpeaker: (p: { peerId: string | null }) => void;
  /** The peer was removed (kick through the API, room closed); the client should leave. */
  kicked: (p: { reason: string }) => void;
}

/** Client → server requests: payload and ack callback. */
export type ClientEvents = {
  [N in RequestName]: (payload: RequestPayload<N>, ack: (res: Ack<ResponseData[N]>) => void) => void;
};

/** JWT claims for joining a room (HS256, `auth.secret`). */
export const roomTokenClaimsSchema = z.object({
  room: z.string().min(1),
  /** What the bearer may do; both when absent. */
  permissions: z.array(z.enum(['publish', 'subscribe'])).optional(),
  name: z.string().optional(),
});
export type RoomTokenClaims = z.infer<typeof roomTokenClaimsSchema>;
