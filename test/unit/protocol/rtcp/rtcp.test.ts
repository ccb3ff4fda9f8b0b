import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParseError } from '../../../../protocol/errors.js';
import {
  buildBye,
  buildFir,
  buildNack,
  buildPli,
  buildReceiverReport,
  buildRemb,
  buildSdesCname,
  buildSenderReport,
  MAX_RTCP_PACKETS_PER_COMPOUND,
  nackItemsToSequenceNumbers,
  parseRtcp,
  sequenceNumbersToNackItems,
  type RtcpPacket,
} from '../../../../protocol/rtcp/index.js';

const block = { ssrc: 0x11223344, fractionLost: 25, packetsLost: -3, highestSequence: 0x0001fffe, jitter: 77, lastSr: 0xabcdef01, delaySinceLastSr: 65536 };

/** One table drives build and parse: the built bytes must parse back to `want`. */
const roundTrip: { name: string; bytes: Uint8Array; want: RtcpPacket }[] = [
  {
    name: 'SR with a report block',
    bytes: buildSenderReport({ ssrc: 1, ntpSeconds: 0xe0000000, ntpFraction: 0x80000000, rtpTimestamp: 0xfffffff0, packetCount: 10, octetCount: 1000 }, [block]),
    want: { type: 'sr', ssrc: 1, ntpSeconds: 0xe0000000, ntpFraction: 0x80000000, rtpTimestamp: 0xfffffff0, packetCount: 10, octetCount: 1000, reports: [block] },
  },
  { name: 'RR with no blocks', bytes: buildReceiverReport(7), want: { type: 'rr', ssrc: 7, reports: [] } },
  { name: 'RR with a block', bytes: buildReceiverReport(7, [block]), want: { type: 'rr', ssrc: 7, reports: [block] } },
  { name: 'SDES CNAME', bytes: buildSdesCname(9, 'estuary-alice'), want: { type: 'sdes', chunks: [{ ssrc: 9, cname: 'estuary-alice' }] } },
  { name: 'SDES CNAME of a word-aligned length', bytes: buildSdesCname(9, 'ab'), want: { type: 'sdes', chunks: [{ ssrc: 9, cname: 'ab' }] } },
  { name: 'BYE with reason', bytes: buildBye([1, 2], 'gone'), want: { type: 'bye', ssrcs: [1, 2], reason: 'gone' } },
  { name: 'BYE without reason', bytes: buildBye([3]), want: { type: 'bye', ssrcs: [3] } },
  { name: 'generic NACK', bytes: buildNack(1, 2, [100, 101, 116, 117, 200]), want: { type: 'nack', senderSsrc: 1, mediaSsrc: 2, sequenceNumbers: [100, 101, 116, 117, 200] } },
  { name: 'generic NACK across the wrap', bytes: buildNack(1, 2, [65534, 65535, 0, 3]), want: { type: 'nack', senderSsrc: 1, mediaSsrc: 2, sequenceNumbers: [65534, 65535, 0, 3] } },
  { name: 'PLI', bytes: buildPli(5, 6), want: { type: 'pli', senderSsrc: 5, mediaSsrc: 6 } },
  { name: 'FIR', bytes: buildFir(5, 6, 3), want: { type: 'fir', senderSsrc: 5, entries: [{ ssrc: 6, sequenceNumber: 3 }] } },
  { name: 'REMB 2.5 Mbps', bytes: buildRemb(5, 2_500_000, [6, 7]), want: { type: 'remb', senderSsrc: 5, bitrate: 2_500_000 - (2_500_000 % 16), ssrcs: [6, 7] } },
  { name: 'REMB small value exact', bytes: buildRemb(5, 123_456, []), want: { type: 'remb', senderSsrc: 5, bitrate: 123_456, ssrcs: [] } },
];

