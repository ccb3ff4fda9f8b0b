import type { ParsedRequest, ResponseData } from '../../../protocol/signaling/schemas.js';
import { ConflictError, InvalidStateError, NotFoundError, UnauthorizedError, UnsupportedError } from '../../lib/errors.js';
import type { PeerContext } from '../context.js';

/**
 * `consume`: a paused consumer of a producer in the room on the peer's recv transport (the
 * producer piped to that transport's router first when it lives on another worker). The client
 * builds its receiver from the returned RTP parameters, then sends `resumeConsumer` once it is
 * ready (STYLE.md §14).
 */
export async function consume(ctx: PeerContext, req: ParsedRequest<'consume'>): Promise<ResponseData['consume']> {
  const { peer, room } = ctx;
  if (!peer.canSubscribe) throw new UnauthorizedError('this token does not allow subscribing');
  const transport = peer.getTransport(req.transportId);
  const info = peer.transportInfoOf(transport.id);
  if (info.direction !== 'recv' || !info.rtpCapabilities) throw new InvalidStateError('consume needs a recv transport');
  const producer = room.findProducer(req.producerId);
  if (!producer || producer.closed) throw new NotFoundError(`no producer ${req.producerId} in room ${room.id}`);
  for (const existing of peer.consumers.values()) {
    if (existing.producerId === producer.id && !existing.closed) throw new ConflictError(`already consuming producer ${producer.id}`);
  }
  const group = await room.getRouters();
  await group.ensureProducer(info.router, producer.id);
  if (!info.router.canConsume({ producerId: producer.id, rtpCapabilities: info.rtpCapabilities })) {
    throw new UnsupportedError(`this client cannot receive producer ${producer.id} (${producer.rtpParameters.codecs[0]?.mimeType ?? 'no codec'})`);
  }
  const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: info.rtpCapabilities, paused: true, appData: { peerId: peer.id } });
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
    rtpParameters: consumer.rtpParameters as ResponseData['consume']['rtpParameters'],
    paused: consumer.paused,
    producerPaused: consumer.producerPaused,
  };
}
