import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessUnit } from '../../../../protocol/media/access-unit.js';
import { AacDepacketizer, AacHbrPacketizer, aacHbrFmtp } from '../../../../protocol/rtp-formats/aac.js';
import type { RtpPayloadIn } from '../../../../protocol/rtp-formats/types.js';
import { feed, hex } from './helpers.js';

const RATE = 48_000;
/** 90 kHz ticks per 1024-sample frame at 48 kHz: 1920. */
const FRAME_TICKS = (1024 * 90_000) / RATE;

function frame(size: number, index: number): AccessUnit {
  const data = new Uint8Array(size).map((_, i) => (i + index * 31) & 0xff);
  return { type: 'audio', codec: 'aac', pts: index * FRAME_TICKS, dts: index * FRAME_TICKS, keyframe: true, data };
}

// One table drives packetize and depacketize: frames in, packet layout out, same frames back.
const ROUND_TRIPS: Array<{ name: string; sizes: number[]; mtu: number; packets: Array<{ headers: number[]; marker: boolean }> }> = [
  { name: 'one AU per packet', sizes: [300], mtu: 1200, packets: [{ headers: [300], marker: true }] },
  { name: '2 AUs in one packet', sizes: [300, 250], mtu: 1200, packets: [{ headers: [300, 250], marker: true }] },
  {
    name: 'AUs spill into a second packet when the first is full (2 + 2·(2 + 600) > 1200)',
    sizes: [600, 600, 100], mtu: 1200,
    packets: [{ headers: [600], marker: true }, { headers: [600, 100], marker: true }],
  },
  {
    name: 'a 3000-octet AU fragmented over 3 packets, marker on the last',
    sizes: [3000], mtu: 1200,
    packets: [{ headers: [3000], marker: false }, { headers: [3000], marker: false }, { headers: [3000], marker: true }],
  },
  {
    name: 'a fragmented AU between two small ones',
    sizes: [100, 1500, 100], mtu: 1000,
    packets: [{ headers: [100], marker: true }, { headers: [1500], marker: false }, { headers: [1500], marker: true }, { headers: [100], marker: true }],
  },
];

/** AU-sizes of an AAC-hbr payload (13-bit size, 3-bit index per 16-bit header). */
function headers(payload: Uint8Array): number[] {
  const count = (((payload[0] as number) << 8) | (payload[1] as number)) / 16;
  return Array.from({ length: count }, (_, i) => (((payload[2 + 2 * i] as number) << 8) | (payload[3 + 2 * i] as number)) >>> 3);
}

for (const c of ROUND_TRIPS) {
  test(`AAC-hbr round trip: ${c.name}`, () => {
    const frames = c.sizes.map(frame);
    const before = frames.map((f) => hex(f.data));
    const packets = new AacHbrPacketizer({ sampleRate: RATE, maxPayloadSize: c.mtu, timestampOffset: 1000 }).packetizeMany(frames);
    assert.deepEqual(frames.map((f) => hex(f.data)), before);
    assert.deepEqual(packets.map((p) => ({ headers: headers(p.payload), marker: p.marker })), c.packets);
    assert.ok(packets.every((p) => p.payload.length <= c.mtu));
    const d = new AacDepacketizer({ sampleRate: RATE, timestampOrigin: 1000 });
    const { units, errors } = feed(d, packets, 65535);
    assert.deepEqual(errors, []);
    assert.deepEqual(units.map((u) => hex(u.data)), before);
    assert.deepEqual(units.map((u) => u.pts), frames.map((f) => f.pts));
  });
}

test('AAC-hbr: losing a middle fragment drops that AU only; its remaining fragment is discarded', () => {
  const frames = [frame(100, 0), frame(3000, 1), frame(100, 2)];
  const packets = new AacHbrPacketizer({ sampleRate: RATE }).packetizeMany(frames);
  assert.equal(packets.length, 5);
  const d = new AacDepacketizer({ sampleRate: RATE, timestampOrigin: 0 });
  const { units, errors } = feed(d, packets, 10, new Set([2]));
  assert.deepEqual(errors, []);
  assert.deepEqual(units.map((u) => u.pts), [0, 2 * FRAME_TICKS]);
  assert.deepEqual(d.stats, { lostPackets: 1, discardedPackets: 1, droppedUnits: 1 });
});

