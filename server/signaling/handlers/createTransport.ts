import type { ParsedRequest, ResponseData } from '../../../protocol/signaling/schemas.js';
import { InvalidStateError } from '../../lib/errors.js';
import type { PeerContext } from '../context.js';

/**
 * `createTransport`: a new WebRTC transport for the peer. Send transports go on the room's
 * primary router (where every producer lives); recv transports on the router the RouterGroup
 * picks (another worker once the primary's is full). A peer has at most one per direction:
 * asking for another replaces the old one, closing what was on it.
 */
export async function createTransport(ctx: PeerContext, req: ParsedRequest<'createTransport'>): Promise<ResponseData['createTransport']> {
  const { peer, room, sfu } = ctx;
  const group = await room.getRouters();
  const router = req.direction === 'send' ? group.primary : await group.routerForConsumers();
  const transport = await sfu.createWebRtcTransport(router, { appData: { peerId: peer.id, direction: req.direction } });
  if (peer.closed || router.closed) {
    transport.close();
    throw new InvalidStateError('the peer or its room closed during createTransport');
  }
  for (const [id, old] of [...peer.transports]) if (peer.transportInfoOf(id).direction === req.direction) old.close();
  peer.addTransport(transport, { direction: req.direction, router, ...(req.rtpCapabilities ? { rtpCapabilities: req.rtpCapabilities as never } : {}) });
  return {
    transportId: transport.id,
    direction: req.direction,
    iceParameters: transport.iceParameters,
    iceCandidates: transport.iceCandidates as ResponseData['createTransport']['iceCandidates'],
    dtlsParameters: transport.dtlsParameters,
  };
}
