import { requestSchemas, type ParsedRequest, type RequestName, type ResponseData } from '../../protocol/signaling/schemas.js';
import { InvalidStateError } from '../lib/errors.js';
import type { PeerContext, RequestContext } from './context.js';

/** A validated request: the discriminated union the dispatcher switches over. */
export type SignalingRequest = { [N in RequestName]: { name: N; payload: ParsedRequest<N> } }[RequestName];

type PeerRequestName = Exclude<RequestName, 'join'>;

/** One handler per request; `join` runs before a peer exists, the others on behalf of one. */
export type Handlers = {
  join: (ctx: RequestContext, payload: ParsedRequest<'join'>) => Promise<ResponseData['join']>;
} & {
  [N in PeerRequestName]: (ctx: PeerContext, payload: ParsedRequest<N>) => Promise<ResponseData[N]>;
};

/** Whether an event name is one of the signaling requests. */
export function isRequestName(event: string): event is RequestName {
  return Object.hasOwn(requestSchemas, event);
}

/** Validates a payload against its request's schema; throws the ZodError on bad input. */
export function parseRequest(name: RequestName, payload: unknown): SignalingRequest {
  // The schema for `name` produces ParsedRequest<name>: the pairing is what the union encodes.
  return { name, payload: requestSchemas[name].parse(payload) } as SignalingRequest;
}

function assertNever(request: never): never {
  throw new TypeError(`unhandled request ${(request as { name: string }).name}`);
}

/**
 * Runs a validated request: `join` only without a peer, every other request only with one
 * (`InvalidStateError` otherwise). Exhaustive over the union.
 */
export async function routeRequest(handlers: Handlers, ctx: RequestContext, request: SignalingRequest): Promise<unknown> {
  const peer = ctx.session.peer;
  if (request.name === 'join') {
    if (peer) throw new InvalidStateError('already joined');
    return handlers.join(ctx, request.payload);
  }
  const room = peer ? ctx.rooms.get(peer.roomId) : undefined;
  if (!peer || peer.closed || !room) throw new InvalidStateError(`${request.name} before join`);
  const pctx: PeerContext = { ...ctx, peer, room };
  switch (request.name) {
    case 'createTransport':
      return handlers.createTransport(pctx, request.payload);
    case 'connectTransport':
      return handlers.connectTransport(pctx, request.payload);
    case 'produce':
      return handlers.produce(pctx, request.payload);
    case 'restartIce':
      return handlers.restartIce(pctx, request.payload);
    case 'consume':
      return handlers.consume(pctx, request.payload);
    case 'resumeConsumer':
      return handlers.resumeConsumer(pctx, request.payload);
    case 'pauseConsumer':
      return handlers.pauseConsumer(pctx, request.payload);
    case 'setConsumerPreferredLayers':
      return handlers.setConsumerPreferredLayers(pctx, request.payload);
    case 'pauseProducer':
      return handlers.pauseProducer(pctx, request.payload);
    case 'resumeProducer':
      return handlers.resumeProducer(pctx, request.payload);
    case 'closeProducer':
      return handlers.closeProducer(pctx, request.payload);
    case 'leave':
      return handlers.leave(pctx, request.payload);
    default:
      return assertNever(request);
  }
}
