import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Ack, RequestName } from '../../../protocol/signaling/schemas.js';
import { NotFoundError } from '../../../server/lib/errors.js';
import { Peer } from '../../../server/rooms/Peer.js';
import type { Room } from '../../../server/rooms/Room.js';
import type { RoomManager } from '../../../server/rooms/RoomManager.js';
import type { Sfu } from '../../../server/sfu/index.js';
import { SignalingDispatcher } from '../../../server/signaling/Dispatcher.js';
import type { Handlers } from '../../../server/signaling/request.js';
import { SignalingSession } from '../../../server/signaling/SignalingSession.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n';

/** A dispatcher over fake handlers that record their calls; `join` binds a real Peer to the session. */
function setup(overrides: Partial<Handlers> = {}) {
  const calls: RequestName[] = [];
  const room = { id: 'r1' } as unknown as Room;
  const rooms = { get: (id: string) => (id === 'r1' ? room : undefined) } as unknown as RoomManager;
  const emitted: string[] = [];
  const session = new SignalingSession({ id: 's1', handshake: { address: '127.0.0.1' }, emit: (event: string) => emitted.push(event) });
  const ok = <N extends RequestName>(name: N) => (async () => {
    calls.push(name);
    return {};
  }) as unknown as Handlers[N];
  const handlers: Handlers = {
    join: async (ctx) => {
      calls.push('join');
      const peer = new Peer({ id: 'p1', roomId: 'r1', displayName: 'Ann', canPublish: true, canSubscribe: true, channel: ctx.session });
      ctx.session.bind(peer);
      return { peerId: 'p1', sessionSecret: peer.secret, resumed: false, peers: [], iceServers: [], canPublish: true, canSubscribe: true, routerRtpCapabilities: {} };
    },
    createTransport: async () => {
      calls.push('createTransport');
      return { transportId: 't1', direction: 'send', iceParameters: { usernameFragment: 'u', password: 'p' }, iceCandidates: [], dtlsParameters: { fingerprints: [] } };
    },
    connectTransport: ok('connectTransport'),
    restartIce: ok('restartIce'),
    produce: ok('produce'),
    consume: ok('consume'),
    resumeConsumer: ok('resumeConsumer'),
    pauseConsumer: ok('pauseConsumer'),
    setConsumerPreferredLayers: ok('setConsumerPreferredLayers'),
    pauseProducer: ok('pauseProducer'),
    resumeProducer: ok('resumeProducer'),
    closeProducer: ok('closeProducer'),
    leave: async (ctx) => {
      calls.push('leave');
      ctx.peer.close('left');
      return {};
    },
    ...overrides,
  };
  const dispatcher = new SignalingDispatcher(handlers, { rooms, sfu: {} as Sfu, authSecret: null, iceServers: [], log: pino({ level: 'silent' }) });
  /** Sends one event and resolves with every ack it got (after the handler had time to settle). */
  const send = async (event: string, payload?: unknown): Promise<Ack<unknown>[]> => {
    const acks: Ack<unknown>[] = [];
    dispatcher.handle(session, event, [payload, (res: Ack<unknown>) => acks.push(res)]);
    for (let i = 0; i < 20 && acks.length === 0; i++) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    return acks;
  };
  return { dispatcher, session, calls, send, emitted };
}

function code(acks: Ack<unknown>[]): string | null {
  assert.equal(acks.length, 1, 'answered exactly once');
  const [ack] = acks;
  return ack && !ack.ok ? ack.error.code : null;
}

test('a request before join is refused with invalid_state and reaches no handler', async () => {
  const { send, calls } = setup();
  assert.equal(code(await send('createTransport', { direction: 'send' })), 'invalid_state');
  assert.equal(code(await send('leave', {})), 'invalid_state');
  assert.deepEqual(calls, []);
});

test('a malformed payload gets a bad_request ack naming the field, and the handler is not called', async () => {
  const { send, calls } = setup();
  await send('join', { roomId: 'r1', displayName: 'Ann' });
  const acks = await send('produce', { transportId: 't1', kind: 'smell', mid: '0', sdp: SDP, source: 'camera' });
  assert.equal(code(acks), 'bad_request');
  const [ack] = acks;
  assert.match(ack && !ack.ok ? ack.error.message : '', /kind/);
  assert.deepEqual(calls, ['join']);
});

test('a second join on the same session is refused with invalid_state', async () => {
  const { send, calls } = setup();
  assert.equal(code(await send('join', { roomId: 'r1', displayName: 'Ann' })), null);
  assert.equal(code(await send('join', { roomId: 'r1', displayName: 'Ann' })), 'invalid_state');
  assert.deepEqual(calls, ['join']);
});

test('unknown event names are ignored, not answered, and counted', async () => {
  const { send, dispatcher } = setup();
  assert.deepEqual(await send('hack', { x: 1 }), []);
  assert.deepEqual(await send('__proto__', {}), []);
  assert.deepEqual(await send('toString', {}), []);
  assert.equal(dispatcher.stats.unknownEvents, 3);
  assert.equal(dispatcher.stats.requests, 0);
});

test('a request without an ack callback is counted and ignored', async () => {
  const { dispatcher, session, calls } = setup();
  dispatcher.handle(session, 'join', [{ roomId: 'r1', displayName: 'Ann' }]);
  await new Promise((r) => setImmediate(r));
  assert.equal(dispatcher.stats.missingAck, 1);
  assert.deepEqual(calls, []);
});

test('a handler that throws gets an internal ack without its message, and the session keeps working', async () => {
  const { send, dispatcher, calls } = setup({
    createTransport: async () => {
      throw new Error('database password is hunter2');
    },
  });
  await send('join', { roomId: 'r1', displayName: 'Ann' });
  const acks = await send('createTransport', { direction: 'send' });
  assert.equal(code(acks), 'internal');
  const [ack] = acks;
  assert.equal(ack && !ack.ok ? ack.error.message : '', 'internal error');
  assert.equal(code(await send('pauseProducer', { producerId: 'p9' })), null);
  assert.deepEqual(calls, ['join', 'pauseProducer']);
  assert.equal(dispatcher.stats.errors.internal, 1);
});

test('a handler that throws synchronously is answered too', async () => {
  const { send } = setup({
    consume: (() => {
      throw new TypeError('sync');
    }) as unknown as Handlers['consume'],
  });
  await send('join', { roomId: 'r1', displayName: 'Ann' });
  assert.equal(code(await send('consume', { transportId: 't1', producerId: 'p1' })), 'bad_request');
});

test('error classes map to their wire codes', async () => {
  const { send } = setup({
    resumeConsumer: async () => {
      throw new NotFoundError('no consumer c1');
    },
  });
  await send('join', { roomId: 'r1', displayName: 'Ann' });
  const acks = await send('resumeConsumer', { consumerId: 'c1' });
  assert.equal(code(acks), 'not_found');
  const [ack] = acks;
  assert.equal(ack && !ack.ok ? ack.error.message : '', 'no consumer c1');
});

test('after leave the session is unbound: requests are invalid_state and join works again', async () => {
  const { send, session } = setup();
  await send('join', { roomId: 'r1', displayName: 'Ann' });
  assert.equal(code(await send('leave', {})), null);
  assert.equal(session.peer, null);
  assert.equal(code(await send('createTransport', { direction: 'send' })), 'invalid_state');
  assert.equal(code(await send('join', { roomId: 'r1', displayName: 'Ann' })), null);
});
