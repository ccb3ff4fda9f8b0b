import type { ParsedRequest, ResponseData } from '../../../protocol/signaling/schemas.js';
import type { PeerContext } from '../context.js';

/** `closeProducer`: the client stops sending this track; consumers close and the others are told. */
export async function closeProducer(ctx: PeerContext, req: ParsedRequest<'closeProducer'>): Promise<ResponseData['closeProducer']> {
  ctx.peer.closeProducer(req.producerId);
  return {};
}
