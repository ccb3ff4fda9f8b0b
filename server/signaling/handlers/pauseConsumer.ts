import type { ParsedRequest, ResponseData } from '../../../protocol/signaling/schemas.js';
import type { PeerContext } from '../context.js';

/** `pauseConsumer`: the client stops receiving this consumer for now (hidden tile). */
export async function pauseConsumer(ctx: PeerContext, req: ParsedRequest<'pauseConsumer'>): Promise<ResponseData['pauseConsumer']> {
  await ctx.peer.getConsumer(req.consumerId).pause();
  return {};
}
