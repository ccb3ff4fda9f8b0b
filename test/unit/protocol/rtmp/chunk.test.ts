import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../../../../protocol/errors.js';
import { RtmpChunkReader } from '../../../../protocol/rtmp/chunk-reader.js';
import { RtmpChunkWriter } from '../../../../protocol/rtmp/chunk-writer.js';
import { MAX_CHUNK_STREAMS, MAX_MESSAGE_LENGTH, unwrapTimestamp } from '../../../../protocol/rtmp/chunk-stream.js';
import {
  abortMessage,
  MessageType,
  type RtmpMessage,
  setChunkSizeMessage,
  windowAckSizeMessage,
} from '../../../../protocol/rtmp/messages.js';

const payload = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const msg = (typeId: number, timestamp: number, length: number, extra: Partial<RtmpMessage> = {}): RtmpMessage => ({
  typeId,
  streamId: 1,
  timestamp,
  payload: payload(length, timestamp),
  ...extra,
});

/** Writes `msgs` with a writer at `chunkSize` (announced in-band first), reads them back. */
function roundTrip(msgs: RtmpMessage[], chunkSize: number, feed: 'whole' | 'bytes' | 'random'): { out: RtmpMessage[]; wire: Uint8Array } {
  const w = new RtmpChunkWriter();
  const parts = [w.setChunkSize(chunkSize), ...msgs.map((m) => w.write(m))];
  const wire = Uint8Array.from(parts.flatMap((p) => [...p]));
  const r = new RtmpChunkReader();
  const out: RtmpMessage[] = [];
  if (feed === 'whole') out.push(...r.push(wire).messages);
  else {
    let seed = 7;
    for (let i = 0; i < wire.length; ) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const n = feed === 'bytes' ? 1 : 1 + (seed % 700);
      out.push(...r.push(wire.subarray(i, i + n)).messages);
      i += n;
    }
  }
  assert.equal(out[0]?.typeId, MessageType.SetChunkSize);
  assert.equal(r.incomingChunkSize, chunkSize);
  return { out: out.slice(1), wire };
}

const strip = (m: RtmpMessage): Omit<RtmpMessage, 'csid'> => ({ typeId: m.typeId, streamId: m.streamId, timestamp: m.timestamp, payload: m.payload });

/** One table drives encode and decode: each case is written, read back and compared. */
const cases: Array<{ name: string; msgs: RtmpMessage[] }> = [
  { name: 'one small message', msgs: [msg(MessageType.CommandAmf0, 0, 50, { streamId: 0 })] },
  { name: 'zero-length message', msgs: [msg(MessageType.Audio, 5, 0), msg(MessageType.Audio, 10, 3)] },
  {
    name: 'audio at a constant delta (fmt 3 for new messages)',
    msgs: Array.from({ length: 6 }, (_, i) => msg(MessageType.Audio, 1000 + i * 23, 200)),
  },
  {
    name: 'video with changing sizes and deltas (fmt 1 and 2)',
    msgs: [msg(MessageType.Video, 0, 70000), msg(MessageType.Video, 40, 900), msg(MessageType.Video, 80, 900), msg(MessageType.Video, 160, 900)],
  },
  {
    name: 'interleaved csids',
    msgs: [
      msg(MessageType.Video, 0, 9000, { csid: 6 }),
      msg(MessageType.Audio, 0, 300, { csid: 4 }),
      msg(MessageType.Video, 40, 5000, { csid: 6 }),
      msg(MessageType.Audio, 23, 300, { csid: 4 }),
      msg(MessageType.DataAmf0, 23, 100, { csid: 300 }),
      msg(MessageType.DataAmf0, 30, 100, { csid: 65599 }),
      msg(MessageType.DataAmf0, 31, 10, { csid: 64 }),
    ],
  },
  {
    name: 'extended timestamps around the 0xFFFFFF boundary',
    msgs: [
      msg(MessageType.Video, 0xfffffe, 400),
      msg(MessageType.Video, 0xffffff, 400),
      msg(MessageType.Video, 0x1000000, 400),
      msg(MessageType.Video, 0x1000000 + 0xffffff, 400), // delta of exactly 0xFFFFFF: extended delta
      msg(MessageType.Video, 0x1000000 + 2 * 0xffffff, 400), // the same delta again: fmt 3 with extended repeat
    ],
  },
  {
    name: 'timestamp wrap past 2^32 keeps increasing',
    msgs: [msg(MessageType.Audio, 2 ** 32 - 40, 300), msg(MessageType.Audio, 2 ** 32 - 10, 300), msg(MessageType.Audio, 2 ** 32 + 20, 300), msg(MessageType.Audio, 2 ** 32 + 50, 300)],
  },
  {
    name: 'a stream id change and a timestamp going back force fmt 0',
    msgs: [msg(MessageType.Video, 500, 10), msg(MessageType.Video, 100, 10), msg(MessageType.Video, 100, 10, { streamId: 2 })],
  },
];

