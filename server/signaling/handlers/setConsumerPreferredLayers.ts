import type { ParsedRequest, ResponseData } from '../../../protocol/signaling/schemas.js';
import type { PeerContext } from '../context.js';

/**
 * `setConsumerPreferredLayers`: the highest layers the client wants of a simulcast/SVC consumer
 * (what its tile can show). mediasoup sends at most these, and less when the bandwidth it
 * estimates toward the client does not carry them; a single-layer consumer ignores it.
 */
export async function setConsumerPreferredLayers(ctx: PeerContext, req: ParsedRequest<'setConsumerPreferredLayers'>): Promise<ResponseData['setConsumerPreferredLayers']> {
  const consumer = ctx.peer.getConsumer(req.consumerId);
  if (consumer.type === 'simulcast' || consumer.type === 'svc') {
    await consumer.setPreferredLayers({ spatialLayer: req.spatialLayer, ...(req.temporalLayer !== undefined ? { temporalLayer: req.temporalLayer } : {}) });
  }
  return {};
}
