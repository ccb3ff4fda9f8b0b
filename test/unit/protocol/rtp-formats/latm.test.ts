import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAudioSpecificConfig } from '../../../../protocol/codec/aac.js';
import { ParseError } from '../../../../protocol/errors.js';
import { LatmDepacketizer, parseLatmConfig, splitLatmElement } from '../../../../protocol/rtp-formats/latm.js';
import type { RtpPayloadIn } from '../../../../protocol/rtp-formats/types.js';

test('parseLatmConfig(): ffmpeg\'s StreamMuxConfig for 44.1 kHz mono AAC-LC (config=400024103fc0)', () => {
  const c = parseLatmConfig('400024103fc0');
  assert.equal(c.sampleRate, 44100);
  assert.equal(c.channels, 1);
  assert.equal(c.subFrames, 1);
  const asc = parseAudioSpecificConfig(c.audioSpecificConfig);
  assert.equal(asc.objectType, 2);
  assert.equal(asc.sampleRate, 44100);
});

test('parseLatmConfig() refuses audioMuxVersion 1, several programs, and non-hex text', () => {
  const isReason = (r: string) => (err: unknown): boolean => err instanceof ParseError && err.reason === r;
  assert.throws(() => parseLatmConfig('c00024103fc0'), isReason('unsupported-latm'));
  assert.throws(() => parseLatmConfig('4002c4103fc0'), isReason('unsupported-latm'));
  assert.throws(() => parseLatmConfig('zz'), isReason('bad-latm-config'));
});

/** An audioMuxElement of frames, each with its PayloadLengthInfo (0xFF runs). */
function element(frames: Uint8Array[]): Uint8Array {
  const out: number[] = [];
  for (const f of frames) {
    let n = f.length;
    while (n >= 255) {
      out.push(255);
      n -= 255;
    }
    out.push(n, ...f);
  }
  return Uint8Array.from(out);
}
const frame = (size: number, seed: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => (i * 3 + seed) & 0xff);

test('splitLatmElement(): lengths of 0, 254, 255 and 600 octets; truncation is a ParseError', () => {
  const frames = [frame(0, 1), frame(254, 2), frame(255, 3), frame(600, 4)];
  assert.deepEqual(splitLatmElement(element(frames)).map((f) => f.length), [0, 254, 255, 600]);
  assert.throws(() => splitLatmElement(element([frame(300, 1)]).subarray(0, 100)), (err: unknown) => err instanceof ParseError && err.reason === 'truncated');
  assert.throws(() => splitLatmElement(Uint8Array.of(255, 255)), ParseError);
});

const pkt = (payload: Uint8Array, sequenceNumber: number, timestamp: number, marker: boolean): RtpPayloadIn => ({ payload, sequenceNumber, timestamp, marker });

test('LatmDepacketizer: one element per packet, then one fragmented over two packets; pts in 90 kHz', () => {
  const d = new LatmDepacketizer({ clockRate: 44100, timestampOrigin: 0 });
  const a = frame(200, 1);
  const b = frame(700, 2);
  const eb = element([b]);
  const input = eb.slice();
  const out = [
    ...d.push(pkt(element([a]), 1, 0, true)).units,
    ...d.push(pkt(eb.subarray(0, 400), 2, 1024, false)).units,
    ...d.push(pkt(eb.subarray(400), 3, 1024, true)).units,
  ];
  assert.deepEqual(out.map((u) => u.data.length), [200, 700]);
  assert.deepEqual([...out[1]!.data], [...b]);
  assert.deepEqual(out.map((u) => u.pts), [0, Math.round((1024 * 90000) / 44100)]);
  assert.deepEqual([...eb], [...input], 'input not mutated');
});

test('LatmDepacketizer: a lost fragment drops that element only and skips to the next marker', () => {
  const d = new LatmDepacketizer({ clockRate: 48000 });
  const eb = element([frame(700, 2)]);
  const r1 = d.push(pkt(eb.subarray(0, 300), 1, 0, false));
  const r2 = d.push(pkt(eb.subarray(600), 3, 0, true)); // packet 2 lost
  const r3 = d.push(pkt(element([frame(100, 5)]), 4, 1024, true));
  assert.equal(r1.units.length + r2.units.length, 0);
  assert.equal(r3.units.length, 1);
  assert.equal(d.stats.lostPackets, 1);
  assert.equal(d.stats.droppedUnits, 1);
});
