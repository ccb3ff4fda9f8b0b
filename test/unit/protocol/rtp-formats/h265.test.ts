import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitAvcc } from '../../../../protocol/codec/nal.js';
import { createH265Depacketizer, createH265Packetizer } from '../../../../protocol/rtp-formats/h265.js';
import type { RtpPayloadIn } from '../../../../protocol/rtp-formats/types.js';
import { feed, hex, nalu, videoUnit } from './helpers.js';

// Two-octet NAL headers (H.265 §7.3.1.2): type << 1, then LayerId 0 and TID+1 = 1.
const VPS = nalu([0x40, 0x01], 24);
const SPS = nalu([0x42, 0x01], 40);
const PPS = nalu([0x44, 0x01], 8);
const idr = (size: number): Uint8Array => nalu([0x26, 0x01], size);
const trail = (size: number, tidPlus1 = 1): Uint8Array => nalu([0x02, tidPlus1], size);

/** Payload shapes for the table: 'single:T', 'ap:T,T', 'fu:[S|E]T'. */
function shape(p: Uint8Array): string {
  const type = ((p[0] as number) >>> 1) & 0x3f;
  if (type === 48) {
    const types: number[] = [];
    for (let at = 2; at < p.length; at += 2 + (((p[at] as number) << 8) | (p[at + 1] as number))) types.push(((p[at + 2] as number) >>> 1) & 0x3f);
    return `ap:${types.join(',')}`;
  }
  if (type === 49) {
    const fu = p[2] as number;
    return `fu:${fu & 0x80 ? 'S' : ''}${fu & 0x40 ? 'E' : ''}${fu & 0x3f}`;
  }
  return `single:${type}`;
}

const ROUND_TRIPS: Array<{ name: string; nalus: Uint8Array[]; mtu: number; shapes: string[]; firstSeq?: number }> = [
  {
    name: 'VPS+SPS+PPS+IDR at MTU 1200 → one AP, then FUs',
    nalus: [VPS, SPS, PPS, idr(3000)], mtu: 1200,
    shapes: ['ap:32,33,34', 'fu:S19', 'fu:19', 'fu:E19'],
  },
  {
    name: 'FUs across the sequence wrap reassemble',
    nalus: [VPS, SPS, PPS, idr(3000)], mtu: 1200, firstSeq: 65534,
    shapes: ['ap:32,33,34', 'fu:S19', 'fu:19', 'fu:E19'],
  },
  {
    name: 'small trailing pictures of two temporal layers share an AP',
    nalus: [trail(100, 2), trail(100, 1)], mtu: 1200,
    shapes: ['ap:1,1'],
  },
  {
    name: 'a unit that fits alone is a single NAL unit packet',
    nalus: [trail(1000)], mtu: 1200,
    shapes: ['single:1'],
  },
];

for (const c of ROUND_TRIPS) {
  test(`H.265 round trip: ${c.name}`, () => {
    const unit = videoUnit('h265', c.nalus, 90_000, c.nalus.includes(VPS));
    const before = hex(unit.data);
    const packets = createH265Packetizer({ maxPayloadSize: c.mtu }).packetize(unit);
    assert.equal(hex(unit.data), before);
    assert.deepEqual(packets.map((p) => shape(p.payload)), c.shapes);
    assert.ok(packets.every((p) => p.payload.length <= c.mtu));
    assert.deepEqual(packets.map((p) => p.marker), packets.map((_, i) => i === packets.length - 1));
    const { units, errors } = feed(createH265Depacketizer({ requireKeyframe: false, timestampOrigin: 0 }), packets, c.firstSeq ?? 1);
    assert.deepEqual(errors, []);
    assert.equal(units.length, 1);
    assert.deepEqual(splitAvcc(units[0]!.data).map(hex), c.nalus.map(hex));
    assert.equal(units[0]!.keyframe, unit.keyframe);
    assert.equal(units[0]!.pts, 90_000);
  });
}

test('H.265 AP header carries the lowest TID of its units and FU headers keep the unit\'s TID', () => {
  const [ap] = createH265Packetizer().packetize(videoUnit('h265', [trail(10, 3), trail(10, 2)], 0, false));
  assert.deepEqual([...ap!.payload.subarray(0, 2)], [48 << 1, 2]);
  const [fu] = createH265Packetizer({ maxPayloadSize: 100 }).packetize(videoUnit('h265', [trail(500, 3)], 0, false));
  assert.deepEqual([...fu!.payload.subarray(0, 3)], [49 << 1, 3, 0x80 | 1]);
});

test('H.265 packetizer puts VPS/SPS/PPS from the hvcC before an IRAP that lacks them', () => {
  // hvcC (ISO 14496-15 §8.3.3.1): 22 header octets, numOfArrays, then the arrays.
  const header = [1, 0x01, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 0x5d, 0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f];
  const array = (type: number, n: Uint8Array): number[] => [0x80 | type, 0, 1, 0, n.length, ...n];
  const config = Uint8Array.from([...header, 3, ...array(32, VPS), ...array(33, SPS), ...array(34, PPS)]);
  const packets = createH265Packetizer({ config }).packetize(videoUnit('h265', [idr(100)], 0, true));
  assert.deepEqual(packets.map((p) => shape(p.payload)), ['ap:32,33,34,19']);
});

const pkt = (payload: number[], sequenceNumber: number, marker: boolean): RtpPayloadIn => ({ payload: Uint8Array.from(payload), sequenceNumber, timestamp: 0, marker });

const CORRUPT: Array<{ name: string; packets: RtpPayloadIn[]; errors: string[] }> = [
  { name: 'a one-octet payload is truncated', packets: [pkt([0x26], 1, true)], errors: ['truncated'] },
  { name: 'an FU of two octets is truncated', packets: [pkt([0x62, 0x01], 1, true)], errors: ['truncated'] },
  { name: 'an FU end after a start-less middle is fragment-missing-start', packets: [pkt([0x26, 0x01, 0], 1, true), pkt([0x62, 0x01, 0x53, 1], 2, true)], errors: ['fragment-missing-start'] },
  { name: 'PACI is unsupported-packet-type', packets: [pkt([50 << 1, 0x01, 0, 0], 1, true)], errors: ['unsupported-packet-type'] },
  { name: 'type 60 is reserved-packet-type', packets: [pkt([60 << 1, 0x01, 0], 1, true)], errors: ['reserved-packet-type'] },
  { name: 'an AP unit shorter than a NAL header is bad-aggregation', packets: [pkt([0x60, 0x01, 0, 1, 0x26], 1, true)], errors: ['bad-aggregation'] },
];

for (const c of CORRUPT) {
  test(`H.265 depacketizer: ${c.name}`, () => {
    const d = createH265Depacketizer();
    const errors = c.packets.flatMap((p) => d.push(p).error?.reason ?? []);
    assert.deepEqual(errors, c.errors);
  });
}
