import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildFir, buildPli } from '../../../protocol/rtcp/index.js';
import { parseRtpHeader } from '../../../protocol/rtp/index.js';
import { Consumer } from '../../../server/sfu/Consumer.js';
import type { RtpCodec } from '../../../server/sfu/ortc.js';
import { Producer } from '../../../server/sfu/Producer.js';

/**
 * Consumer keyframe gate (a video consumer that starts or resumes forwards nothing before a
 * keyframe) and FIR handling (RFC 5104 §4.3.1), driven through a real Producer with no engine.
 */

const PUBLISHER_SSRC = 0x1111_1111;
const CONSUMER_SSRC = 0x2222_2222;
const SUBSCRIBER_SSRC = 0x3333_3333;
const VP8: RtpCodec = { mimeType: 'video/VP8', clockRate: 90_000, payloadType: 96, parameters: {}, rtcpFeedback: [{ type: 'nack' }] };
const H264: RtpCodec = { mimeType: 'video/H264', clockRate: 90_000, payloadType: 102, parameters: { 'packetization-mode': 1 }, rtcpFeedback: [{ type: 'nack' }] };
const OPUS: RtpCodec = { mimeType: 'audio/opus', clockRate: 48_000, channels: 2, payloadType: 111, parameters: {} };

/** RFC 7741 §4.2 descriptor (S bit, PID 0) + VP8 payload header whose P bit is 0 on a keyframe. */
const VP8_KEY = [0x10, 0x00, 0x9d, 0x01, 0x2a];
const VP8_DELTA = [0x10, 0x01, 0x00];
const VP8_CONTINUATION = [0x00, 0x00, 0x00];

interface Rig {
  producer: Producer;
  consumer: Consumer;
  /** Copies of what the consumer sent (it reuses one buffer). */
  sent: Buffer[];
  rtcpToPublisher: Uint8Array[];
  keyFrameRequests: () => number;
  push(payload: readonly number[]): void;
}

function rig(codec: RtpCodec, kind: 'audio' | 'video' = 'video'): Rig {
  const sent: Buffer[] = [];
  const rtcpToPublisher: Uint8Array[] = [];
  const producer = new Producer({ kind, mid: '0', codec, ssrc: PUBLISHER_SSRC, paused: false, appData: {}, rtcpSenderSsrc: 1, sendRtcp: (p) => (rtcpToPublisher.push(p), true) });
  let requests = 0;
  const request = producer.requestKeyFrame.bind(producer);
  producer.requestKeyFrame = () => {
    requests++;
    request();
  };
  const consumer = new Consumer({ producer, codec, ssrc: CONSUMER_SSRC, cname: 'c', mid: '0', paused: true, appData: {}, send: (p) => (sent.push(Buffer.from(p)), true) });
  let seq = 1000;
  const push = (payload: readonly number[]): void => {
    const b = Buffer.alloc(12 + payload.length);
    b[0] = 0x80;
    b[1] = codec.payloadType;
    b.writeUInt16BE(seq, 2);
    b.writeUInt32BE(seq * 3000, 4);
    b.writeUInt32BE(PUBLISHER_SSRC, 8);
    b.set(payload, 12);
    seq++;
    producer.receive(b);
  };
  return { producer, consumer, sent, rtcpToPublisher, keyFrameRequests: () => requests, push };
}

const payloadOf = (b: Buffer): number[] => [...b.subarray(parseRtpHeader(b).payloadOffset)];
const seqOf = (b: Buffer): number => parseRtpHeader(b).sequenceNumber;

test('a resumed VP8 consumer forwards nothing before a keyframe, then everything from it', () => {
  const r = rig(VP8);
  r.consumer.resume();
  assert.equal(r.consumer.waitingForKeyframe, true);
  const plisAfterResume = r.producer.getStats().plisSent;
  assert.equal(plisAfterResume, 1, 'resume asks the publisher for a keyframe');
  r.push(VP8_DELTA);
  r.push(VP8_CONTINUATION);
  r.push(VP8_DELTA);
  assert.equal(r.sent.length, 0);
  assert.equal(r.consumer.getStats().packetsGated, 3);
  assert.ok(r.keyFrameRequests() >= 4, 'gated packets re-ask (the producer throttles the PLIs)');
  assert.equal(r.producer.getStats().plisSent, plisAfterResume, 'throttled: no second PLI within the interval');
  r.push(VP8_KEY);
  r.push(VP8_CONTINUATION);
  r.push(VP8_DELTA);
  assert.equal(r.consumer.waitingForKeyframe, false);
  assert.deepEqual(r.sent.map(payloadOf), [VP8_KEY, VP8_CONTINUATION, VP8_DELTA]);
  const seqs = r.sent.map(seqOf);
  assert.deepEqual(seqs, [seqs[0], (seqs[0]! + 1) & 0xffff, (seqs[0]! + 2) & 0xffff], 'no gap for the packets held back');
  assert.equal(r.consumer.getStats().packetsGated, 3);
});

