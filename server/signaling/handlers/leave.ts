import type { ParsedRequest, ResponseData } from '../../../protocol/signaling/schemas.js';
import type { PeerContext } from '../context.js';

/** `leave`: the peer closes at once; the others get `peerLeft`. The socket may join again. */
export async function leave(ctx: PeerContext, _req: ParsedRequest<'leave'>): Promise<ResponseData['leave']> {
  ctx.peer.close('left');
  return {};
}
