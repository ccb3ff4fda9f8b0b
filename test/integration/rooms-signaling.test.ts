import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'socket.io-client';
import { mintToken } from '../../server/auth/tokens.js';
import { RoomBot } from '../helpers/room-bot.js';
import { connectRaw, nextEvent, exitWhenDone, request, startRoomServer } from '../helpers/room-server.js';
import { waitFor } from '../helpers/wrtc-bot.js';

after(exitWhenDone);

/** Media must reach every subscriber within this time on loopback. */
const MEDIA_TIMEOUT_MS = 15_000;
/** The promise: a departure reaches the others within 2 s. */
const PEER_LEFT_MS = 2_000;
/** Enough decoded frames / audio chunks to be sure media flows, not a lucky key frame. */
const MIN_VIDEO_FRAMES = 15;
const MIN_AUDIO_CHUNKS = 20;

describe('rooms signaling with real peers', () => {
  let server: Awaited<ReturnType<typeof startRoomServer>>;
  const bots: RoomBot[] = [];
  const sockets: Socket[] = [];

  function bot(roomId: string, displayName: string): RoomBot {
    const b = new RoomBot({ url: server.url, roomId, displayName });
    bots.push(b);
    return b;
  }

  async function raw(): Promise<Socket> {
    const s = await connectRaw(server.url);
    sockets.push(s);
    return s;
  }

  before(async () => {
    server = await startRoomServer();
  });

  after(async () => {
    for (const s of sockets) s.disconnect();
    await Promise.all(bots.map((b) => b.close()));
    await server?.close();
  });

  test('a publisher reaches two subscribers (video decoded, audio arriving) and a leaving peer is announced within 2 s', async () => {
    const alice = bot('media', 'Alice');
    const bob = bot('media', 'Bob');
    const carol = bot('media', 'Carol');
    await bob.client.join();
    await alice.client.join();
    await alice.publish();
    await carol.client.join(); // joins after the producers exist: consumes them from the join answer
    const aliceId = alice.client.peerId!;
    const flowing = await waitFor(
      () => [bob, carol].every((b) => b.from(aliceId).videoFrames >= MIN_VIDEO_FRAMES && b.from(aliceId).audioChunks >= MIN_AUDIO_CHUNKS),
      MEDIA_TIMEOUT_MS,
    );
    assert.ok(flowing, `media did not flow: bob ${JSON.stringify(bob.from(aliceId))}, carol ${JSON.stringify(carol.from(aliceId))}`);
    assert.ok(bob.from(aliceId).width > 0 && carol.from(aliceId).height > 0);

    const carolId = carol.client.peerId!;
    const leftAt = Date.now();
    await carol.client.leave();
    const announced = await waitFor(() => alice.peerLeft.includes(carolId) && bob.peerLeft.includes(carolId), PEER_LEFT_MS, 20);
    assert.ok(announced, `peerLeft not received within ${PEER_LEFT_MS} ms`);
    assert.ok(Date.now() - leftAt <= PEER_LEFT_MS);
    assert.equal(alice.client.peers.has(carolId), false);
  });

  test('the microphone of the only speaking peer makes it the active speaker for everyone', async () => {
    const talker = bot('speakers', 'Talker');
    const listener = bot('speakers', 'Listener');
    const heard: (string | null)[] = [];
    listener.client.on('activeSpeaker', (id) => heard.push(id));
    await listener.client.join();
    await talker.client.join();
    await talker.publish(); // a 440 Hz tone: audio levels well above silence
    const talkerId = talker.client.peerId;
    assert.ok(await waitFor(() => heard.includes(talkerId), MEDIA_TIMEOUT_MS), `activeSpeaker events: ${JSON.stringify(heard)}`);
  });

  test('the REST API lists rooms, details producers with codec and bitrate, and kicks a peer', async () => {
    const dave = bot('rest', 'Dave');
    const erin = bot('rest', 'Erin');
    await dave.client.join();
    await dave.publish();
    await erin.client.join();
    const daveId = dave.client.peerId!;
    assert.ok(await waitFor(() => erin.from(daveId).videoFrames > 0, MEDIA_TIMEOUT_MS), 'erin got no video from dave');

    const list = (await (await fetch(`${server.url}/api/v1/rooms`)).json()) as { rooms: { id: string; peers: number }[] };
    assert.deepEqual(list.rooms.find((r) => r.id === 'rest')?.peers, 2);

    let producers: { kind: string; source: string; mimeType: string; bitrate: number; paused: boolean }[] = [];
    const measured = await waitFor(async () => {
      const detail = (await (await fetch(`${server.url}/api/v1/rooms/rest`)).json()) as { peers: { id: string; displayName: string; producers: typeof producers }[] };
      producers = detail.peers.find((p) => p.id === daveId)?.producers ?? [];
      return producers.length === 2 && producers.every((p) => p.bitrate > 0);
    }, MEDIA_TIMEOUT_MS, 250);
    assert.ok(measured, `producers: ${JSON.stringify(producers)}`);
    const video = producers.find((p) => p.kind === 'video');
    assert.equal(video?.source, 'camera');
    assert.match(video?.mimeType ?? '', /^video\//);
    assert.equal(producers.find((p) => p.kind === 'audio')?.mimeType.toLowerCase(), 'audio/opus');

    const missing = await fetch(`${server.url}/api/v1/rooms/nope`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'not_found');
    assert.equal((await fetch(`${server.url}/api/v1/rooms/rest/peers/nobody`, { method: 'DELETE' })).status, 404);

    const kick = await fetch(`${server.url}/api/v1/rooms/rest/peers/${daveId}`, { method: 'DELETE' });
    assert.equal(kick.status, 204);
    assert.ok(await waitFor(() => dave.kicked.length === 1 && erin.peerLeft.includes(daveId), PEER_LEFT_MS, 20), 'kick not seen by both');
    assert.equal(dave.client.connectionState, 'closed');
  });

  test('a malformed or out-of-order request gets an error ack and the session continues', async () => {
    const s = await raw();
    const early = await request(s, 'createTransport', { direction: 'send' });
    assert.deepEqual(early.ok ? null : early.error.code, 'invalid_state');
    const badJoin = await request(s, 'join', { roomId: 'bad room!', displayName: 'x' });
    assert.deepEqual(badJoin.ok ? null : badJoin.error.code, 'bad_request');
    s.emit('noSuchRequest', { x: 1 }, () => assert.fail('an unknown event must not be answered'));
    const joined = await request(s, 'join', { roomId: 'bad-input', displayName: 'Mallory' });
    assert.ok(joined.ok);
    const again = await request(s, 'join', { roomId: 'bad-input', displayName: 'Mallory' });
    assert.deepEqual(again.ok ? null : again.error.code, 'invalid_state');
    const bad = await request(s, 'produce', { transportId: 42, kind: 'video' });
    assert.deepEqual(bad.ok ? null : bad.error.code, 'bad_request');
    const created = await request(s, 'createTransport', { direction: 'send' });
    assert.ok(created.ok, 'session continues after a bad request');
    const transportId = String(created.data.transportId);
    // Shape is right, semantics are not: a codec the router does not have, then no encodings at all.
    const unknownCodec = await request(s, 'produce', {
      transportId,
      kind: 'video',
      rtpParameters: { mid: '0', codecs: [{ mimeType: 'video/NOPE', payloadType: 101, clockRate: 90000 }], encodings: [{ ssrc: 1234 }] },
      source: 'camera',
    });
    assert.ok(!unknownCodec.ok && ['bad_request', 'unsupported'].includes(unknownCodec.error.code), JSON.stringify(unknownCodec));
    const noEncodings = await request(s, 'produce', {
      transportId,
      kind: 'audio',
      rtpParameters: { mid: '1', codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }], encodings: [] },
      source: 'mic',
    });
    assert.ok(!noEncodings.ok && ['bad_request', 'unsupported'].includes(noEncodings.error.code), JSON.stringify(noEncodings));
    const badDtls = await request(s, 'connectTransport', { transportId, dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'md5', value: 'AA' }] } });
    assert.deepEqual(badDtls.ok ? null : badDtls.error.code, 'bad_request');
    const unknownTransport = await request(s, 'consume', { transportId: 'nope', producerId: 'nope' });
    assert.deepEqual(unknownTransport.ok ? null : unknownTransport.error.code, 'not_found');
    const unknownProducer = await request(s, 'pauseProducer', { producerId: 'nope' });
    assert.deepEqual(unknownProducer.ok ? null : unknownProducer.error.code, 'not_found');
    assert.ok((await request(s, 'leave', {})).ok);
  });

  test('a socket that drops without leave resumes within the grace with the same peerId', async () => {
    const watcher = await raw();
    assert.ok((await request(watcher, 'join', { roomId: 'resume', displayName: 'Watcher' })).ok);
    const first = await raw();
    const joined = await request(first, 'join', { roomId: 'resume', displayName: 'Roamer' });
    assert.ok(joined.ok);
    const { peerId, sessionSecret } = joined.data as { peerId: string; sessionSecret: string };
    let left = false;
    watcher.on('peerLeft', () => (left = true));
    first.disconnect();
    await new Promise((r) => setTimeout(r, 300));
    const second = await raw();
    const resumed = await request(second, 'join', { roomId: 'resume', displayName: 'Roamer', resume: { peerId, sessionSecret } });
    assert.ok(resumed.ok);
    assert.equal(resumed.data.peerId, peerId);
    assert.equal(resumed.data.resumed, true);
    assert.equal(left, false, 'others must not see the resumed peer leave');

    const wrongSecret = await raw();
    const impostor = await request(wrongSecret, 'join', { roomId: 'resume', displayName: 'Eve', resume: { peerId, sessionSecret: 'x'.repeat(48) } });
    assert.ok(impostor.ok);
    assert.notEqual(impostor.data.peerId, peerId, 'a wrong secret starts a new session');
    assert.equal(impostor.data.resumed, false);

    const peerLeft = nextEvent<{ peerId: string }>(watcher, 'peerLeft');
    assert.ok((await request(second, 'leave', {})).ok);
    assert.equal((await peerLeft).peerId, peerId);
  });
  test('the SDK rejoins after its socket drops: same peerId, transports rebuilt, media flows again, nobody sees it leave', async () => {
    const frank = bot('reconnect', 'Frank');
    const gina = bot('reconnect', 'Gina');
    await frank.client.join();
    await frank.publish();
    await gina.client.join();
    const frankId = frank.client.peerId!;
    assert.ok(await waitFor(() => gina.from(frankId).videoFrames >= MIN_VIDEO_FRAMES, MEDIA_TIMEOUT_MS), 'no video before the drop');
    const rejoined = new Promise<{ peerId: string; resumed: boolean }>((resolve) => frank.client.on('joined', resolve));
    // Simulates a network drop: the engine.io connection closes under the SDK, which reconnects by itself.
    (frank.client as unknown as { socket: Socket }).socket.io.engine.close();
    const again = await Promise.race([rejoined, new Promise<null>((r) => setTimeout(() => r(null), MEDIA_TIMEOUT_MS))]);
    assert.deepEqual(again, { peerId: frankId, resumed: true });
    const framesAtResume = gina.from(frankId).videoFrames;
    assert.ok(
      await waitFor(() => gina.from(frankId).videoFrames >= framesAtResume + MIN_VIDEO_FRAMES && gina.client.consumers.size === 2, MEDIA_TIMEOUT_MS),
      `media did not resume: ${JSON.stringify(gina.from(frankId))}, consumers ${gina.client.consumers.size}`,
    );
    assert.deepEqual(gina.peerLeft, []);
    assert.equal(frank.client.connectionState, 'connected');
  });
});

