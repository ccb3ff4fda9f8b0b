import { bridgeModule } from './bridge/bridge-module.js';
import { FlvServer } from './flv/flv-server.js';
import { hlsModule } from './hls/hls-module.js';
import { ingestRtpModule } from './ingest-rtp/ingest-module.js';
import type { GatewayModuleFactory } from './module.js';
import { RtmpServer } from './rtmp/rtmp-server.js';
import { RtspServer } from './rtsp/rtsp-server.js';
import { pullModule } from './rtsp/pull-module.js';
import { localSource } from './relay/stream-finder.js';
import type { Authorize } from './authorize.js';

/** RTMP publish and play (`rtmp.port`). */
export const rtmpModule: GatewayModuleFactory = async ({ config, hub, source, authorize }) => {
  if (!config.rtmp.enabled) return null;
  const server = new RtmpServer(hub, source, authorize);
  const port = await server.listen(config.rtmp.port, config.rtmp.host);
  return { name: 'rtmp', port, close: () => server.close() };
};

/** RTSP push (ANNOUNCE/RECORD) and play (DESCRIBE/SETUP/PLAY) (`rtsp.port`). */
export const rtspModule: GatewayModuleFactory = async ({ config, hub, source, authorize }) => {
  if (!config.rtsp?.enabled) return null;
  const server = new RtspServer({ hub, source, authorize, udpHost: config.rtsp.host });
  const port = await server.listen(config.rtsp.port, config.rtsp.host);
  return { name: 'rtsp', port, close: () => server.close() };
};

/** HTTP-FLV and WS-FLV egress (`flv.port`). */
export const flvModule: GatewayModuleFactory = async ({ config, source, authorize }) => {
  if (!config.flv.enabled) return null;
  const server = new FlvServer(source, authorize);
  const port = await server.listen(config.flv.port, config.flv.host);
  return { name: 'flv', port, close: () => server.close() };
};

/**
 * The relay listener: this worker's streams as HTTP-FLV on a loopback port of its own, for
 * the other workers' relays (see relay/flv-relay.ts). Only requests carrying the per-start
 * relay token (`?relay=`) are served; viewers use the public FLV port.
 */
export const relayModule: GatewayModuleFactory = async ({ config, hub }) => {
  const allow = { allow: true as const, takeover: false };
  const deny = { allow: false as const, code: 'unauthorized' as const, reason: 'relay token required' };
  const tokenOnly: Authorize = {
    publish: async () => deny,
    play: async (p) => (new URLSearchParams(p.query).get('relay') === config.relayToken ? allow : deny),
  };
  const server = new FlvServer(localSource(hub), tokenOnly);
  const port = await server.listen(0, '127.0.0.1', true);
  return { name: 'relay', port, close: () => server.close() };
};

/** Ingest modules: protocols that publish into the hub (RTMP, RTSP), and RTP from the SFU. */
export const INGEST_MODULES: readonly GatewayModuleFactory[] = [rtmpModule, rtspModule, pullModule, relayModule, ingestRtpModule];

/**
 * Egress modules: each gets the hub and reads from it (subscribing readers per viewer, or
 * following every stream through `hub.observe`): FLV, the HLS packager, the SFU bridge.
 */
export const EGRESS_MODULES: readonly GatewayModuleFactory[] = [flvModule, hlsModule, bridgeModule];
