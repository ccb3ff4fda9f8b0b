import type { ParsedRequest, ResponseData } from '../../../protocol/signaling/schemas.js';
import { ConflictError, InvalidStateError, UnauthorizedError } from '../../lib/errors.js';
import type { PeerContext } from '../context.js';

/** Producers one peer may hold: mic, camera, screen and its audio, with room to spare. */
export const MAX_PRODUCERS_PER_PEER = 8;

/** `produce`: a new sender of the client's (its RTP parameters from mediasoup-client); the other peers are told. */
export async function produce(ctx: PeerContext, req: ParsedRequest<'produce'>): Promise<ResponseData['produce']> {
  const { peer, room } = ctx;
  if (!peer.canPublish) throw new UnauthorizedError('this token does not allow publishing');
  if (peer.producers.size >= MAX_PRODUCERS_PER_PEER) throw new ConflictError(`at most ${MAX_PRODUCERS_PER_PEER} producers per peer`);
  const transport = peer.getTransport(req.transportId);
  if (peer.transportInfoOf(transport.id).direction !== 'send') throw new InvalidStateError('produce needs a send transport');
  const producer = await transport.produce({
    kind: req.kind,
    rtpParameters: req.rtpParameters as never,
    paused: req.paused,
    appData: { peerId: peer.id, source: req.source },
  });
  // The peer or its transport may have gone while the worker created it.
  if (peer.closed || transport.closed || producer.closed) {
    producer.close();
    throw new InvalidStateError('the transport closed during produce');
  }
  peer.addProducer(transport, producer);
  room.announceProducer(peer, producer.id);
  return { producerId: producer.id };
}
