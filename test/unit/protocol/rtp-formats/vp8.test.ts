import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessUnit } from '../../../../protocol/media/access-unit.js';
import {
  isVp8KeyframePayload, parseVp8Descriptor, Vp8Depacketizer, Vp8Packetizer, Vp8PictureIdRewriter, writeVp8Descriptor,
  type Vp8Descriptor,
} from '../../../../protocol/rtp-formats/vp8.js';
import { feed, hex } from './helpers.js';

// One table drives parse and write (RFC 7741 §4.2 layouts).
const DESCRIPTORS: Array<[string, number[], Vp8Descriptor]> = [
  ['required octet only, start of partition 0', [0x10], { nonReference: false, start: true, partitionId: 0 }],
  ['non-reference continuation of partition 3', [0x23], { nonReference: true, start: false, partitionId: 3 }],
  ['7-bit PictureID', [0x90, 0x80, 0x55], { nonReference: false, start: true, partitionId: 0, pictureId: { value: 0x55, bits: 7 } }],
  ['15-bit PictureID', [0x90, 0x80, 0x81, 0x23], { nonReference: false, start: true, partitionId: 0, pictureId: { value: 0x0123, bits: 15 } }],
  [
    'PictureID + TL0PICIDX + TID/Y + KEYIDX',
    [0x90, 0xf0, 0xff, 0xfe, 0x07, 0b10_1_00101],
    { nonReference: false, start: true, partitionId: 0, pictureId: { value: 0x7ffe, bits: 15 }, tl0PicIdx: 7, temporal: { tid: 2, layerSync: true }, keyIdx: 5 },
  ],
  ['TID without KEYIDX', [0x80, 0x20, 0b01_0_00000], { nonReference: false, start: false, partitionId: 0, temporal: { tid: 1, layerSync: false } }],
];

for (const [name, bytes, descriptor] of DESCRIPTORS) {
  test(`VP8 descriptor: ${name} parses and writes back`, () => {
    const input = Uint8Array.from([...bytes, 0x9d]);
    assert.deepEqual(parseVp8Descriptor(input), [descriptor, bytes.length]);
    assert.deepEqual([...writeVp8Descriptor(descriptor)], bytes);
    assert.deepEqual([...input], [...bytes, 0x9d]);
  });
}

const TRUNCATED: Array<[string, number[]]> = [
  ['empty payload', []],
  ['X set, extension octet missing', [0x90]],
  ['M set, second PictureID octet missing', [0x90, 0x80, 0x81]],
  ['L set, TL0PICIDX missing', [0x90, 0x40]],
  ['K set, T/K octet missing', [0x90, 0x10]],
];
for (const [name, bytes] of TRUNCATED) {
  test(`VP8 descriptor: ${name} is truncated`, () => {
    assert.throws(() => parseVp8Descriptor(Uint8Array.from(bytes)), { name: 'ParseError', reason: 'truncated' });
  });
}

const KEYFRAMES: Array<[string, number[], boolean]> = [
  ['S=1 PID=0, P bit clear', [0x10, 0x50], true],
  ['S=1 PID=0, P bit set (inter frame)', [0x10, 0x51], false],
  ['with extensions, P bit clear', [0x90, 0xe0, 0x81, 0x23, 0x00, 0x00, 0x50], true],
  ['S=0 continuation', [0x00, 0x50], false],
  ['S=1 but partition 1', [0x11, 0x50], false],
  ['descriptor without a payload header', [0x10], false],
  ['truncated descriptor', [0x90], false],
];
for (const [name, bytes, want] of KEYFRAMES) {
  test(`isVp8KeyframePayload: ${name} → ${want}`, () => {
    assert.equal(isVp8KeyframePayload(Uint8Array.from(bytes)), want);
  });
}

/** A VP8 frame whose first octet carries the P bit (RFC 6386 §9.1). */
function frame(size: number, keyframe: boolean, pts: number): AccessUnit {
  const data = new Uint8Array(size).map((_, i) => (i * 13) & 0xff);
  data[0] = keyframe ? 0x50 : 0x51;
  return { type: 'video', codec: 'vp8', pts, dts: pts, keyframe, data };
}

test('VP8 frames packetized at MTU 1200 come back whole; a lost packet drops its frame until the next key frame', () => {
  const frames = [frame(3000, true, 0), frame(2500, false, 3000), frame(400, false, 6000), frame(2000, true, 9000)];
  const packetizer = new Vp8Packetizer({ firstPictureId: 0x7ffe });
  const packets = frames.flatMap((f) => packetizer.packetize(f));
  assert.ok(packets.every((p) => p.payload.length <= 1200));
  assert.deepEqual(packets.map((p) => parseVp8Descriptor(p.payload)[0].pictureId?.value), [0x7ffe, 0x7ffe, 0x7ffe, 0x7fff, 0x7fff, 0x7fff, 0, 1, 1]);
  assert.ok(isVp8KeyframePayload(packets[0]!.payload));

  const whole = feed(new Vp8Depacketizer({ timestampOrigin: 0 }), packets, 65534).units;
  assert.deepEqual(whole.map((u) => hex(u.data)), frames.map((f) => hex(f.data)));
  assert.deepEqual(whole.map((u) => [u.pts, u.keyframe]), frames.map((f) => [f.pts, f.keyframe]));

  const d = new Vp8Depacketizer({ timestampOrigin: 0 });
  const lossy = feed(d, packets, 100, new Set([4])); // the middle packet of frame 2
  assert.deepEqual(lossy.units.map((u) => u.pts), [0, 9000]);
  assert.deepEqual(d.stats, { lostPackets: 1, discardedPackets: 1, droppedUnits: 2 });
});

test('VP8 depacketizer: a frame start inside an open frame is frame-missing-end', () => {
  const d = new Vp8Depacketizer();
  assert.equal(d.push({ payload: Uint8Array.of(0x10, 0x50), sequenceNumber: 1, timestamp: 0, marker: false }).error, undefined);
  assert.equal(d.push({ payload: Uint8Array.of(0x10, 0x50), sequenceNumber: 2, timestamp: 0, marker: true }).error?.reason, 'frame-missing-end');
});

test('Vp8PictureIdRewriter continues PictureID and TL0PICIDX across a source switch and keeps the payload', () => {
  const packet = (pictureId: number, tl0: number): Uint8Array => Uint8Array.from([
    ...writeVp8Descriptor({ nonReference: false, start: true, partitionId: 0, pictureId: { value: pictureId, bits: 15 }, tl0PicIdx: tl0 }),
    0x50, 0xaa,
  ]);
  const r = new Vp8PictureIdRewriter();
  const ids = (p: Uint8Array): [number | undefined, number | undefined] => {
    const [d] = parseVp8Descriptor(p);
    return [d.pictureId?.value, d.tl0PicIdx];
  };
  assert.deepEqual(ids(r.rewrite(packet(10, 200))), [10, 200]);
  assert.deepEqual(ids(r.rewrite(packet(11, 201))), [11, 201]);
  r.switchSource();
  const input = packet(0x7fff, 255);
  const before = hex(input);
  const switched = r.rewrite(input);
  assert.equal(hex(input), before);
  assert.deepEqual(ids(switched), [12, 202]);
  assert.deepEqual([...switched.subarray(-2)], [0x50, 0xaa]);
  assert.deepEqual(ids(r.rewrite(packet(0, 0))), [13, 203], 'the new source wraps 0x7fff → 0 and 255 → 0');
});
