import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitAvcc } from '../../../../protocol/codec/nal.js';
import { createH264Depacketizer, createH264Packetizer, h264Fmtp, isH264KeyframePayload } from '../../../../protocol/rtp-formats/h264.js';
import type { RtpPayloadIn } from '../../../../protocol/rtp-formats/types.js';
import { feed, hex, nalu, videoUnit } from './helpers.js';

const SPS = nalu([0x67, 0x42, 0xe0, 0x1f], 20);
const PPS = nalu([0x68], 6);
const AUD = Uint8Array.of(0x09, 0xf0);
const idr = (size: number): Uint8Array => nalu([0x65, 0x88], size);
const slice = (size: number): Uint8Array => nalu([0x41, 0x9a], size);

/** avcC (ISO 14496-15 §5.3.3.1) with one SPS and one PPS, built by hand. */
const AVCC_CONFIG = Uint8Array.of(1, 0x42, 0xe0, 0x1f, 0xff, 0xe1, 0, SPS.length, ...SPS, 1, 0, PPS.length, ...PPS);

/** What an H.264 payload is, for the tables: 'single:T', 'stap-a:T,T', 'fu-a:[S|E]T'. */
function shape(p: Uint8Array): string {
  const type = (p[0] as number) & 0x1f;
  if (type === 24) {
    const types: number[] = [];
    for (let at = 1; at < p.length; at += 2 + (((p[at] as number) << 8) | (p[at + 1] as number))) types.push((p[at + 2] as number) & 0x1f);
    return `stap-a:${types.join(',')}`;
  }
  if (type === 28) {
    const fu = p[1] as number;
    return `fu-a:${fu & 0x80 ? 'S' : ''}${fu & 0x40 ? 'E' : ''}${fu & 0x1f}`;
  }
  return `single:${type}`;
}

interface RoundTrip {
  name: string;
  nalus: Uint8Array[];
  mtu: number;
  shapes: string[];
  /** NAL units after depacketizing, when not the input's (parameter sets injected). */
  out?: Uint8Array[];
  withConfig?: boolean;
  firstSeq?: number;
}

// One table drives both directions: packetize, check the packets, depacketize, compare.
const ROUND_TRIPS: RoundTrip[] = [
  {
    name: 'SPS+PPS+IDR at MTU 1200 → one STAP-A, then FU-As',
    nalus: [SPS, PPS, idr(5000)], mtu: 1200,
    shapes: ['stap-a:7,8', 'fu-a:S5', 'fu-a:5', 'fu-a:5', 'fu-a:5', 'fu-a:E5'],
  },
  {
    name: 'FU-A whose sequence numbers wrap 65535 → 0 reassembles',
    nalus: [SPS, PPS, idr(5000)], mtu: 1200, firstSeq: 65533,
    shapes: ['stap-a:7,8', 'fu-a:S5', 'fu-a:5', 'fu-a:5', 'fu-a:5', 'fu-a:E5'],
  },
  {
    name: 'small slices after an AUD share one STAP-A',
    nalus: [AUD, slice(300), slice(300), slice(300)], mtu: 1200,
    shapes: ['stap-a:9,1,1,1'],
  },
  {
    name: 'a NAL unit of exactly the MTU goes alone in a single NAL unit packet',
    nalus: [slice(1200)], mtu: 1200,
    shapes: ['single:1'],
  },
  {
    name: 'a STAP-A closes when the next unit would not fit (1 + 2·(2 + 600) > 1200)',
    nalus: [slice(600), slice(600)], mtu: 1200,
    shapes: ['single:1', 'single:1'],
  },
  {
    name: 'an IDR without parameter sets gets SPS+PPS from the config, after the AUD',
    nalus: [AUD, idr(100)], mtu: 1200, withConfig: true,
    shapes: ['stap-a:9,7,8,5'],
    out: [AUD, SPS, PPS, idr(100)],
  },
  {
    name: 'an IDR that carries its own parameter sets gets no second copy',
    nalus: [SPS, PPS, idr(100)], mtu: 1200, withConfig: true,
    shapes: ['stap-a:7,8,5'],
  },
  {
    name: 'the smallest MTU (3) still fragments, one octet per FU-A',
    nalus: [idr(4)], mtu: 3,
    shapes: ['fu-a:S5', 'fu-a:5', 'fu-a:E5'],
  },
];

