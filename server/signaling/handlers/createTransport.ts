import type { ParsedRequest, ResponseData } from '../../../protocol/signaling/schemas.js';
import type { PeerContext } from '../context.js';

/**
 * `createTransport`: a new WebRTC transport on the room's router. A peer has at most one per
 * direction: asking for another replaces the old one (a client rebuilding after a network
 * change, since ICE restart is not available), closing what was on it.
 */
export async function createTransport(ctx: PeerContext, req: ParsedRequest<'createTransport'>): Promise<ResponseData['createTransport']> {
  for (const old of [...ctx.peer.transports.values()]) if (old.direction === req.direction) old.close();
  const transport = ctx.room.getRouter().createWebRtcTransport({ direction: req.direction, appData: { peerId: ctx.peer.id } });
  ctx.peer.addTransport(transport);
  return { transportId: transport.id, direction: req.direction };
}
