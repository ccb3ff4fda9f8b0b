import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_REORDER_PACKETS, RtpReorderBuffer } from '../../../../protocol/rtp/reorder-buffer.js';
import { RtpReceiverStats } from '../../../../protocol/rtp/receiver-stats.js';

const seqs = (list: { sequenceNumber: number }[]): number[] => list.map((p) => p.sequenceNumber);

// Arrival orders and the release order they produce.
const ORDERS: { name: string; arrivals: number[]; released: number[]; late?: number }[] = [
  { name: 'in order passes straight through', arrivals: [1, 2, 3], released: [1, 2, 3] },
  { name: 'a swapped pair is put back in order', arrivals: [1, 3, 2, 4], released: [1, 2, 3, 4] },
  { name: 'across the 16-bit wrap', arrivals: [65534, 0, 65535, 1], released: [65534, 65535, 0, 1] },
  { name: 'a duplicate of a released packet is late', arrivals: [1, 2, 2, 3], released: [1, 2, 3], late: 1 },
  { name: 'a sender restart far behind resynchronises', arrivals: [5000, 5001, 10, 11], released: [5000, 5001, 10, 11] },
];
for (const c of ORDERS) {
  test(`RtpReorderBuffer: ${c.name}`, () => {
    const b = new RtpReorderBuffer<{ sequenceNumber: number }>();
    const out = c.arrivals.flatMap((s) => b.push({ sequenceNumber: s }));
    assert.deepEqual(seqs(out), c.released);
    assert.equal(b.late, c.late ?? 0);
  });
}

test('RtpReorderBuffer: a real loss is given up after MAX_REORDER_PACKETS held packets', () => {
  const b = new RtpReorderBuffer<{ sequenceNumber: number }>();
  const out = [b.push({ sequenceNumber: 100 })];
  for (let s = 102; s <= 102 + MAX_REORDER_PACKETS; s++) out.push(b.push({ sequenceNumber: s }));
  const released = seqs(out.flat());
  assert.equal(released.length, MAX_REORDER_PACKETS + 2);
  assert.equal(released[1], 102);
  assert.deepEqual(seqs(b.push({ sequenceNumber: 103 + MAX_REORDER_PACKETS })), [103 + MAX_REORDER_PACKETS]);
});

test('RtpReceiverStats: loss, fraction lost, extended sequence across a wrap, LSR/DLSR', () => {
  const s = new RtpReceiverStats(90_000);
  assert.equal(s.reportBlock(1, 0), undefined);
  // 65530..65535, 0..9 with 2 and 3 lost: 16 expected, 14 received.
  const sent = [...Array.from({ length: 6 }, (_, i) => 65530 + i), ...Array.from({ length: 10 }, (_, i) => i)].filter((q) => q !== 2 && q !== 3);
  sent.forEach((q, i) => s.onPacket(q, i * 3000, i * 33.3333));
  s.onSenderReport(0x12345678, 0x9abcdef0, 500);
  const r = s.reportBlock(0xabc, 1500)!;
  assert.equal(r.packetsLost, 2);
  assert.equal(r.highestSequence, 0x1_0000 + 9);
  assert.equal(r.fractionLost, Math.floor((2 * 256) / 16));
  assert.equal(r.lastSr, 0x56789abc);
  assert.equal(r.delaySinceLastSr, 65536);
  assert.ok(r.jitter < 10, `steady arrivals give little jitter, got ${r.jitter}`);
  assert.equal(s.reportBlock(0xabc, 1600)!.fractionLost, 0, 'nothing lost since the last report');
});
