import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CATCH_UP_SPEED, CatchUpPacer, catchUpShift } from '../../../gateway/bridge/catch-up-pacer.js';
import type { AccessUnit } from '../../../protocol/media/access-unit.js';

const unit = (dts: number, ptsOffset = 0): AccessUnit => ({ type: 'video', codec: 'h264', pts: dts + ptsOffset, dts, keyframe: dts === 0, data: new Uint8Array([1]) });

test('catchUpShift: the backlog moves to the live time it is sent at; from the catch-up point on, nothing moves', () => {
  const live = 90_000; // 1 s of backlog
  assert.equal(catchUpShift(0, 0, live), live, 'the first unit is sent now: live time');
  assert.equal(catchUpShift(45_000, 0, live), live + 45_000 / CATCH_UP_SPEED - 45_000);
  const point = (CATCH_UP_SPEED * live) / (CATCH_UP_SPEED - 1);
  assert.equal(catchUpShift(point, 0, live), 0);
  assert.equal(catchUpShift(point + 9000, 0, live), 0);
  // Output timestamps never go back and join the live ones without a jump.
  let last = -1;
  for (let d = 0; d <= point + 9000; d += 3000) {
    const out = d + catchUpShift(d, 0, live);
    assert.ok(out > last, `dts ${d}`);
    last = out;
  }
});

test('CatchUpPacer: sends the first unit at once with live timestamps (pts − dts kept), the rest on its clock', async (t) => {
  let now = 0;
  const sent: AccessUnit[] = [];
  const pacer = new CatchUpPacer((u) => sent.push(u), () => now);
  t.after(() => pacer.close());
  pacer.start([unit(0, 3000), unit(3000), unit(90_000)]);
  assert.deepEqual(sent.map((u) => [u.dts, u.pts]), [[90_000, 93_000]]);
  now = 10; // 10 ms × 4 = 3600 ticks of backlog due
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(sent.length, 2);
  assert.equal(sent[1]!.dts, 90_000 + Math.round(3000 / CATCH_UP_SPEED));
  assert.equal(pacer.push(unit(93_000)), true, 'a live unit queues behind the backlog');
});