test('consumer pause/resume and producer pause/resume each close the gate again', () => {
  const r = rig(VP8);
  r.consumer.resume();
  r.push(VP8_KEY);
  r.push(VP8_DELTA);
  assert.equal(r.sent.length, 2);
  r.consumer.pause();
  r.push(VP8_DELTA);
  r.consumer.resume();
  r.push(VP8_DELTA);
  assert.equal(r.sent.length, 2, 'delta after a consumer resume held back');
  r.push(VP8_KEY);
  assert.equal(r.sent.length, 3);
  r.producer.pause();
  r.push(VP8_DELTA);
  r.producer.resume();
  r.push(VP8_DELTA);
  assert.equal(r.sent.length, 3, 'delta after a producer resume held back');
  r.push(VP8_KEY);
  r.push(VP8_DELTA);
  assert.equal(r.sent.length, 5);
  const seqs = r.sent.map(seqOf);
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], (seqs[i - 1]! + 1) & 0xffff, 'output numbering stays continuous');
});

/** H.264 payloads (RFC 6184 §5.6–5.8): which ones open the gate. */
const h264Cases: { name: string; payload: number[]; opens: boolean }[] = [
  { name: 'a single IDR NAL unit', payload: [0x65, 0x88, 0x80], opens: true },
  { name: 'a single SPS NAL unit', payload: [0x67, 0x42, 0xe0, 0x1f], opens: true },
  { name: 'a STAP-A with SPS and PPS', payload: [0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce], opens: true },
  { name: 'the first FU-A fragment of an IDR', payload: [0x7c, 0x85, 0x88], opens: true },
  { name: 'a middle FU-A fragment of an IDR', payload: [0x7c, 0x05, 0x88], opens: false },
  { name: 'the first FU-A fragment of a non-IDR slice', payload: [0x7c, 0x81, 0x9a], opens: false },
  { name: 'a single non-IDR slice', payload: [0x41, 0x9a, 0x00], opens: false },
  { name: 'a PPS alone', payload: [0x68, 0xce, 0x38], opens: false },
  { name: 'a truncated STAP-A', payload: [0x78, 0x00, 0x09, 0x67], opens: false },
];

for (const c of h264Cases) {
  test(`an H.264 consumer's gate ${c.opens ? 'opens on' : 'stays closed on'} ${c.name}`, () => {
    const r = rig(H264);
    r.consumer.resume();
    r.push([0x41, 0x9a, 0x01]);
    r.push(c.payload);
    assert.equal(r.sent.length, c.opens ? 1 : 0);
    assert.equal(r.consumer.waitingForKeyframe, !c.opens);
  });
}

test('an audio consumer is never gated', () => {
  const r = rig(OPUS, 'audio');
  r.consumer.resume();
  assert.equal(r.consumer.waitingForKeyframe, false);
  r.push([0xfc, 0x01, 0x02]);
  r.push([0xfc, 0x03]);
  assert.equal(r.sent.length, 2);
  assert.deepEqual(r.sent.map(payloadOf), [[0xfc, 0x01, 0x02], [0xfc, 0x03]]);
  assert.equal(r.consumer.getStats().packetsGated, 0);
});

test('FIR: a new sequence number asks for a keyframe, a repeated one does not (RFC 5104 §4.3.1.2)', () => {
  const r = rig(VP8);
  r.consumer.resume();
  const base = r.keyFrameRequests();
  const fir = (sender: number, target: number, seq: number): void => r.consumer.receive(Buffer.from(buildFir(sender, target, seq)));
  fir(SUBSCRIBER_SSRC, CONSUMER_SSRC, 7);
  fir(SUBSCRIBER_SSRC, CONSUMER_SSRC, 7); // the requester repeating a command it fears was lost
  assert.equal(r.consumer.getStats().firsReceived, 1);
  assert.equal(r.keyFrameRequests(), base + 1);
  fir(SUBSCRIBER_SSRC, CONSUMER_SSRC, 8);
  fir(SUBSCRIBER_SSRC, CONSUMER_SSRC, 263); // 8-bit field: 263 is 7 on the wire, new after 8
  fir(SUBSCRIBER_SSRC, 0x4444_4444, 9); // addressed to another stream
  assert.equal(r.consumer.getStats().firsReceived, 3);
  fir(0x5555_5555, CONSUMER_SSRC, 7); // another requester's own numbering
  assert.equal(r.consumer.getStats().firsReceived, 4);
  assert.equal(r.keyFrameRequests(), base + 4);
  r.consumer.receive(Buffer.from(buildPli(SUBSCRIBER_SSRC, CONSUMER_SSRC)));
  assert.equal(r.consumer.getStats().plisReceived, 1, 'PLIs are counted apart from FIRs');
  assert.equal(r.keyFrameRequests(), base + 5);
});
