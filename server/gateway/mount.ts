import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import type { WorkerConfig } from '../../protocol/control/messages.js';
import type { Config } from '../config.js';
import { logger } from '../lib/logger.js';
import { requireAdmin, streamsRouter } from '../http/routes/streams.js';
import type { ServerContext, Subsystem } from '../server.js';
import { Authorizer } from './authorizer.js';
import { StreamRegistry } from './registry.js';
import { GatewaySupervisor } from './supervisor.js';

const log = logger.child({ mod: 'gateway' });

/** How often workers report per-stream bitrate, readers and drops. */
export const STATS_INTERVAL_MS = 2_000;

/** The gateway subsystem: what other subsystems may use (the registry, kicks). */
export interface GatewaySubsystem extends Subsystem {
  registry: StreamRegistry;
  supervisor: GatewaySupervisor | null;
}

/** The config a worker runs with, from the server config. */
export function workerConfig(config: Config, workerId: number, relayToken: string): WorkerConfig {
  return {
    relayToken,
    workerId,
    // The server's effective level (config, or ESTUARY_LOG_LEVEL / test default applied at start).
    logLevel: logger.level,
    rtmp: config.rtmp,
    flv: config.flv,
    hls: { ...config.hls },
    statsIntervalMs: STATS_INTERVAL_MS,
  };
}

/**
 * Mounts the gateway: stream registry, the streams API, and (when `gateway.enabled`) the
 * supervised worker processes, started before this resolves.
 */
export async function mountGateway(ctx: ServerContext): Promise<GatewaySubsystem> {
  const { config, app } = ctx;
  const registry = new StreamRegistry();
  let supervisor: GatewaySupervisor | null = null;
  const kick = (path: string, reason: string): boolean => supervisor?.kickStream(path, reason) ?? false;
  app.use('/api/v1/streams', streamsRouter({ registry, secret: config.auth.secret, kick }));
  if (!config.gateway.enabled) {
    log.info('gateway disabled: no RTMP/FLV listeners');
    return { name: 'gateway', registry, supervisor: null, close: () => {} };
  }

  // Workers share the RTMP/FLV ports (cluster, the kernel spreads connections); a viewer that
  // lands on a worker without its stream is served through a relay from the one that has it.
  const relayToken = randomBytes(24).toString('base64url');
  const sup = new GatewaySupervisor({
    workers: config.gateway.workers,
    makeConfig: (id) => workerConfig(config, id, relayToken),
    registry,
    authorizer: new Authorizer(config, registry),
    relayToken,
  });
  supervisor = sup;
  const stats = Router();
  if (config.auth.secret !== null) stats.use(requireAdmin(config.auth.secret));
  stats.get('/', (_req, res) => {
    res.json({ workers: sup.stats() });
  });
  app.use('/api/v1/gateway/workers', stats);
  try {
    await sup.start();
  } catch (err) {
    await sup.close();
    throw err;
  }
  return { name: 'gateway', registry, supervisor: sup, close: () => sup.close() };
}
