import type { ParsedRequest, ResponseData } from '../../../protocol/signaling/schemas.js';
import { ConflictError, InvalidStateError, NotFoundError, UnauthorizedError } from '../../lib/errors.js';
import type { PeerContext } from '../context.js';

/**
 * `consume`: adds a paused consumer of a producer in the room to the peer's recv transport and
 * returns the server's new offer. The client answers with `connectTransport` and then
 * `resumeConsumer` once its receiver is ready (STYLE.md §14).
 */
export async function consume(ctx: PeerContext, req: ParsedRequest<'consume'>): Promise<ResponseData['consume']> {
  const { peer, room } = ctx;
  if (!peer.canSubscribe) throw new UnauthorizedError('this token does not allow subscribing');
  const transport = peer.getTransport(req.transportId);
  if (transport.direction !== 'recv') throw new InvalidStateError('consume needs a recv transport');
  const producer = room.getRouter().getProducer(req.producerId);
  if (!producer || producer.closed) throw new NotFoundError(`no producer ${req.producerId} in room ${room.id}`);
  for (const existing of peer.consumers.values()) {
    if (existing.producerId === producer.id && !existing.closed) throw new ConflictError(`already consuming producer ${producer.id}`);
  }
  const { consumer, sdpOffer, mid } = await transport.consume({ producer, paused: true, appData: { peerId: peer.id } });
  if (peer.closed || transport.closed || consumer.closed) {
    consumer.close();
    throw new InvalidStateError('the transport or producer closed during consume');
  }
  peer.addConsumer(transport, consumer);
  const producerPeerId = typeof producer.appData.peerId === 'string' ? producer.appData.peerId : '';
  return {
    consumerId: consumer.id,
    producerId: producer.id,
    peerId: producerPeerId,
    kind: consumer.kind,
    mid,
    sdp: sdpOffer,
    paused: consumer.paused,
    producerPaused: consumer.producerPaused,
  };
}