for (const c of ROUND_TRIPS) {
  test(`H.264 round trip: ${c.name}`, () => {
    const pts = 123_456;
    const unit = videoUnit('h264', c.nalus, pts, c.nalus.some((n) => ((n[0] as number) & 0x1f) === 5));
    const before = hex(unit.data);
    const packetizer = createH264Packetizer({ maxPayloadSize: c.mtu, ...(c.withConfig ? { config: AVCC_CONFIG } : {}) });
    const packets = packetizer.packetize(unit);
    assert.equal(hex(unit.data), before, 'packetize must not mutate the AU');
    assert.deepEqual(packets.map((p) => shape(p.payload)), c.shapes);
    assert.ok(packets.every((p) => p.payload.length <= c.mtu));
    assert.deepEqual(packets.map((p) => p.marker), packets.map((_, i) => i === packets.length - 1));
    assert.ok(packets.every((p) => p.timestamp === pts));

    const payloadsBefore = packets.map((p) => hex(p.payload));
    const d = createH264Depacketizer({ requireKeyframe: false, timestampOrigin: 0 });
    const { units, errors } = feed(d, packets, c.firstSeq ?? 1000);
    assert.deepEqual(errors, []);
    assert.deepEqual(packets.map((p) => hex(p.payload)), payloadsBefore, 'depacketize must not mutate payloads');
    assert.equal(units.length, 1);
    const [out] = units;
    assert.deepEqual(splitAvcc(out!.data).map(hex), (c.out ?? c.nalus).map(hex));
    assert.equal(out!.pts, pts);
    assert.equal(out!.keyframe, unit.keyframe);
    assert.equal(d.stats.lostPackets, 0);
  });
}

const pkt = (payload: number[] | Uint8Array, sequenceNumber: number, timestamp: number, marker: boolean): RtpPayloadIn => ({
  payload: Uint8Array.from(payload), sequenceNumber, timestamp, marker,
});
const IDR_PACKET = (seq: number, ts: number): RtpPayloadIn => pkt(idr(50), seq, ts, true);

interface Corrupt {
  name: string;
  packets: RtpPayloadIn[];
  units: number;
  errors: string[];
  discarded?: number;
}

// Corrupt and quirky inputs: what comes out, and which ParseError reasons are reported.
const CORRUPT: Corrupt[] = [
  {
    name: 'FU-A end without a start (no loss) is reported as fragment-missing-start',
    packets: [IDR_PACKET(1, 0), pkt([0x7c, 0x45, 1, 2], 2, 3000, true)],
    units: 1, errors: ['fragment-missing-start'],
  },
  {
    name: 'FU-A with both start and end bits (camera quirk) is taken as one whole NAL unit',
    packets: [pkt([0x7c, 0xc5, 1, 2], 1, 0, true)],
    units: 1, errors: [],
  },
  {
    name: 'a second FU-A start before the first ended is fragment-missing-end',
    packets: [pkt([0x7c, 0x85, 1], 1, 0, false), pkt([0x7c, 0x85, 2], 2, 0, false)],
    units: 0, errors: ['fragment-missing-end'],
  },
  {
    name: 'the marker inside a fragmented NAL unit is fragment-missing-end',
    packets: [pkt([0x7c, 0x85, 1], 1, 0, true)],
    units: 0, errors: ['fragment-missing-end'],
  },
  {
    name: 'a STAP-A size running past the end is truncated',
    packets: [pkt([0x78, 0, 9, 0x65, 1], 1, 0, true)],
    units: 0, errors: ['truncated'],
  },
  {
    name: 'a STAP-A with a zero-size unit is bad-aggregation',
    packets: [pkt([0x78, 0, 0, 0, 1, 0x65], 1, 0, true)],
    units: 0, errors: ['bad-aggregation'],
  },
  {
    name: 'an FU-A of one octet is truncated',
    packets: [pkt([0x7c], 1, 0, true)],
    units: 0, errors: ['truncated'],
  },
  {
    name: 'interleaved-mode STAP-B is unsupported-packet-type',
    packets: [pkt([0x79, 0, 0, 0, 1, 0x65], 1, 0, true)],
    units: 0, errors: ['unsupported-packet-type'],
  },
  {
    name: 'reserved type 30 is reserved-packet-type',
    packets: [pkt([0x1e, 0], 1, 0, true)],
    units: 0, errors: ['reserved-packet-type'],
  },
  {
    name: 'joining in the middle of an FU-A skips that AU quietly',
    packets: [pkt([0x7c, 0x05, 1], 1, 0, false), pkt([0x7c, 0x45, 2], 2, 0, true), IDR_PACKET(3, 3000)],
    units: 1, errors: [], discarded: 2,
  },
  {
    name: 'a sender that never sets the marker: the AU ends when the timestamp changes',
    packets: [pkt(idr(50), 1, 0, false), pkt(idr(50), 2, 3000, false), pkt(idr(50), 3, 6000, true)],
    units: 3, errors: [],
  },
  {
    name: 'duplicates and padding-only (empty) packets are discarded',
    packets: [pkt([0x7c, 0x85, 1], 1, 0, false), pkt([0x7c, 0x85, 1], 1, 0, false), pkt([], 2, 0, false), pkt([0x7c, 0x45, 2], 3, 0, true)],
    units: 1, errors: [], discarded: 2,
  },
];

