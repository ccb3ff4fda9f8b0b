import type { ParsedRequest, ResponseData } from '../../../protocol/signaling/schemas.js';
import type { PeerContext } from '../context.js';

/** `connectTransport`: the client's DTLS parameters; the transport's DTLS handshake can start. */
export async function connectTransport(ctx: PeerContext, req: ParsedRequest<'connectTransport'>): Promise<ResponseData['connectTransport']> {
  await ctx.peer.getTransport(req.transportId).connect({ dtlsParameters: req.dtlsParameters });
  return {};
}
