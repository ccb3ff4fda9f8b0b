import { availableParallelism } from 'node:os';
import { roomPageRoutes } from '../http/routes/room-page.js';
import { roomsRoutes } from '../http/routes/rooms.js';
import { logger } from '../lib/logger.js';
import type { ServerContext, Subsystem } from '../server.js';
import { Sfu } from '../sfu/index.js';
import { SignalingServer } from '../signaling/SignalingServer.js';
import { RoomManager } from './RoomManager.js';

const log = logger.child({ mod: 'rooms' });

/** The rooms subsystem: what other subsystems may use (the SFU and the rooms, for WHEP/WHIP and the bridge). */
export interface RoomsSubsystem extends Subsystem {
  sfu: Sfu;
  rooms: RoomManager;
}

/** The subsystem mounted on each HTTP server, for code that holds only the EstuaryServer (tests, benches). */
const mountedOn = new WeakMap<object, RoomsSubsystem>();

/** The rooms subsystem mounted on this HTTP server (`EstuaryServer.httpServer`). */
export function roomsOf(httpServer: object): RoomsSubsystem | undefined {
  return mountedOn.get(httpServer);
}

/**
 * Mounts rooms: the SFU (from `config.webrtc`), the RoomManager, socket.io signaling on the
 * HTTP server, the REST API and the room page. Closing the subsystem closes them in reverse.
 */
export async function mountRooms(ctx: ServerContext): Promise<RoomsSubsystem> {
  const { config } = ctx;
  if (config.auth.secret === null) log.warn('auth.secret is not set: rooms and the rooms API are open to anyone who can reach this server');
  const sfu = await Sfu.create({ ...config.webrtc, workers: config.webrtc.workers || availableParallelism() });
  const rooms = new RoomManager({ sfu, maxPeersPerRoom: config.rooms.maxPeersPerRoom, log });
  const signaling = new SignalingServer({
    httpServer: ctx.httpServer,
    services: { rooms, sfu, authSecret: config.auth.secret, iceServers: config.webrtc.iceServers, log: logger.child({ mod: 'signaling' }) },
    reconnectGraceMs: config.rooms.reconnectGraceMs,
  });
  ctx.app.use(roomsRoutes(rooms, config.auth.secret));
  ctx.app.use(roomPageRoutes());
  const subsystem: RoomsSubsystem = {
    name: 'rooms',
    sfu,
    rooms,
    async close() {
      await signaling.close();
      rooms.close();
      sfu.close();
    },
  };
  mountedOn.set(ctx.httpServer, subsystem);
  return subsystem;
}
