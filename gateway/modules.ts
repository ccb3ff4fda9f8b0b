import { FlvServer } from './flv/flv-server.js';
import { hlsModule } from './hls/hls-module.js';
import type { GatewayModuleFactory } from './module.js';
import { RtmpServer } from './rtmp/rtmp-server.js';

/** RTMP publish and play (`rtmp.port`). */
export const rtmpModule: GatewayModuleFactory = async ({ config, hub, authorize }) => {
  if (!config.rtmp.enabled) return null;
  const server = new RtmpServer(hub, authorize);
  const port = await server.listen(config.rtmp.port, config.rtmp.host);
  return { name: 'rtmp', port, close: () => server.close() };
};

/** HTTP-FLV and WS-FLV egress (`flv.port`). */
export const flvModule: GatewayModuleFactory = async ({ config, hub, authorize }) => {
  if (!config.flv.enabled) return null;
  const server = new FlvServer(hub, authorize);
  const port = await server.listen(config.flv.port, config.flv.host);
  return { name: 'flv', port, close: () => server.close() };
};

/** Ingest modules: protocols that publish into the hub (RTSP joins here). */
export const INGEST_MODULES: readonly GatewayModuleFactory[] = [rtmpModule];

/**
 * Egress modules: each gets the hub and reads from it (subscribing readers per viewer, or
 * following every stream through `hub.observe`). The HLS packager (gateway/hls) is added here.
 */
export const EGRESS_MODULES: readonly GatewayModuleFactory[] = [flvModule, hlsModule];
