import { randomUUID } from 'node:crypto';
import type { ParsedRequest, ResponseData } from '../../../protocol/signaling/schemas.js';
import { verifyRoomToken, type RoomGrant } from '../../auth/tokens.js';
import { InvalidStateError } from '../../lib/errors.js';
import { Peer } from '../../rooms/Peer.js';
import type { Room } from '../../rooms/Room.js';
import type { RequestContext } from '../context.js';

/**
 * `join`: checks the token (when auth is on), then either resumes the session named in
 * `resume` (same peerId, old transports closed) or adds a new peer to the room.
 * A `resume` that matches nothing is not an error: the client gets a new session
 * (`resumed: false`) and starts over.
 */
export async function join(ctx: RequestContext, req: ParsedRequest<'join'>): Promise<ResponseData['join']> {
  const grant: RoomGrant = ctx.authSecret
    ? await verifyRoomToken(req.token, ctx.authSecret, req.roomId)
    : { room: req.roomId, canPublish: true, canSubscribe: true, name: undefined };
  // Checked again after the await: a second join on this socket may have won meanwhile.
  if (ctx.session.peer) throw new InvalidStateError('already joined');
  const room = ctx.rooms.getOrCreate(req.roomId);
  const previous = req.resume ? room.peers.get(req.resume.peerId) : undefined;
  if (previous && req.resume && previous.matchesSecret(req.resume.sessionSecret)) {
    previous.takeOver(ctx.session);
    ctx.session.bind(previous);
    return joined(ctx, room, previous, true, await routerCapabilities(room));
  }
  const peer = new Peer({
    id: randomUUID(),
    roomId: room.id,
    displayName: grant.name ?? req.displayName,
    canPublish: grant.canPublish,
    canSubscribe: grant.canSubscribe,
    channel: ctx.session,
  });
  try {
    room.addPeer(peer);
  } catch (err) {
    if (room.peers.size === 0) room.close('join failed');
    throw err;
  }
  let capabilities: ResponseData['join']['routerRtpCapabilities'];
  try {
    capabilities = await routerCapabilities(room);
  } catch (err) {
    peer.close('no router');
    throw err;
  }
  ctx.session.bind(peer);
  return joined(ctx, room, peer, false, capabilities);
}

/** The router capabilities the client's Device loads (creating the room's routers on first join). */
async function routerCapabilities(room: Room): Promise<ResponseData['join']['routerRtpCapabilities']> {
  const group = await room.getRouters();
  return group.primary.rtpCapabilities as ResponseData['join']['routerRtpCapabilities'];
}

function joined(ctx: RequestContext, room: Room, peer: Peer, resumed: boolean, routerRtpCapabilities: ResponseData['join']['routerRtpCapabilities']): ResponseData['join'] {
  return {
    peerId: peer.id,
    sessionSecret: peer.secret,
    resumed,
    peers: room.peerInfos(peer.id),
    iceServers: ctx.iceServers,
    canPublish: peer.canPublish,
    canSubscribe: peer.canSubscribe,
    routerRtpCapabilities,
  };
}
