import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SDP_LENGTH, requestSchemas, type RequestName } from '../../../protocol/signaling/schemas.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n';
const SECRET = 'a'.repeat(48);

/** For each request: payloads that must parse and payloads that must be refused. */
const table: { [N in RequestName]: { good: unknown[]; bad: unknown[] } } = {
  join: {
    good: [
      { roomId: 'room-1', displayName: 'Ann' },
      { roomId: 'a.b:c_d', displayName: '  Ann  ', token: 'x.y.z' },
      { roomId: 'r', displayName: 'Ann', resume: { peerId: 'p1', sessionSecret: SECRET } },
    ],
    bad: [
      undefined,
      {},
      { roomId: 'room 1', displayName: 'Ann' },
      { roomId: '', displayName: 'Ann' },
      { roomId: 'r', displayName: '   ' },
      { roomId: 'r', displayName: 'x'.repeat(65) },
      { roomId: 'r', displayName: 'Ann', extra: true },
      { roomId: 'r', displayName: 'Ann', resume: { peerId: 'p1', sessionSecret: 'short' } },
      { roomId: 'r', displayName: 'Ann', token: 't'.repeat(5000) },
    ],
  },
  createTransport: { good: [{ direction: 'send' }, { direction: 'recv' }], bad: [{}, { direction: 'both' }, { direction: 'send', x: 1 }] },
  connectTransport: {
    good: [{ transportId: 't1', sdp: SDP }],
    bad: [{ transportId: 't1' }, { transportId: 't1', sdp: 'hello world' }, { transportId: 't1', sdp: 'v=0' + 'x'.repeat(MAX_SDP_LENGTH) }, { transportId: 7, sdp: SDP }],
  },
  produce: {
    good: [
      { transportId: 't1', kind: 'video', mid: '0', sdp: SDP, source: 'camera' },
      { transportId: 't1', kind: 'audio', mid: '1', sdp: SDP, source: 'mic', paused: true },
    ],
    bad: [
      { transportId: 't1', kind: 'data', mid: '0', sdp: SDP, source: 'camera' },
      { transportId: 't1', kind: 'video', mid: '', sdp: SDP, source: 'camera' },
      { transportId: 't1', kind: 'video', mid: '0', sdp: SDP, source: 'webcam' },
      { transportId: 't1', kind: 'video', mid: '0', source: 'camera' },
      { transportId: 't1', kind: 'video', mid: '0', sdp: SDP, source: 'camera', paused: 'no' },
    ],
  },
  consume: { good: [{ transportId: 't1', producerId: 'p1' }], bad: [{ transportId: 't1' }, { transportId: 't1', producerId: 'p/1' }] },
  resumeConsumer: { good: [{ consumerId: 'c1' }], bad: [{}, { consumerId: '' }, { consumerId: 'c'.repeat(129) }] },
  pauseConsumer: { good: [{ consumerId: 'c1' }], bad: [{ consumerId: null }] },
  pauseProducer: { good: [{ producerId: 'p1' }], bad: [{ producerId: 1 }] },
  resumeProducer: { good: [{ producerId: 'p1' }], bad: [{ id: 'p1' }] },
  closeProducer: { good: [{ producerId: 'p1' }], bad: ['p1'] },
  leave: { good: [{}], bad: [{ now: true }, null] },
};

for (const name of Object.keys(table) as RequestName[]) {
  const { good, bad } = table[name];
  test(`${name}: accepts ${good.length} well-formed payloads`, () => {
    for (const payload of good) assert.ok(requestSchemas[name].safeParse(payload).success, `${name} should accept ${JSON.stringify(payload)}`);
  });
  test(`${name}: refuses ${bad.length} malformed payloads`, () => {
    for (const payload of bad) assert.equal(requestSchemas[name].safeParse(payload).success, false, `${name} should refuse ${JSON.stringify(payload)?.slice(0, 80)}`);
  });
}

test('every request has a row in the table', () => {
  assert.deepEqual(Object.keys(table).sort(), Object.keys(requestSchemas).sort());
});

test('produce defaults paused to false and join trims the display name', () => {
  const produce = requestSchemas.produce.parse({ transportId: 't', kind: 'audio', mid: '0', sdp: SDP, source: 'mic' });
  assert.equal(produce.paused, false);
  assert.equal(requestSchemas.join.parse({ roomId: 'r', displayName: '  Ann ' }).displayName, 'Ann');
});