for (const c of roundTrip) {
  test(`RTCP ${c.name} builds and parses back`, () => {
    assert.equal(c.bytes.length % 4, 0, 'length is whole 32-bit words');
    const copy = Uint8Array.from(c.bytes);
    assert.deepEqual(parseRtcp(c.bytes), [c.want]);
    assert.deepEqual(c.bytes, copy, 'input not mutated');
  });
}

test('parseRtcp() walks a compound packet (RFC 3550 §6.1) and recognizes TWCC', () => {
  const twcc = Uint8Array.from([0x8f, 205, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 1, 0, 0, 0, 0]);
  const compound = Buffer.concat([buildReceiverReport(1), buildSdesCname(1, 'x'), buildPli(1, 2), twcc, buildRemb(1, 1000, [2])]);
  assert.deepEqual(
    parseRtcp(compound).map((p) => p.type),
    ['rr', 'sdes', 'pli', 'twcc', 'remb'],
  );
});

test('parseRtcp() reports APP, XR and unknown feedback as unknown', () => {
  const app = Uint8Array.from([0x80, 204, 0, 2, 0, 0, 0, 1, 0x41, 0x42, 0x43, 0x44]);
  const psfbOther = Uint8Array.from([0x82, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]);
  assert.deepEqual(parseRtcp(Buffer.concat([app, psfbOther])), [
    { type: 'unknown', packetType: 204, format: 0 },
    { type: 'unknown', packetType: 206, format: 2 },
  ]);
});

const corrupt: { name: string; bytes: Uint8Array; reason: string }[] = [
  { name: 'a header cut short', bytes: Uint8Array.from([0x80, 201]), reason: 'truncated' },
  { name: 'version 1', bytes: Uint8Array.from([0x40, 201, 0, 1, 0, 0, 0, 1]), reason: 'bad-version' },
  { name: 'a length past the end', bytes: Uint8Array.from([0x80, 201, 0, 5, 0, 0, 0, 1]), reason: 'truncated' },
  { name: 'an SR shorter than its sender info', bytes: Uint8Array.from([0x80, 200, 0, 1, 0, 0, 0, 1]), reason: 'truncated' },
  { name: 'an RR count beyond its length', bytes: Uint8Array.from([0x81, 201, 0, 1, 0, 0, 0, 1]), reason: 'truncated' },
  { name: 'padding larger than the packet', bytes: Uint8Array.from([0xa0, 201, 0, 1, 0, 0, 0, 9]), reason: 'bad-padding' },
  { name: 'a feedback packet without media SSRC', bytes: Uint8Array.from([0x81, 206, 0, 1, 0, 0, 0, 1]), reason: 'truncated' },
  { name: 'too many packets', bytes: Buffer.concat(Array.from({ length: MAX_RTCP_PACKETS_PER_COMPOUND + 1 }, () => buildReceiverReport(1))), reason: 'too-many-packets' },
];

for (const c of corrupt) {
  test(`parseRtcp() with ${c.name} throws ParseError '${c.reason}'`, () => {
    assert.throws(() => parseRtcp(c.bytes), (e: unknown) => e instanceof ParseError && e.reason === c.reason);
  });
}

test('sequenceNumbersToNackItems() packs PID+BLP (RFC 4585 §6.2.1) and expands back', () => {
  const table: [number[], { pid: number; blp: number }[]][] = [
    [[10], [{ pid: 10, blp: 0 }]],
    [[10, 11, 26], [{ pid: 10, blp: 0b1000_0000_0000_0001 }]],
    [[10, 27], [{ pid: 10, blp: 0 }, { pid: 27, blp: 0 }]],
    [[65535, 0, 1], [{ pid: 65535, blp: 0b11 }]],
    [[5, 5, 6], [{ pid: 5, blp: 1 }]],
    [[], []],
  ];
  for (const [seqs, items] of table) {
    assert.deepEqual(sequenceNumbersToNackItems(seqs), items, String(seqs));
    assert.deepEqual(nackItemsToSequenceNumbers(items), [...new Set(seqs)], String(seqs));
  }
});
