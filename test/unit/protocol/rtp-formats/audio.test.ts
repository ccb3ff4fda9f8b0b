import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessUnit } from '../../../../protocol/media/access-unit.js';
import { createG711Depacketizer, G711Packetizer } from '../../../../protocol/rtp-formats/g711.js';
import { createOpusDepacketizer, OpusPacketizer, opusRtpTimestamp } from '../../../../protocol/rtp-formats/opus.js';
import { feed, hex } from './helpers.js';

const opus = (pts: number, size: number): AccessUnit => ({
  type: 'audio', codec: 'opus', pts, dts: pts, keyframe: true, data: new Uint8Array(size).map((_, i) => (i === 0 ? 0xfc : i & 0xff)),
});

// One table drives packetize and depacketize: 20 ms Opus packets (1800 ticks at 90 kHz = 960 at 48 kHz).
const OPUS_CASES: Array<{ name: string; pts: number[]; offset: number; rtp: number[] }> = [
  { name: 'three 20 ms packets from pts 0', pts: [0, 1800, 3600], offset: 0, rtp: [0, 960, 1920] },
  { name: 'timestamps that wrap past 2^32 through the offset', pts: [0, 1800, 3600], offset: 0xffff_fc40, rtp: [0xffff_fc40, 0, 960] },
  { name: 'a pts of 30 days still converts exactly', pts: [30 * 86_400 * 90_000], offset: 0, rtp: [(30 * 86_400 * 48_000) % 2 ** 32] },
];

for (const c of OPUS_CASES) {
  test(`Opus round trip: ${c.name}`, () => {
    const units = c.pts.map((pts) => opus(pts, 80));
    const packets = units.flatMap((u) => new OpusPacketizer({ timestampOffset: c.offset }).packetize(u));
    assert.deepEqual(packets.map((p) => p.timestamp), c.rtp);
    assert.ok(packets.every((p) => !p.marker));
    // The depacketizer counts from the first packet's timestamp: pts comes back relative to it.
    const { units: out } = feed(createOpusDepacketizer(), packets, 65535);
    assert.deepEqual(out.map((u) => u.pts), c.pts.map((p) => p - c.pts[0]!));
    assert.deepEqual(out.map((u) => hex(u.data)), units.map((u) => hex(u.data)));
  });
}

test('opusRtpTimestamp rounds 90 kHz to the nearest 48 kHz tick', () => {
  assert.equal(opusRtpTimestamp(1), 1); // 0.533 → 1
  assert.equal(opusRtpTimestamp(90_001), 48_001);
});

test('Opus packetizer refuses a packet larger than the payload size (RFC 7587 §4.2: never split)', () => {
  assert.throws(() => new OpusPacketizer({ maxPayloadSize: 100 }).packetize(opus(0, 101)), { name: 'ParseError', reason: 'frame-too-large' });
});

test('Opus depacketizer: a loss costs only the lost packet; duplicates and empty payloads are discarded', () => {
  const packets = [0, 1800, 3600, 5400].map((pts) => new OpusPacketizer().packetize(opus(pts, 40))[0]!);
  const d = createOpusDepacketizer({ timestampOrigin: 0 });
  const out = feed(d, packets, 10, new Set([1])).units;
  assert.deepEqual(out.map((u) => u.pts), [0, 3600, 5400]);
  assert.equal(d.push({ ...packets[3]!, sequenceNumber: 13 }).units.length, 0);
  assert.equal(d.push({ payload: new Uint8Array(0), marker: false, timestamp: 0, sequenceNumber: 14 }).units.length, 0);
  assert.deepEqual(d.stats, { lostPackets: 1, discardedPackets: 2, droppedUnits: 0 });
});

test('G.711 passes samples through at 8 kHz, splitting a long AU with timestamps advanced by samples', () => {
  const unit: AccessUnit = { type: 'audio', codec: 'pcma', pts: 9000, dts: 9000, keyframe: true, data: new Uint8Array(400).map((_, i) => i & 0xff) };
  const packets = new G711Packetizer({ maxPayloadSize: 160 }).packetize(unit);
  assert.deepEqual(packets.map((p) => [p.payload.length, p.timestamp]), [[160, 800], [160, 960], [80, 1120]]);
  const out = feed(createG711Depacketizer('pcma', { timestampOrigin: 0 }), packets, 0).units;
  assert.deepEqual(out.map((u) => u.pts), [9000, 9000 + 1800, 9000 + 3600]);
  assert.equal(out.map((u) => hex(u.data)).join(''), hex(unit.data));
  assert.ok(out.every((u) => u.codec === 'pcma'));
});
