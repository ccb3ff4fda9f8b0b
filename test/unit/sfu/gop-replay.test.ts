import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRtpHeader } from '../../../protocol/rtp/index.js';
import { isH264KeyframePayload } from '../../../protocol/rtp-formats/index.js';
import { Consumer } from '../../../server/sfu/Consumer.js';
import type { RtpCodec } from '../../../server/sfu/ortc.js';
import { Producer } from '../../../server/sfu/Producer.js';
import { RtpGopCache } from '../../../server/sfu/RtpGopCache.js';

/** A resumed consumer of a producer with an RtpGopCache gets the cached GOP first, then live, numbered without a gap. */

const SSRC = 0x1111_1111;
const H264: RtpCodec = { mimeType: 'video/H264', clockRate: 90_000, payloadType: 102, parameters: { 'packetization-mode': 1 }, rtcpFeedback: [{ type: 'nack' }] };
const IDR = [0x65, 0x88];
const SLICE = [0x41, 0x9a];

function rig(): { producer: Producer; consumer: (paused: boolean) => { c: Consumer; sent: Buffer[] }; push: (payload: readonly number[], ts: number) => number; plis: () => number } {
  let plis = 0;
  const producer = new Producer({ kind: 'video', mid: '0', codec: H264, ssrc: SSRC, paused: false, appData: {}, rtcpSenderSsrc: 1, sendRtcp: () => (plis++, true), gopCache: new RtpGopCache(isH264KeyframePayload) });
  let seq = 5000;
  let n = 0;
  return {
    producer,
    consumer: () => {
      const sent: Buffer[] = [];
      const c = new Consumer({ producer, codec: H264, ssrc: 0x2000 + n++, cname: 'c', mid: '0', paused: true, appData: {}, send: (p) => (sent.push(Buffer.from(p)), true) });
      return { c, sent };
    },
    push: (payload, ts) => {
      const b = Buffer.alloc(12 + payload.length);
      b[0] = 0x80;
      b[1] = 0x80 | H264.payloadType;
      b.writeUInt16BE(seq, 2);
      b.writeUInt32BE(ts, 4);
      b.writeUInt32BE(SSRC, 8);
      b.set(payload, 12);
      producer.receive(b);
      return seq++;
    },
    plis: () => plis,
  };
}

test('consumer.resume() replays the cached GOP from its keyframe, then forwards live with continuous sequence numbers', () => {
  const r = rig();
  r.push(SLICE, 0); // before any keyframe: not cached
  r.push(IDR, 3000);
  r.push(SLICE, 6000);
  r.push(SLICE, 9000);
  const { c, sent } = r.consumer(true);
  c.resume();
  assert.equal(sent.length, 3, 'keyframe + 2 frames replayed at once');
  assert.equal(sent[0]![12], IDR[0], 'the replay starts with the keyframe');
  assert.equal(c.waitingForKeyframe, false, 'the replay opened the keyframe gate');
  r.push(SLICE, 12000);
  assert.equal(sent.length, 4);
  const seqs = sent.map((p) => parseRtpHeader(p).sequenceNumber);
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], (seqs[i - 1]! + 1) & 0xffff);
  const ts = sent.map((p) => parseRtpHeader(p).timestamp);
  assert.deepEqual(ts.map((t) => t - ts[0]!), [0, 3000, 6000, 9000], 'timestamps keep their spacing');
  assert.equal(r.plis(), 0, 'no keyframe request: the replay served it');
});

test('consumer.resume() with an empty cache asks the producer for a keyframe and stays gated', () => {
  const r = rig();
  r.push(SLICE, 0);
  const { c, sent } = r.consumer(true);
  c.resume();
  assert.equal(sent.length, 0);
  assert.equal(c.waitingForKeyframe, true);
  assert.equal(r.plis(), 1);
});

test('a replay goes only to the consumer that resumes', () => {
  const r = rig();
  const first = r.consumer(true);
  first.c.resume();
  r.push(IDR, 3000);
  r.push(SLICE, 6000);
  assert.equal(first.sent.length, 2);
  const second = r.consumer(true);
  second.c.resume();
  assert.equal(second.sent.length, 2);
  assert.equal(first.sent.length, 2, 'the running consumer got nothing twice');
});
