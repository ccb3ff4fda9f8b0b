import { Router, json } from 'express';
import { requireAdmin } from '../../auth/admin.js';
import { NotFoundError } from '../../lib/errors.js';
import type { Peer } from '../../rooms/Peer.js';
import { producerInfo } from '../../rooms/Peer.js';
import type { Room } from '../../rooms/Room.js';
import type { RoomManager } from '../../rooms/RoomManager.js';

/** The reason a kicked browser is shown. */
const KICK_REASON = 'removed by an administrator';

/**
 * REST API for rooms under `/api/v1`: list rooms, inspect one (peers and their producers with
 * live bitrate), kick a peer. Guarded by an admin token when auth is configured.
 */
export function roomsRoutes(rooms: RoomManager, authSecret: string | null): Router {
  const router = Router();
  router.use('/api/v1/rooms', requireAdmin(authSecret), json());

  router.get('/api/v1/rooms', (_req, res) => {
    res.json({ rooms: [...rooms.rooms.values()].map((room) => ({ id: room.id, peers: room.peers.size, createdAt: room.createdAt.toISOString() })) });
  });

  router.get('/api/v1/rooms/:id', async (req, res) => {
    const room = findRoom(rooms, req.params.id);
    res.json({ id: room.id, createdAt: room.createdAt.toISOString(), peers: await Promise.all([...room.peers.values()].map(peerDetails)) });
  });

  router.delete('/api/v1/rooms/:id/peers/:peerId', (req, res) => {
    const room = findRoom(rooms, req.params.id);
    const peer = room.peers.get(req.params.peerId);
    if (!peer) throw new NotFoundError(`no peer ${req.params.peerId} in room ${room.id}`);
    peer.notify('kicked', { reason: KICK_REASON });
    peer.close('kicked');
    res.status(204).end();
  });

  return router;
}

function findRoom(rooms: RoomManager, id: string): Room {
  const room = rooms.get(id);
  if (!room) throw new NotFoundError(`no room ${id}`);
  return room;
}

async function peerDetails(peer: Peer): Promise<unknown> {
  return {
    id: peer.id,
    displayName: peer.displayName,
    joinedAt: peer.joinedAt.toISOString(),
    connected: peer.connected,
    producers: await Promise.all(
      [...peer.producers.values()].map(async (producer) => {
        const { kind, source, paused } = producerInfo(peer.id, producer);
        // mediasoup's inbound stats: one entry per received stream (simulcast layers, RTX); bits/s.
        const stats = await producer.getStats().catch(() => []);
        const bitrate = stats.reduce((sum, s) => sum + (s.type === 'inbound-rtp' ? s.bitrate : 0), 0);
        return { id: producer.id, kind, source, mimeType: producer.rtpParameters.codecs[0]?.mimeType ?? '', bitrate, paused };
      }),
    ),
  };
}