for (const chunkSize of [128, 4096, 60000]) {
  for (const c of cases) {
    test(`chunk writer → reader round trip at chunk size ${chunkSize}: ${c.name}`, () => {
      const inputs = c.msgs.map((m) => ({ ...m, payload: m.payload.slice() }));
      const whole = roundTrip(c.msgs, chunkSize, 'whole');
      assert.deepEqual(whole.out.map(strip), c.msgs.map(strip));
      assert.deepEqual(roundTrip(c.msgs, chunkSize, 'random').out.map(strip), c.msgs.map(strip));
      if (whole.wire.length < 40_000) assert.deepEqual(roundTrip(c.msgs, chunkSize, 'bytes').out.map(strip), c.msgs.map(strip));
      assert.deepEqual(c.msgs, inputs, 'inputs are not mutated');
    });
  }
}

test('chunk writer uses compressed headers: fmt 3 when size, type and delta repeat', () => {
  const w = new RtmpChunkWriter();
  const first = w.write(msg(MessageType.Audio, 0, 10, { csid: 4 }));
  const second = w.write(msg(MessageType.Audio, 20, 10, { csid: 4 }));
  const third = w.write(msg(MessageType.Audio, 40, 10, { csid: 4 }));
  const fourth = w.write(msg(MessageType.Audio, 60, 10, { csid: 4 }));
  assert.equal(first[0], 0x04); // fmt 0
  assert.equal(first.length, 1 + 11 + 10);
  assert.equal(second[0], 0x84); // fmt 2: delta 20 differs from the fmt 0 field 0
  assert.equal(second.length, 1 + 3 + 10);
  assert.equal(third[0], 0xc4); // fmt 3
  assert.equal(third.length, 1 + 10);
  assert.equal(fourth[0], 0xc4);
  const fifth = w.write(msg(MessageType.Audio, 80, 11, { csid: 4 }));
  assert.equal(fifth[0], 0x44); // fmt 1: length changed
});

test('chunk writer splits a message into fmt 3 continuation chunks that repeat the extended timestamp', () => {
  const w = new RtmpChunkWriter();
  const bytes = w.write(msg(MessageType.Video, 0x1234567, 300, { csid: 6 }));
  // fmt 0 header (1 + 11) + ext (4) + 128, then 2 × (basic 1 + ext 4) + 128 and 44.
  assert.equal(bytes.length, 12 + 4 + 300 + 2 * 5);
  assert.deepEqual([...bytes.subarray(12, 16)], [0x01, 0x23, 0x45, 0x67]);
  const cont = 16 + 128;
  assert.equal(bytes[cont], 0xc6);
  assert.deepEqual([...bytes.subarray(cont + 1, cont + 5)], [0x01, 0x23, 0x45, 0x67]);
});

test('reader reports an acknowledgement once the peer window is reached', () => {
  const w = new RtmpChunkWriter();
  const r = new RtmpChunkReader();
  const win = r.push(w.write(windowAckSizeMessage(1000)));
  assert.equal(r.ackWindow, 1000);
  assert.equal(win.ack, undefined);
  const first = r.push(w.write(msg(MessageType.Video, 0, 600)));
  assert.equal(first.ack, undefined);
  const second = r.push(w.write(msg(MessageType.Video, 40, 600)));
  assert.equal(second.ack, r.bytesReceived);
  assert.equal(r.push(w.write(msg(MessageType.Video, 80, 10))).ack, undefined);
});

test('reader drops the partial message on an Abort and reads the next message on that csid', () => {
  const w = new RtmpChunkWriter();
  const full = w.write(msg(MessageType.Video, 0, 300, { csid: 6 }));
  const r = new RtmpChunkReader();
  assert.deepEqual(r.push(full.subarray(0, 12 + 128)).messages, []);
  const abort = new RtmpChunkWriter().write(abortMessage(6));
  assert.equal(r.push(abort).messages[0]?.typeId, MessageType.Abort);
  const next = new RtmpChunkWriter();
  const out = r.push(next.write(msg(MessageType.Video, 40, 20, { csid: 6 }))).messages;
  assert.equal(out.length, 1);
  assert.equal(out[0]?.payload.length, 20);
});

