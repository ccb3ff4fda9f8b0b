import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_NACK_AGE_MS, MAX_NACK_RETRIES, NACK_RETRY_INTERVAL_MS, NackGenerator } from '../../../server/sfu/NackGenerator.js';
import { MAX_STORED_PACKET_LENGTH, RetransmissionBuffer } from '../../../server/sfu/RetransmissionBuffer.js';

const pkt = (tag: number, len = 20): Uint8Array => new Uint8Array(len).fill(tag);

test('RetransmissionBuffer returns the stored packet on a hit and undefined on a miss', () => {
  const b = new RetransmissionBuffer(8);
  const src = pkt(7);
  const slot = b.store(100, src);
  assert.ok(slot);
  slot[0] = 0x80; // the caller rewrites the stored copy in place
  assert.equal(src[0], 7, 'the source packet is not touched');
  assert.equal(b.get(100)?.[0], 0x80);
  assert.equal(b.get(100)?.length, 20);
  assert.equal(b.get(101), undefined);
});

test('RetransmissionBuffer overwrites the packet `capacity` numbers older', () => {
  const b = new RetransmissionBuffer(8);
  for (let s = 0; s < 8; s++) b.store(s, pkt(s));
  b.store(8, pkt(99));
  assert.equal(b.get(0), undefined);
  assert.equal(b.get(8)?.[0], 99);
  assert.equal(b.get(1)?.[0], 1);
});

test('RetransmissionBuffer stays consistent across the 16-bit sequence wrap', () => {
  const b = new RetransmissionBuffer(16);
  for (let i = 0; i < 10; i++) b.store((65530 + i) & 0xffff, pkt(i));
  assert.equal(b.get(65535)?.[0], 5);
  assert.equal(b.get(3)?.[0], 9);
  assert.equal(b.get(65529), undefined);
});

test('RetransmissionBuffer does not store oversized packets and rejects a bad capacity', () => {
  const b = new RetransmissionBuffer(8);
  b.store(1, pkt(1));
  assert.equal(b.store(1, pkt(2, MAX_STORED_PACKET_LENGTH + 1)), undefined);
  assert.equal(b.get(1), undefined, 'the older packet in the slot is forgotten');
  assert.throws(() => new RetransmissionBuffer(100), TypeError);
});

test('NackGenerator asks for a gap, retries at the interval, and clears recovered packets', () => {
  const g = new NackGenerator();
  g.onPacket(65533, 0);
  g.onPacket(1, 0); // 65534, 65535, 0 missing across the wrap
  assert.deepEqual(g.collect(0), [65534, 65535, 0]);
  assert.deepEqual(g.collect(NACK_RETRY_INTERVAL_MS - 1), [], 'not again before the retry interval');
  g.onPacket(65535, 10);
  assert.equal(g.recovered, 1);
  assert.deepEqual(g.collect(NACK_RETRY_INTERVAL_MS), [65534, 0]);
});

test('NackGenerator gives up after MAX_NACK_RETRIES or MAX_NACK_AGE_MS and counts the loss', () => {
  const g = new NackGenerator();
  g.onPacket(10, 0);
  g.onPacket(12, 0);
  let asked = 0;
  for (let t = 0; t < MAX_NACK_AGE_MS; t += NACK_RETRY_INTERVAL_MS) asked += g.collect(t).length;
  assert.equal(asked, MAX_NACK_RETRIES);
  assert.equal(g.missingCount, 0);
  assert.equal(g.lost, 1);
  g.onPacket(14, 2000);
  assert.deepEqual(g.collect(2000 + MAX_NACK_AGE_MS + 1), []);
  assert.equal(g.lost, 2);
});

test('NackGenerator treats a huge gap as a restart, not a NACK storm', () => {
  const g = new NackGenerator();
  g.onPacket(0, 0);
  g.onPacket(5000, 0);
  assert.deepEqual(g.collect(0), []);
});
