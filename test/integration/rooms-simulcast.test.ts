import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CAMERA_SIMULCAST_ENCODINGS } from '../../client/sdk/index.js';
import { roomsOf } from '../../server/rooms/mount.js';
import { RoomBot } from '../helpers/room-bot.js';
import { exitWhenDone, startRoomServer } from '../helpers/room-server.js';
import { waitFor } from '../helpers/wrtc-bot.js';

/**
 * Simulcast in a room, with real peers (the SDK on mediasoup-client over @roamhq/wrtc): a camera
 * published in the SDK's three layers (quarter, half and full size of a 640x480 source); a
 * subscriber preferring layer 0 decodes the quarter size, one preferring layer 2 the full size.
 */

after(exitWhenDone);

const MEDIA_TIMEOUT_MS = 20_000;

let server: Awaited<ReturnType<typeof startRoomServer>>;
const bots: RoomBot[] = [];

before(async () => {
  server = await startRoomServer({ webrtc: { workers: 1 } });
});

after(async () => {
  await Promise.all(bots.map((b) => b.close()));
  await server?.close();
});

function bot(name: string, encodings = false): RoomBot {
  const b = new RoomBot({ url: server.url, roomId: 'simulcast', displayName: name, ...(encodings ? { cameraEncodings: [...CAMERA_SIMULCAST_ENCODINGS], video: { width: 960, height: 540 } } : {}) });
  bots.push(b);
  return b;
}

test('a subscriber preferring the low layer decodes the quarter size, one preferring the top layer the full size', async () => {
  const publisher = bot('Camera', true);
  await publisher.client.join();
  await publisher.publish();
  const low = bot('Low');
  const high = bot('High');
  low.client.on('consumer', (c) => void (c.kind === 'video' && c.setPreferredLayers(0)));
  high.client.on('consumer', (c) => void (c.kind === 'video' && c.setPreferredLayers(2)));
  await low.client.join();
  await high.client.join();
  const pubId = publisher.client.peerId ?? '';
  const settled = await waitFor(() => low.from(pubId).width === 240 && high.from(pubId).width === 960, MEDIA_TIMEOUT_MS);
  const producer = [...(roomsOf(server.httpServer)?.rooms.get('simulcast')?.peers.get(pubId)?.producers.values() ?? [])].find((p) => p.kind === 'video');
  const layers = (await producer?.getStats())?.map((s) => `${s.rid}:${s.bitrate}bps,${s.packetCount}pkts`).join(' ');
  assert.ok(settled, `low ${JSON.stringify(low.from(pubId))}, high ${JSON.stringify(high.from(pubId))}; producer layers ${layers}`);
  // And back: the low subscriber asks for the top layer and gets it.
  const consumer = [...low.client.consumers.values()].find((c) => c.kind === 'video');
  await consumer?.setPreferredLayers(2);
  assert.ok(await waitFor(() => low.from(pubId).width === 960, MEDIA_TIMEOUT_MS), `after switching up: ${JSON.stringify(low.from(pubId))}`);
});
