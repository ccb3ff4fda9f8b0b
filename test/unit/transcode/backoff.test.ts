import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, FFMPEG_RESTART_MAX_MS, FFMPEG_RESTART_MIN_MS, FFMPEG_STABLE_MS } from '../../../gateway/transcode/backoff.js';

test('backoff doubles from the minimum and stays at the maximum', () => {
  const b = new Backoff();
  const delays = Array.from({ length: 10 }, () => b.next(0));
  assert.deepEqual(delays, [200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000, 10_000]);
  assert.equal(delays[0], FFMPEG_RESTART_MIN_MS);
  assert.equal(delays.at(-1), FFMPEG_RESTART_MAX_MS);
});

test('backoff starts over after a stable run or reset()', () => {
  const b = new Backoff(100, 1000, 5000);
  assert.deepEqual([b.next(), b.next(), b.next()], [100, 200, 400]);
  assert.equal(b.next(5000), 100);
  b.next();
  b.reset();
  assert.equal(b.next(), 100);
  assert.equal(new Backoff().next(FFMPEG_STABLE_MS), FFMPEG_RESTART_MIN_MS);
});

test('backoff rejects a bad range with TypeError', () => {
  assert.throws(() => new Backoff(0, 10), TypeError);
  assert.throws(() => new Backoff(100, 10), TypeError);
});
