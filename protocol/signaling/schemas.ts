import { z } from 'zod';

/**
 * Room signaling over socket.io: request payload schemas, response data types and server
 * notifications, shared by the server handlers and the browser SDK.
 *
 * Negotiation model: each WebRTC transport is one RTCPeerConnection on each side.
 * - send transport: the client adds a track, makes an offer and sends it with `produce`;
 *   the answer comes back in the ack (the server builds it from its own capabilities).
 * - recv transport: `consume` adds a track on the server and returns the server's new offer;
 *   the client answers with `connectTransport`, then `resumeConsumer` when its receiver is
 *   ready. Consumers are created paused (STYLE.md §14).
 * Offers on one transport are serialized: the client SDK queues, the server rejects a second
 * negotiation while one is pending (`invalid_state`).
 */

/** Upper bounds on signaling payloads; an SDP beyond this is not a browser's. */
export const MAX_SDP_LENGTH = 64 * 1024;
export const MAX_DISPLAY_NAME_LENGTH = 64;
export const MAX_ID_LENGTH = 128;
export const MAX_TOKEN_LENGTH = 4096;

export const idSchema = z.string().min(1).max(MAX_ID_LENGTH).regex(/^[A-Za-z0-9_.:-]+$/, 'ids use letters, digits and _ . : -');
export const sdpSchema = z.string().min(10).max(MAX_SDP_LENGTH).startsWith('v=0', 'an SDP starts with v=0');
export const kindSchema = z.enum(['audio', 'video']);
export type MediaKind = z.infer<typeof kindSchema>;
/** What a producer carries, for the page to lay it out. */
export const sourceSchema = z.enum(['mic', 'camera', 'screen', 'screen-audio', 'stream']);
export type ProducerSource = z.infer<typeof sourceSchema>;

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
  createTransport: z.object({ direction: z.enum(['send', 'recv']) }).strict(),
  /** The client's SDP answer to the server's last offer on a recv transport. */
  connectTransport: z.object({ transportId: idSchema, sdp: sdpSchema }).strict(),
  produce: z
    .object({
      transportId: idSchema,
      kind: kindSchema,
      /** The transceiver's mid in the offer. */
      mid: z.string().min(1).max(32),
      /** The client's offer containing the new sender. */
      sdp: sdpSchema,
      source: sourceSchema,
      paused: z.boolean().default(false),
    })
    .strict(),
  consume: z.object({ transportId: idSchema, producerId: idSchema }).strict(),
  resumeConsumer: z.object({ consumerId: idSchema }).strict(),
  pauseConsumer: z.object({ consumerId: idSchema }).strict(),
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

/** Response data per request. */
export interface ResponseData {
  join: { peerId: string; sessionSecret: string; resumed: boolean; peers: PeerInfo[]; iceServers: IceServer[]; canPublish: boolean; canSubscribe: boolean };
  createTransport: { transportId: string; direction: 'send' | 'recv' };
  connectTransport: Record<string, never>;
  produce: { producerId: string; sdp: string };
  consume: { consumerId: string; producerId: string; peerId: string; kind: MediaKind; mid: string; sdp: string; paused: boolean; producerPaused: boolean };
  resumeConsumer: Record<string, never>;
  pauseConsumer: Record<string, never>;
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
