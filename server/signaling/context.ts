import type { Logger } from 'pino';
import type { IceServer } from '../../protocol/signaling/schemas.js';
import type { Peer } from '../rooms/Peer.js';
import type { Room } from '../rooms/Room.js';
import type { RoomManager } from '../rooms/RoomManager.js';
import type { SignalingSession } from './SignalingSession.js';
import type { Sfu } from '../sfu/index.js';

/** What every signaling handler may use: the node's rooms and settings. */
export interface SignalingServices {
  rooms: RoomManager;
  sfu: Sfu;
  /** HS256 secret for room tokens; null leaves rooms open. */
  authSecret: string | null;
  iceServers: IceServer[];
  log: Logger;
}

/** A request's context before join: the socket's session. */
export interface RequestContext extends SignalingServices {
  session: SignalingSession;
}

/** A request's context after join: the session's peer and its room. */
export interface PeerContext extends RequestContext {
  peer: Peer;
  room: Room;
}