test('reader reads an fmt 3 message after fmt 0 with the fmt 0 timestamp as delta (ffmpeg rule)', () => {
  // fmt 0 csid 4 ts 10 len 1 type 8 sid 1, then fmt 3 → ts 20.
  const bytes = Uint8Array.from([0x04, 0, 0, 10, 0, 0, 1, 8, 1, 0, 0, 0, 0xaa, 0xc4, 0xbb]);
  const out = new RtmpChunkReader().push(bytes).messages;
  assert.deepEqual(out.map((m) => [m.timestamp, m.payload[0]]), [[10, 0xaa], [20, 0xbb]]);
});

test('unwrapTimestamp follows 32-bit wraps and keeps backward jumps', () => {
  assert.equal(unwrapTimestamp(5, 2 ** 32 - 10), 2 ** 32 + 5);
  assert.equal(unwrapTimestamp(2 ** 32 - 10, 2 ** 32 + 5), 2 ** 32 - 10);
  assert.equal(unwrapTimestamp(0, 3_600_000), 0);
  assert.equal(unwrapTimestamp(7, undefined), 7);
});

/** Corrupt and quirky inputs: each must fail with its reason, never hang or allocate wildly. */
const corrupt: Array<{ name: string; bytes: () => Uint8Array; reason: string }> = [
  { name: 'fmt 1 without a preceding fmt 0', bytes: () => Uint8Array.from([0x44, 0, 0, 0, 0, 0, 1, 8, 0]), reason: 'no-previous-header' },
  { name: 'fmt 2 without a preceding fmt 0', bytes: () => Uint8Array.from([0x84, 0, 0, 0]), reason: 'no-previous-header' },
  { name: 'fmt 3 without a preceding fmt 0', bytes: () => Uint8Array.from([0xc4, 1]), reason: 'no-previous-header' },
  {
    name: 'message length over the cap',
    bytes: () => Uint8Array.from([0x04, 0, 0, 0, ...u24(MAX_MESSAGE_LENGTH + 1), 9, 1, 0, 0, 0]),
    reason: 'message-too-large',
  },
  { name: 'Set Chunk Size 0', bytes: () => new RtmpChunkWriter().write({ ...setChunkSizeMessage(1), payload: Uint8Array.from([0, 0, 0, 0]) }), reason: 'bad-chunk-size' },
  {
    name: 'Set Chunk Size with the top bit set (> 2^31-1)',
    bytes: () => new RtmpChunkWriter().write({ ...setChunkSizeMessage(1), payload: Uint8Array.from([0x80, 0, 0, 0]) }),
    reason: 'bad-chunk-size',
  },
  {
    name: 'Set Chunk Size truncated to 2 bytes',
    bytes: () => new RtmpChunkWriter().write({ ...setChunkSizeMessage(1), payload: Uint8Array.from([0, 1]) }),
    reason: 'truncated',
  },
  {
    name: 'a new fmt 0 message in the middle of a message on the same csid',
    bytes: () => {
      const w = new RtmpChunkWriter();
      const a = w.write(msg(MessageType.Video, 0, 300, { csid: 6 })).subarray(0, 12 + 128);
      const b = new RtmpChunkWriter().write(msg(MessageType.Video, 0, 10, { csid: 6 }));
      return Uint8Array.from([...a, ...b]);
    },
    reason: 'message-interrupted',
  },
  {
    name: 'more chunk streams than the cap',
    bytes: () => {
      const w = new RtmpChunkWriter();
      return Uint8Array.from(
        Array.from({ length: MAX_CHUNK_STREAMS + 1 }, (_, i) => [...w.write(msg(MessageType.Video, 0, 5, { csid: 10 + i }))]).flat(),
      );
    },
    reason: 'too-many-chunk-streams',
  },
];

function u24(v: number): number[] {
  return [(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
}

for (const c of corrupt) {
  test(`chunk reader rejects ${c.name} with ParseError('${c.reason}')`, () => {
    const bytes = c.bytes();
    const copy = bytes.slice();
    const r = new RtmpChunkReader();
    assert.throws(() => r.push(bytes), (e: unknown) => e instanceof ParseError && e.reason === c.reason);
    assert.deepEqual(bytes, copy, 'input not mutated');
    assert.throws(() => r.push(new Uint8Array(1)), ParseError, 'reader stays failed');
  });
}

test('chunk reader treats a partial header or payload as "need more bytes", not an error', () => {
  const bytes = new RtmpChunkWriter().write(msg(MessageType.Video, 0xffffff + 5, 1000, { csid: 400 }));
  const r = new RtmpChunkReader();
  for (let i = 0; i < bytes.length - 1; i++) assert.deepEqual(r.push(bytes.subarray(i, i + 1)).messages, []);
  assert.equal(r.push(bytes.subarray(bytes.length - 1)).messages.length, 1);
});
