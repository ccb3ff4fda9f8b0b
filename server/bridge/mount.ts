import type { GatewaySubsystem } from '../gateway/mount.js';
import { whepRoutes } from '../http/routes/whip-whep/whep.js';
import { whipRoutes } from '../http/routes/whip-whep/whip.js';
import { logger } from '../lib/logger.js';
import type { RoomsSubsystem } from '../rooms/mount.js';
import type { ServerContext, Subsystem } from '../server.js';
import { BridgeManager, type BridgeStarter } from './BridgeManager.js';

const log = logger.child({ mod: 'bridge' });

/** Gateway stream origins a worker bridges to the SFU (the others came from it: room, WHIP). */
const BRIDGEABLE_ORIGINS: ReadonlySet<string> = new Set(['rtmp', 'rtsp-pull', 'rtsp-push']);

/** The WebRTC streams subsystem: the bridge manager, for tests and other subsystems. */
export interface WebrtcStreamsSubsystem extends Subsystem {
  manager: BridgeManager;
}

/** The subsystem mounted on each HTTP server, for code that holds only the EstuaryServer (tests, benches). */
const mountedOn = new WeakMap<object, WebrtcStreamsSubsystem>();

/** The WebRTC streams subsystem mounted on this HTTP server (`EstuaryServer.httpServer`). */
export function webrtcStreamsOf(httpServer: object): WebrtcStreamsSubsystem | undefined {
  return mountedOn.get(httpServer);
}

function isRooms(s: Subsystem): s is RoomsSubsystem {
  return s.name === 'rooms' && 'sfu' in s && 'rooms' in s;
}

function isGateway(s: Subsystem): s is GatewaySubsystem {
  return s.name === 'gateway' && 'setBridgeHandler' in s && 'requestIngest' in s;
}

/**
 * Mounts WebRTC streams on top of the rooms' SFU and the gateway: the bridge manager (answers
 * the workers' `bridgeOpen`, sends WHIP and room streams to the gateway), WHIP and WHEP.
 * Mounted after `rooms` and `gateway`, whose subsystems it finds in `mounted`.
 */
export function mountWebrtcStreams(ctx: ServerContext, mounted: readonly Subsystem[]): WebrtcStreamsSubsystem {
  const { config, app } = ctx;
  const rooms = mounted.find(isRooms);
  if (!rooms) throw new Error('mountWebrtcStreams needs the rooms subsystem mounted first');
  const gateway = mounted.find(isGateway);
  const gatewayOn = gateway !== undefined && gateway.supervisor !== null;
  const onDemand = gatewayOn && config.bridge.enabled && config.bridge.mode === 'on-demand';
  const starter: BridgeStarter | undefined = onDemand
    ? {
        canStart: (path) => BRIDGEABLE_ORIGINS.has(gateway.registry.get(path)?.origin ?? ''),
        start: (path) => gateway.startBridge(path),
        stop: (path, reason) => gateway.stopBridge(path, reason),
      }
    : undefined;
  const manager = new BridgeManager({ sfu: rooms.sfu, gateway: gatewayOn ? gateway : undefined, ...(starter ? { starter } : {}), lingerMs: config.bridge.lingerMs });
  if (gatewayOn) gateway.setBridgeHandler(manager);
  else log.info('gateway disabled: WHIP/room streams reach WebRTC viewers only');
  const common = { manager, secret: config.auth.secret, corsOrigins: config.http.corsOrigins, iceServers: config.webrtc.iceServers };
  const whep = whepRoutes({ ...common, sfu: rooms.sfu });
  const whip = whipRoutes({
    ...common,
    sfu: rooms.sfu,
    conflict: config.publish.conflict,
    gatewayLive: (path) => gateway?.registry.get(path) !== undefined,
    kick: (path, reason) => gateway?.supervisor?.kickStream(path, reason) ?? false,
  });
  app.use(whep.router);
  app.use(whip.router);
  const subsystem: WebrtcStreamsSubsystem = {
    name: 'webrtc-streams',
    manager,
    close() {
      if (gatewayOn) gateway.setBridgeHandler(null);
      whep.sessions.closeAll();
      whip.sessions.closeAll();
      manager.close();
    },
  };
  mountedOn.set(ctx.httpServer, subsystem);
  return subsystem;
}
