import { bridgeConfigSchema } from '../../protocol/control/messages.js';
import { logger } from '../lib/logger.js';
import type { GatewayModuleFactory } from '../module.js';
import { RtpIngest } from './rtp-ingest.js';

const log = logger.child({ mod: 'ingest-rtp' });

/** Most ingests one worker runs (each holds a UDP socket and up to two ffmpeg children). */
export const MAX_INGESTS = 200;

/**
 * Answers the server's `ingestOpen` (an RtpIngest per path; a second one for a live path
 * replaces the first) and `ingestClose`.
 */
export const ingestRtpModule: GatewayModuleFactory = async ({ config, hub, channel }) => {
  const bridge = bridgeConfigSchema.parse(config.bridge ?? {});
  const ingests = new Map<string, RtpIngest>();
  const forget = (ingest: RtpIngest): void => {
    if (ingests.get(ingest.path) === ingest) ingests.delete(ingest.path);
  };
  channel.onRequest(['ingestOpen'], async (req) => {
    switch (req.method) {
      case 'ingestOpen': {
        ingests.get(req.params.path)?.close('replaced by a new ingest');
        if (ingests.size >= MAX_INGESTS) throw Object.assign(new Error(`worker runs ${MAX_INGESTS} ingests already`), { code: 'overloaded' });
        const { ingest, port } = await RtpIngest.open(req.params, hub, bridge, log, forget);
        ingests.set(req.params.path, ingest);
        log.info({ path: req.params.path, origin: req.params.origin, port, tracks: req.params.tracks.map((t) => t.codec) }, 'ingest open');
        return { port };
      }
    }
  });
  channel.onNotification((n) => {
    if (n.method === 'ingestClose') ingests.get(n.params.path)?.close(n.params.reason);
  });
  return {
    name: 'ingest-rtp',
    close: () => {
      for (const i of [...ingests.values()]) i.close('worker stopping');
    },
  };
};
