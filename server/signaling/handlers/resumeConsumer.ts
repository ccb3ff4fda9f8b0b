import type { ParsedRequest, ResponseData } from '../../../protocol/signaling/schemas.js';
import type { PeerContext } from '../context.js';

/** `resumeConsumer`: the client's receiver is ready; media (and a key frame) starts flowing. */
export async function resumeConsumer(ctx: PeerContext, req: ParsedRequest<'resumeConsumer'>): Promise<ResponseData['resumeConsumer']> {
  await ctx.peer.getConsumer(req.consumerId).resume();
  return {};
}
