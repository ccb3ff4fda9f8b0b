import type { ParsedRequest, ResponseData } from '../../../protocol/signaling/schemas.js';
import type { PeerContext } from '../context.js';

/** `pauseProducer`: mute; the SFU stops forwarding and the other peers are told. */
export async function pauseProducer(ctx: PeerContext, req: ParsedRequest<'pauseProducer'>): Promise<ResponseData['pauseProducer']> {
  const producer = ctx.peer.getProducer(req.producerId);
  if (producer.paused) return {};
  await producer.pause();
  ctx.room.broadcast('producerPaused', { producerId: producer.id, peerId: ctx.peer.id }, ctx.peer.id);
  return {};
}
