import type { ParsedRequest, ResponseData } from '../../../protocol/signaling/schemas.js';
import type { PeerContext } from '../context.js';

/** `resumeProducer`: unmute; forwarding resumes and the other peers are told. */
export async function resumeProducer(ctx: PeerContext, req: ParsedRequest<'resumeProducer'>): Promise<ResponseData['resumeProducer']> {
  const producer = ctx.peer.getProducer(req.producerId);
  if (!producer.paused) return {};
  await producer.resume();
  ctx.room.broadcast('producerResumed', { producerId: producer.id, peerId: ctx.peer.id }, ctx.peer.id);
  return {};
}
