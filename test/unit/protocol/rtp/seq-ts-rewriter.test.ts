import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REORDER_WINDOW, SeqTsRewriter } from '../../../../protocol/rtp/index.js';

const A = 0xaaaa;
const B = 0xbbbb;

/** Rewrites and returns [seq, ts] or null when dropped. */
function run(r: SeqTsRewriter, ssrc: number, seq: number, ts: number, now = 0): [number, number] | null {
  return r.rewrite(ssrc, seq, ts, now) ? [r.seq, r.timestamp] : null;
}

test('SeqTsRewriter output is continuous across a 16-bit input wrap', () => {
  const r = new SeqTsRewriter(90000, 1000);
  const out: number[] = [];
  for (let i = 0; i < 6; i++) out.push(run(r, A, (65533 + i) & 0xffff, 3000 * i)![0]);
  assert.deepEqual(out, [1000, 1001, 1002, 1003, 1004, 1005]);
});

test('SeqTsRewriter output wraps its own 16-bit sequence and 32-bit timestamp', () => {
  const r = new SeqTsRewriter(90000, 65534);
  assert.deepEqual(run(r, A, 10, 0xfffffffe), [65534, 0xfffffffe]);
  assert.deepEqual(run(r, A, 11, 0xffffffff), [65535, 0xffffffff]);
  assert.deepEqual(run(r, A, 12, 0x00000002), [0, 2]);
});

test('SeqTsRewriter keeps input loss as a gap and maps reordered packets consistently', () => {
  const r = new SeqTsRewriter(90000, 500);
  assert.deepEqual(run(r, A, 100, 0), [500, 0]);
  assert.deepEqual(run(r, A, 103, 9000), [503, 9000]); // 101, 102 lost so far
  assert.deepEqual(run(r, A, 101, 3000), [501, 3000]); // late: same number it would have had
  assert.deepEqual(run(r, A, 104, 12000), [504, 12000]);
});

test('SeqTsRewriter drops packets older than the reorder window', () => {
  const r = new SeqTsRewriter(90000, 0);
  run(r, A, 1000, 0);
  run(r, A, 1000 + REORDER_WINDOW + 10, 0);
  assert.equal(run(r, A, 1005, 0), null);
});

test('SeqTsRewriter after resync() (pause/resume) continues with no gap and keeps the timestamp offset', () => {
  const r = new SeqTsRewriter(48000, 7);
  assert.deepEqual(run(r, A, 65530, 1000, 0), [7, 1000]);
  assert.deepEqual(run(r, A, 65531, 1960, 20), [8, 1960]);
  r.resync();
  // paused for 400 packets across the input wrap; the first packet after resume follows directly
  assert.deepEqual(run(r, A, (65531 + 400) & 0xffff, 1960 + 400 * 960, 8020), [9, 1960 + 400 * 960]);
  assert.equal(run(r, A, (65531 + 399) & 0xffff, 1960, 8020), null, 'a packet from before the resume is dropped');
  assert.deepEqual(run(r, A, (65531 + 401) & 0xffff, 1960 + 401 * 960, 8040), [10, 1960 + 401 * 960]);
});

test('SeqTsRewriter on a source change continues the sequence and advances the timestamp by wall clock', () => {
  const r = new SeqTsRewriter(90000, 100);
  assert.deepEqual(run(r, A, 5000, 0xfffff000, 1000), [100, 0xfffff000]);
  // B starts 500 ms later with unrelated numbering: +45000 ticks at 90 kHz, across the 32-bit wrap
  const first = run(r, B, 17, 123456, 1500);
  assert.deepEqual(first, [101, (0xfffff000 + 45000) % 2 ** 32]);
  assert.deepEqual(run(r, B, 18, 123456 + 3000, 1533), [102, (0xfffff000 + 48000) % 2 ** 32]);
  assert.equal(r.mapTimestamp(B, 123456), (0xfffff000 + 45000) % 2 ** 32);
  assert.equal(r.mapTimestamp(A, 0), undefined);
});

test('SeqTsRewriter advances the timestamp by at least one tick on an immediate source change', () => {
  const r = new SeqTsRewriter(90000, 0);
  run(r, A, 1, 5000, 10);
  assert.deepEqual(run(r, B, 9, 0, 10), [1, 5001]);
});

test('SeqTsRewriter takes a huge forward jump of one source as a restart with no gap', () => {
  const r = new SeqTsRewriter(90000, 0);
  run(r, A, 1, 0);
  assert.deepEqual(run(r, A, 20001, 3000), [1, 3000]);
});
