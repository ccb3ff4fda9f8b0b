import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../../../../protocol/errors.js';
import { buildFlvTag } from '../../../../protocol/flv/tag.js';
import { splitAggregate } from '../../../../protocol/rtmp/aggregate.js';
import {
  abortMessage,
  acknowledgementMessage,
  BandwidthLimit,
  type ControlMessage,
  MessageType,
  parseControlMessage,
  type RtmpMessage,
  setChunkSizeMessage,
  setPeerBandwidthMessage,
  userControlMessage,
  windowAckSizeMessage,
} from '../../../../protocol/rtmp/messages.js';

/** One table: builder → exact payload (RTMP spec §5.4, §7.1.7) → parsed control message. */
const table: Array<[string, RtmpMessage, number, number[], ControlMessage]> = [
  ['Set Chunk Size', setChunkSizeMessage(4096), MessageType.SetChunkSize, [0, 0, 0x10, 0], { type: 'setChunkSize', chunkSize: 4096 }],
  ['Abort', abortMessage(6), MessageType.Abort, [0, 0, 0, 6], { type: 'abort', csid: 6 }],
  ['Acknowledgement', acknowledgementMessage(2 ** 32 - 1), MessageType.Acknowledgement, [0xff, 0xff, 0xff, 0xff], { type: 'acknowledgement', sequenceNumber: 2 ** 32 - 1 }],
  ['Window Acknowledgement Size', windowAckSizeMessage(2_500_000), MessageType.WindowAckSize, [0, 0x26, 0x25, 0xa0], { type: 'windowAckSize', windowSize: 2_500_000 }],
  ['Set Peer Bandwidth', setPeerBandwidthMessage(2_500_000, BandwidthLimit.Dynamic), MessageType.SetPeerBandwidth, [0, 0x26, 0x25, 0xa0, 2], { type: 'setPeerBandwidth', windowSize: 2_500_000, limitType: 2 }],
  ['Stream Begin', userControlMessage({ event: 'streamBegin', streamId: 1 }), MessageType.UserControl, [0, 0, 0, 0, 0, 1], { type: 'userControl', control: { event: 'streamBegin', streamId: 1 } }],
  ['Stream EOF', userControlMessage({ event: 'streamEof', streamId: 1 }), MessageType.UserControl, [0, 1, 0, 0, 0, 1], { type: 'userControl', control: { event: 'streamEof', streamId: 1 } }],
  ['SetBufferLength', userControlMessage({ event: 'setBufferLength', streamId: 1, bufferMs: 3000 }), MessageType.UserControl, [0, 3, 0, 0, 0, 1, 0, 0, 0x0b, 0xb8], { type: 'userControl', control: { event: 'setBufferLength', streamId: 1, bufferMs: 3000 } }],
  ['Ping Request', userControlMessage({ event: 'pingRequest', timestamp: 77 }), MessageType.UserControl, [0, 6, 0, 0, 0, 77], { type: 'userControl', control: { event: 'pingRequest', timestamp: 77 } }],
  ['Ping Response', userControlMessage({ event: 'pingResponse', timestamp: 77 }), MessageType.UserControl, [0, 7, 0, 0, 0, 77], { type: 'userControl', control: { event: 'pingResponse', timestamp: 77 } }],
];

for (const [name, msg, typeId, payload, parsed] of table) {
  test(`${name} builds its spec payload on csid 2, stream 0, and parses back`, () => {
    assert.equal(msg.typeId, typeId);
    assert.equal(msg.csid, 2);
    assert.equal(msg.streamId, 0);
    assert.deepEqual([...msg.payload], payload);
    assert.deepEqual(parseControlMessage(msg), parsed);
  });
}

test('parseControlMessage rejects truncated payloads and a zero chunk size; ignores other types', () => {
  const reason = (r: string) => (e: unknown) => e instanceof ParseError && e.reason === r;
  assert.throws(() => parseControlMessage({ typeId: MessageType.SetChunkSize, payload: Uint8Array.from([0, 0, 0]) }), reason('truncated'));
  assert.throws(() => parseControlMessage({ typeId: MessageType.SetChunkSize, payload: new Uint8Array(4) }), reason('bad-chunk-size'));
  assert.throws(() => parseControlMessage({ typeId: MessageType.UserControl, payload: Uint8Array.from([0, 6, 0]) }), reason('truncated'));
  assert.equal(parseControlMessage({ typeId: MessageType.Video, payload: new Uint8Array(4) }), undefined);
  assert.deepEqual(parseControlMessage({ typeId: MessageType.UserControl, payload: Uint8Array.from([0, 0x20, 9]) }), {
    type: 'userControl',
    control: { event: 'unknown', type: 0x20, data: Uint8Array.from([9]) },
  });
});

test('setChunkSizeMessage refuses sizes outside 1..2^31-1', () => {
  assert.throws(() => setChunkSizeMessage(0), TypeError);
  assert.throws(() => setChunkSizeMessage(2 ** 31), TypeError);
});

test('splitAggregate re-bases sub-message timestamps on the aggregate timestamp (§7.1.6)', () => {
  const sub = (type: number, ts: number, body: number[]): number[] => [
    ...buildFlvTag({ type: type as 8 | 9 | 18, timestamp: ts, data: Uint8Array.from(body) }),
  ];
  const payload = Uint8Array.from([...sub(9, 5000, [0x17, 1]), ...sub(8, 5020, [0xaf, 1, 2])]);
  const out = splitAggregate({ typeId: MessageType.Aggregate, streamId: 1, timestamp: 100, payload });
  assert.deepEqual(out, [
    { typeId: 9, streamId: 1, timestamp: 100, payload: Uint8Array.from([0x17, 1]) },
    { typeId: 8, streamId: 1, timestamp: 120, payload: Uint8Array.from([0xaf, 1, 2]) },
  ]);
  assert.throws(
    () => splitAggregate({ typeId: MessageType.Aggregate, streamId: 1, timestamp: 0, payload: payload.subarray(0, 12) }),
    (e: unknown) => e instanceof ParseError && e.reason === 'truncated',
  );
});
