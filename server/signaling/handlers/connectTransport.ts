import type { ParsedRequest, ResponseData } from '../../../protocol/signaling/schemas.js';
import { InvalidStateError } from '../../lib/errors.js';
import type { PeerContext } from '../context.js';

/** `connectTransport`: the client's answer to the server's last offer on a recv transport. */
export async function connectTransport(ctx: PeerContext, req: ParsedRequest<'connectTransport'>): Promise<ResponseData['connectTransport']> {
  const transport = ctx.peer.getTransport(req.transportId);
  if (transport.direction !== 'recv') throw new InvalidStateError('connectTransport answers a recv transport offer; send transports connect through produce');
  await transport.setRemoteAnswer(req.sdp);
  return {};
}