for (const c of CORRUPT) {
  test(`H.264 depacketizer: ${c.name}`, () => {
    const d = createH264Depacketizer();
    const units = [];
    const errors = [];
    for (const p of c.packets) {
      const r = d.push(p);
      units.push(...r.units);
      if (r.error) errors.push(r.error.reason);
    }
    assert.equal(units.length, c.units);
    assert.deepEqual(errors, c.errors);
    if (c.discarded !== undefined) assert.equal(d.stats.discardedPackets, c.discarded);
  });
}

test('H.264 depacketizer: an AU past MAX_ACCESS_UNIT_SIZE is rejected as au-too-large and the next IDR still comes out', () => {
  const d = createH264Depacketizer();
  const middle = new Uint8Array(60_000);
  middle[0] = 0x7c;
  middle[1] = 0x05;
  const start = Uint8Array.of(0x7c, 0x85, 0);
  let seq = 0;
  assert.equal(d.push(pkt(start, seq++, 0, false)).error, undefined);
  const errors: string[] = [];
  for (let i = 0; i < 300 && errors.length === 0; i += 1) {
    const r = d.push({ payload: middle, sequenceNumber: seq++, timestamp: 0, marker: false });
    if (r.error) errors.push(r.error.reason);
  }
  assert.deepEqual(errors, ['au-too-large']);
  assert.equal(d.waitingForKeyframe, true);
  const r = d.push(pkt(idr(50), seq, 3000, true));
  assert.equal(r.units.length, 1);
});

test('H.264 depacketizer: a lost middle FU-A fragment drops that AU, later P frames wait, the next IDR recovers', () => {
  const packetizer = createH264Packetizer();
  const aus = [
    videoUnit('h264', [SPS, PPS, idr(5000)], 0, true),
    videoUnit('h264', [slice(3000)], 3000, false), // 3 FU-As; the middle one is lost
    videoUnit('h264', [slice(200)], 6000, false),
    videoUnit('h264', [SPS, PPS, idr(4000)], 9000, true),
  ];
  const packets = aus.flatMap((u) => packetizer.packetize(u));
  const lostIndex = 6 + 1; // 6 packets for the first AU, then the middle fragment of the second
  assert.equal(shape(packets[lostIndex]!.payload), 'fu-a:1');
  const d = createH264Depacketizer({ timestampOrigin: 0 });
  const { units, errors } = feed(d, packets, 500, new Set([lostIndex]));
  assert.deepEqual(errors, []);
  assert.deepEqual(units.map((u) => [u.pts, u.keyframe]), [[0, true], [9000, true]]);
  assert.equal(d.stats.lostPackets, 1);
  assert.equal(d.stats.droppedUnits, 2);
  assert.equal(d.waitingForKeyframe, false);

  // Without requireKeyframe, only the damaged AU is lost.
  const lenient = createH264Depacketizer({ requireKeyframe: false, timestampOrigin: 0 });
  assert.deepEqual(feed(lenient, packets, 500, new Set([lostIndex])).units.map((u) => u.pts), [0, 6000, 9000]);
});

test('H.264 depacketizer: output starts at the first keyframe by default', () => {
  const packetizer = createH264Packetizer();
  const packets = [videoUnit('h264', [slice(100)], 0, false), videoUnit('h264', [SPS, PPS, idr(100)], 3000, true)].flatMap((u) => packetizer.packetize(u));
  const d = createH264Depacketizer();
  assert.equal(d.waitingForKeyframe, true);
  assert.deepEqual(feed(d, packets, 7).units.map((u) => u.pts), [3000]);
});

const KEYFRAME_PAYLOADS: Array<[string, number[], boolean]> = [
  ['single IDR', [0x65, 0x88], true],
  ['single SPS', [0x67, 0x42], true],
  ['single P slice', [0x41, 0x9a], false],
  ['STAP-A with SPS+PPS', [0x78, 0, 2, 0x67, 0x42, 0, 1, 0x68], true],
  ['STAP-A with AUD + P slice', [0x78, 0, 1, 0x09, 0, 2, 0x41, 0x9a], false],
  ['STAP-A whose size runs past the end', [0x78, 0, 9, 0x67], false],
  ['FU-A start of an IDR', [0x7c, 0x85, 1], true],
  ['FU-A middle of an IDR', [0x7c, 0x05, 1], false],
  ['FU-A start of a P slice', [0x5c, 0x81, 1], false],
  ['empty payload', [], false],
];

for (const [name, payload, want] of KEYFRAME_PAYLOADS) {
  test(`isH264KeyframePayload: ${name} → ${want}`, () => {
    assert.equal(isH264KeyframePayload(Uint8Array.from(payload)), want);
  });
}

test('h264Fmtp writes packetization-mode 1, profile-level-id and sprop-parameter-sets from the avcC', () => {
  assert.equal(
    h264Fmtp(AVCC_CONFIG),
    `packetization-mode=1;profile-level-id=42e01f;sprop-parameter-sets=${Buffer.from(SPS).toString('base64')},${Buffer.from(PPS).toString('base64')}`,
  );
  assert.equal(h264Fmtp(), 'packetization-mode=1;profile-level-id=42e01f');
});