test('AAC depacketizer reads AAC-lbr headers (sizelength 6, indexlength 2) when told', () => {
  // AU-headers-length 16 bits: two 8-bit headers, sizes 2 and 3.
  const payload = Uint8Array.of(0, 16, 2 << 2, 3 << 2, 0xa, 0xb, 0xc, 0xd, 0xe);
  const d = new AacDepacketizer({ sampleRate: RATE, sizeLength: 6, indexLength: 2, indexDeltaLength: 2 });
  const r = d.push({ payload, sequenceNumber: 1, timestamp: 0, marker: true });
  assert.deepEqual(r.units.map((u) => [...u.data]), [[0xa, 0xb], [0xc, 0xd, 0xe]]);
});

const pkt = (bytes: number[], sequenceNumber = 1, marker = true): RtpPayloadIn => ({ payload: Uint8Array.from(bytes), sequenceNumber, timestamp: 0, marker });

const CORRUPT: Array<{ name: string; packets: RtpPayloadIn[]; errors: string[] }> = [
  { name: 'one octet is truncated', packets: [pkt([0])], errors: ['truncated'] },
  { name: 'AU-headers-length past the end is truncated', packets: [pkt([0, 64, 0, 0])], errors: ['truncated'] },
  { name: 'a header section of 12 bits is bad-au-headers', packets: [pkt([0, 12, 0, 0])], errors: ['bad-au-headers'] },
  { name: 'AU-headers-length 0 is bad-au-headers', packets: [pkt([0, 0, 1])], errors: ['bad-au-headers'] },
  { name: 'two AUs whose sizes exceed the data are truncated', packets: [pkt([0, 32, 0, 5 << 3, 0, 5 << 3, 1, 2, 3])], errors: ['truncated'] },
  { name: 'a non-zero AU-Index is unsupported-interleaving', packets: [pkt([0, 16, 0, (1 << 3) | 1, 7])], errors: ['unsupported-interleaving'] },
  {
    name: 'fragments whose AU-size changes are bad-fragment',
    packets: [pkt([0, 16, 0, 1 << 3, 7]), pkt([0, 16, 0, 9 << 3, 1, 2], 2, false), pkt([0, 16, 0, 8 << 3, 3, 4], 3, true)],
    errors: ['bad-fragment'],
  },
  {
    name: 'fragments that end short of the AU-size are bad-fragment',
    packets: [pkt([0, 16, 0, 1 << 3, 7]), pkt([0, 16, 0, 9 << 3, 1, 2], 2, false), pkt([0, 16, 0, 9 << 3, 3, 4], 3, true)],
    errors: ['bad-fragment'],
  },
];

for (const c of CORRUPT) {
  test(`AAC depacketizer: ${c.name}`, () => {
    const d = new AacDepacketizer({ sampleRate: RATE });
    assert.deepEqual(c.packets.flatMap((p) => d.push(p).error?.reason ?? []), c.errors);
  });
}

test('AAC-hbr packetizer rejects an AU over 8191 octets (13-bit AU-size) as au-too-large', () => {
  assert.throws(() => new AacHbrPacketizer({ sampleRate: RATE }).packetize(frame(8192, 0)), { name: 'ParseError', reason: 'au-too-large' });
});

test('aacHbrFmtp writes the RFC 3640 AAC-hbr parameters with the config in hex', () => {
  assert.equal(aacHbrFmtp(Uint8Array.of(0x11, 0x90)), 'streamtype=5; profile-level-id=1; mode=AAC-hbr; sizelength=13; indexlength=3; indexdeltalength=3; config=1190');
});
