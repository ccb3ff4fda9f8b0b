import type { ParsedRequest, ResponseData } from '../../../protocol/signaling/schemas.js';
import type { PeerContext } from '../context.js';

/** `restartIce`: new ICE credentials for a transport (RFC 8445 §9) after the client's network changed. */
export async function restartIce(ctx: PeerContext, req: ParsedRequest<'restartIce'>): Promise<ResponseData['restartIce']> {
  const iceParameters = await ctx.peer.getTransport(req.transportId).restartIce();
  return { iceParameters };
}
