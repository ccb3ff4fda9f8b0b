import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { roomsOf } from '../../server/rooms/mount.js';
import type { RoomsSubsystem } from '../../server/rooms/mount.js';
import { RoomBot } from '../helpers/room-bot.js';
import { connectRaw, exitWhenDone, request, startRoomServer } from '../helpers/room-server.js';
import { waitFor } from '../helpers/wrtc-bot.js';

/**
 * The SFU on mediasoup with two workers, driven by real peers (the SDK's RoomClient on
 * mediasoup-client over @roamhq/wrtc): placement on the least-loaded worker, a room spreading
 * to the second worker (pipeToRouter) once the first carries `maxConsumersPerWorker`, garbage
 * on the media port, announced addresses, and a worker killed with SIGKILL under a live room.
 */

after(exitWhenDone);

const MEDIA_TIMEOUT_MS = 15_000;
/** The issue's promise: after a worker dies, its rooms' peers see each other again within 10 s. */
const WORKER_RECOVERY_MS = 10_000;
const MIN_FRAMES = 15;
/** RFC 5737 TEST-NET-3: only the candidates can be checked with it. */
const ANNOUNCED = '203.0.113.10';

describe('mediasoup workers', () => {
  let server: Awaited<ReturnType<typeof startRoomServer>>;
  let rooms: RoomsSubsystem;
  const bots: RoomBot[] = [];

  function bot(roomId: string, name: string): RoomBot {
    const b = new RoomBot({ url: server.url, roomId, displayName: name });
    bots.push(b);
    return b;
  }

  before(async () => {
    // Two consumers fill a worker: the third consuming transport of a room goes to the other one.
    server = await startRoomServer({ webrtc: { workers: 2, maxConsumersPerWorker: 2 } });
    const found = roomsOf(server.httpServer);
    assert.ok(found);
    rooms = found;
  });

  after(async () => {
    await Promise.all(bots.map((b) => b.close()));
    await server?.close();
  });

  test('each worker listens on its own port of the mux range, UDP and TCP', async () => {
    const { sfu } = rooms;
    assert.equal(sfu.slots.length, 2);
    assert.equal(new Set(sfu.workerPids()).size, 2);
    const ports = await Promise.all(sfu.slots.map(async (s) => (await s.webRtcServer?.dump())?.udpSockets[0]?.port));
    assert.equal(ports[1], (ports[0] ?? 0) + 1);
  });

  test('a room spreads to the second worker past maxConsumersPerWorker and every subscriber decodes the publisher', async () => {
    const teacher = bot('class', 'Teacher');
    await teacher.client.join();
    await teacher.publish();
    const students = [bot('class', 'S1'), bot('class', 'S2'), bot('class', 'S3')];
    for (const s of students) await s.client.join();
    const teacherId = teacher.client.peerId ?? '';
    const ok = await waitFor(() => students.every((s) => s.from(teacherId).videoFrames >= MIN_FRAMES && s.from(teacherId).audioChunks > 0), MEDIA_TIMEOUT_MS);
    assert.ok(ok, `students: ${students.map((s) => JSON.stringify(s.from(teacherId))).join(' ')}`);
    const room = rooms.rooms.get('class');
    assert.ok(room);
    const group = await room.getRouters();
    assert.equal(group.extra.size, 1, 'the room has a router on the other worker');
    const workers = new Set(group.routers().map((r) => r.appData.workerIndex));
    assert.deepEqual([...workers].sort(), [0, 1]);
  });

  test('garbage datagrams to the media ports leave delivery running', async () => {
    const a = bot('garbage', 'A');
    const b = bot('garbage', 'B');
    await a.client.join();
    await a.publish();
    await b.client.join();
    const aId = a.client.peerId ?? '';
    assert.ok(await waitFor(() => b.from(aId).videoFrames >= MIN_FRAMES, MEDIA_TIMEOUT_MS));
    const ports = await Promise.all(rooms.sfu.slots.map(async (s) => (await s.webRtcServer?.dump())?.udpSockets[0]?.port ?? 0));
    const sock = createSocket('udp4');
    // STUN-looking, RTP-looking, DTLS-looking and random datagrams of every size class.
    const payloads = [Buffer.from([0x00, 0x01, 0x00, 0x00]), Buffer.from([0x80, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]), Buffer.from([0x16, 0xfe, 0xfd]), Buffer.alloc(1200, 0xab), Buffer.alloc(1)];
    for (let i = 0; i < 200; i++) {
      for (const port of ports) sock.send(payloads[i % payloads.length] ?? Buffer.alloc(0), port, '127.0.0.1');
    }
    await new Promise((r) => setTimeout(r, 300));
    sock.close();
    const before = b.from(aId).videoFrames;
    assert.ok(await waitFor(() => b.from(aId).videoFrames >= before + MIN_FRAMES, MEDIA_TIMEOUT_MS), 'delivery stopped after the garbage');
    assert.equal(new Set(rooms.sfu.workerPids()).size, 2, 'both workers alive');
  });

  test('a worker killed with SIGKILL is replaced; its room is told mediaReset and its peers see each other again within 10 s', async () => {
    const a = bot('survive', 'A');
    const b = bot('survive', 'B');
    await a.client.join();
    await a.publish();
    await b.client.join();
    await b.publish();
    const aId = a.client.peerId ?? '';
    const bId = b.client.peerId ?? '';
    assert.ok(await waitFor(() => b.from(aId).videoFrames >= MIN_FRAMES && a.from(bId).videoFrames >= MIN_FRAMES, MEDIA_TIMEOUT_MS));
    const room = rooms.rooms.get('survive');
    assert.ok(room);
    const group = await room.getRouters();
    const slot = rooms.sfu.slotOf(group.primary);
    const pid = slot?.worker?.pid;
    assert.ok(pid);
    const before = { a: a.from(bId).videoFrames, b: b.from(aId).videoFrames };
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const recovered = await waitFor(() => a.from(bId).videoFrames >= before.a + MIN_FRAMES && b.from(aId).videoFrames >= before.b + MIN_FRAMES, WORKER_RECOVERY_MS);
    assert.ok(recovered, `not recovered within ${WORKER_RECOVERY_MS} ms: a ${JSON.stringify(a.from(bId))} ${a.errors.join('; ')} b ${JSON.stringify(b.from(aId))} ${b.errors.join('; ')}`);
    assert.ok(Date.now() - killedAt <= WORKER_RECOVERY_MS);
    assert.equal(a.client.peerId, aId, 'same session: the peers never left the room');
    assert.ok(await waitFor(() => rooms.sfu.workerPids().length === 2 && !rooms.sfu.workerPids().includes(pid), 5_000), 'the worker was replaced');
    // The server still answers.
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });
});

describe('announced address', () => {
  test('transports announce announcedIp with the worker port, UDP and TCP', async () => {
    const server = await startRoomServer({ webrtc: { workers: 1, announcedIp: ANNOUNCED } });
    try {
      const s = await connectRaw(server.url);
      assert.ok((await request(s, 'join', { roomId: 'nat', displayName: 'N' })).ok);
      const created = await request(s, 'createTransport', { direction: 'send' });
      assert.ok(created.ok);
      const candidates = created.data.iceCandidates as { address: string; port: number; protocol: string }[];
      assert.deepEqual(candidates.map((c) => c.protocol).sort(), ['tcp', 'udp']);
      for (const c of candidates) {
        assert.equal(c.address, ANNOUNCED);
        assert.equal(c.port, server.config.webrtc.port);
      }
      s.disconnect();
    } finally {
      await server.close();
    }
  });
});