describe('rooms with auth configured', () => {
  const secret = 'integration-secret-0123456789';
  let server: Awaited<ReturnType<typeof startRoomServer>>;
  const sockets: Socket[] = [];

  before(async () => {
    server = await startRoomServer({ auth: { secret } });
  });

  after(async () => {
    for (const s of sockets) s.disconnect();
    await server?.close();
  });

  test('join needs a token for the room and permissions are enforced; the API needs an admin token', async () => {
    const s = await connectRaw(server.url);
    sockets.push(s);
    const none = await request(s, 'join', { roomId: 'secure', displayName: 'Anon' });
    assert.deepEqual(none.ok ? null : none.error.code, 'unauthorized');
    const other = await request(s, 'join', { roomId: 'secure', displayName: 'Anon', token: await mintToken(secret, { room: 'elsewhere' }) });
    assert.deepEqual(other.ok ? null : other.error.code, 'unauthorized');

    const viewerToken = await mintToken(secret, { room: 'secure', permissions: ['subscribe'] });
    const joined = await request(s, 'join', { roomId: 'secure', displayName: 'Viewer', token: viewerToken });
    assert.ok(joined.ok);
    assert.equal(joined.data.canPublish, false);
    assert.equal(joined.data.canSubscribe, true);
    const created = await request(s, 'createTransport', { direction: 'send' });
    assert.ok(created.ok);
    const produce = await request(s, 'produce', {
      transportId: String(created.data.transportId),
      kind: 'audio',
      rtpParameters: { mid: '0', codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 1111 }] },
      source: 'mic',
    });
    assert.deepEqual(produce.ok ? null : produce.error.code, 'unauthorized');

    assert.equal((await fetch(`${server.url}/api/v1/rooms`)).status, 401);
    assert.equal((await fetch(`${server.url}/api/v1/rooms`, { headers: { authorization: `Bearer ${viewerToken}` } })).status, 401);
    const admin = await mintToken(secret, { admin: true });
    const listed = await fetch(`${server.url}/api/v1/rooms`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(listed.status, 200);
    assert.deepEqual(((await listed.json()) as { rooms: { id: string }[] }).rooms.map((r) => r.id), ['secure']);
  });
});
