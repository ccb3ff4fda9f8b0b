import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { bridgeConfigSchema, type IngestOpenParams, type WorkerConfig } from '../../protocol/control/messages.js';
import type { Config } from '../config.js';
import { logger } from '../lib/logger.js';
import { requireAdmin, streamsRouter } from '../http/routes/streams.js';
import type { ServerContext, Subsystem } from '../server.js';
import { Authorizer } from './authorizer.js';
import type { BridgeHandler } from './bridge-hooks.js';
import { WorkerRequestError } from './worker.js';
import { PullManager } from './pulls.js';
import { StreamRegistry } from './registry.js';
import { GatewaySupervisor } from './supervisor.js';

const log = logger.child({ mod: 'gateway' });

/** How often workers report per-stream bitrate, readers and drops. */
export const STATS_INTERVAL_MS = 2_000;

/** The gateway subsystem: what other subsystems may use (the registry, kicks, the WebRTC bridge). */
export interface GatewaySubsystem extends Subsystem {
  registry: StreamRegistry;
  supervisor: GatewaySupervisor | null;
  /**
   * Sets who answers the workers' `bridgeOpen` and hears `bridgeClosed` (also called for each
   * bridged path of a worker that died). Without one, `bridgeOpen` fails and workers retry later.
   */
  setBridgeHandler(handler: BridgeHandler | null): void;
  /** Asks a worker to publish SFU producers as a hub stream; resolves with its RTP port on 127.0.0.1. */
  requestIngest(params: IngestOpenParams): Promise<{ port: number }>;
  /** Ends an ingest opened with `requestIngest`. */
  closeIngest(path: string, reason: string): void;
  /** Asks the worker carrying `path` to bridge it now (`bridge.mode: on-demand`); resolves once its producers exist. */
  startBridge(path: string): Promise<void>;
  /** Tells the worker carrying `path` to stop bridging it. */
  stopBridge(path: string, reason: string): void;
}

/** The gateway subsystem mounted on each HTTP server, for code that holds only the EstuaryServer (tests). */
const mounted = new WeakMap<object, GatewaySubsystem>();

/** The gateway subsystem `mountGateway` mounted on this HTTP server (`EstuaryServer.httpServer`). */
export function gatewayOf(httpServer: object): GatewaySubsystem | undefined {
  return mounted.get(httpServer);
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
    rtsp: config.rtsp,
    hls: { ...config.hls },
    statsIntervalMs: STATS_INTERVAL_MS,
    bridge: bridgeConfigSchema.parse(config.bridge),
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
  const pulls = config.gateway.enabled ? new PullManager({ config: config.streams, stateFile: config.rtsp.stateFile }) : undefined;
  app.use('/api/v1/streams', streamsRouter({ registry, secret: config.auth.secret, kick, ...(pulls ? { pulls } : {}) }));
  if (!config.gateway.enabled) {
    log.info('gateway disabled: no RTMP/FLV listeners');
    const off: GatewaySubsystem = {
      name: 'gateway',
      registry,
      supervisor: null,
      close: () => {},
      setBridgeHandler: () => {},
      requestIngest: () => Promise.reject(new WorkerRequestError('closed', 'gateway disabled')),
      closeIngest: () => {},
      startBridge: () => Promise.reject(new WorkerRequestError('closed', 'gateway disabled')),
      stopBridge: () => {},
    };
    mounted.set(ctx.httpServer, off);
    return off;
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
    ...(pulls ? { pulls } : {}),
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
  pulls?.attach({
    count: config.gateway.workers,
    start: (worker, params) => sup.notifyWorker(worker, 'pullStart', params),
    stop: (worker, path, reason) => sup.notifyWorker(worker, 'pullStop', { path, reason }),
  });
  const subsystem: GatewaySubsystem = {
    name: 'gateway',
    registry,
    supervisor: sup,
    close: () => sup.close(),
    setBridgeHandler: (handler) => sup.bridge.setHandler(handler),
    requestIngest: (params) => sup.requestIngest(params),
    closeIngest: (path, reason) => sup.closeIngest(path, reason),
    startBridge: (path) => sup.startBridge(path),
    stopBridge: (path, reason) => sup.stopBridge(path, reason),
  };
  mounted.set(ctx.httpServer, subsystem);
  return subsystem;
}
