import type { GatewayModuleFactory } from '../module.js';
import { parseHlsConfig } from './hls-config.js';
import { HlsPackager } from './hls-packager.js';

/** HLS / LL-HLS packaging of every stream into `hls.dir` (served by the server under /hls/). */
export const hlsModule: GatewayModuleFactory = async ({ config, hub }) => {
  const hls = parseHlsConfig(config.hls);
  if (!hls.enabled) return null;
  const packager = new HlsPackager(hls);
  hub.observe(packager);
  return { name: 'hls', close: () => packager.close() };
};
