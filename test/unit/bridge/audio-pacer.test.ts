import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AUDIO_MAX_HOLD_MS, AUDIO_MAX_LATE_MS, AUDIO_RESYNC_GAP_MS, AUDIO_START_MAX_LATE_MS, AudioPacer } from '../../../gateway/bridge/audio-pacer.js';
import type { AccessUnit } from '../../../protocol/media/access-unit.js';

const unit = (ptsMs: number): AccessUnit => ({ type: 'audio', codec: 'opus', pts: ptsMs * 90, dts: ptsMs * 90, keyframe: true, data: new Uint8Array([ptsMs & 0xff]) });

/** A pacer on a fake clock where pts 0 was captured at wall 1000 ms. */
function setup(delayMs: number): { pacer: AudioPacer; sent: [ptsMs: number, atMs: number][]; clock: { now: number } } {
  const clock = { now: 1000 };
  const sent: [number, number][] = [];
  const pacer = new AudioPacer({ send: (u) => sent.push([u.pts / 90, clock.now]), unixMsOf: (pts) => 1000 + pts / 90, delayMs, now: () => clock.now });
  return { pacer, sent, clock };
}

test('AudioPacer: a packet due now goes at once; an early one waits for capture time + delay', async (t) => {
  const { pacer, sent, clock } = setup(30);
  t.after(() => pacer.close());
  clock.now = 1030;
  pacer.push(unit(0));
  assert.deepEqual(sent, [[0, 1030]]);
  pacer.push(unit(10)); // due at 1040
  assert.equal(sent.length, 1, 'held until due');
  clock.now = 1040;
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(sent, [[0, 1030], [10, 1040]]);
});

test('AudioPacer: a packet more than AUDIO_MAX_LATE_MS behind is dropped and counted; a little late goes at once', (t) => {
  const { pacer, sent, clock } = setup(0);
  t.after(() => pacer.close());
  clock.now = 1000 + 500 + AUDIO_MAX_LATE_MS + 1;
  pacer.push(unit(500));
  assert.equal(pacer.dropped, 1);
  pacer.push(unit(500 + AUDIO_MAX_LATE_MS - 10));
  assert.equal(sent.length, 1);
});

test('AudioPacer: a packet due far ahead (clock jump) is held at most AUDIO_MAX_HOLD_MS; close() drops what is held', async (t) => {
  const { pacer, sent, clock } = setup(0);
  t.after(() => pacer.close());
  pacer.push(unit(60_000));
  clock.now += AUDIO_MAX_HOLD_MS;
  await new Promise((r) => setTimeout(r, AUDIO_MAX_HOLD_MS + 50));
  assert.equal(sent.length, 1);
  pacer.push(unit(60_010 + 60_000));
  pacer.close();
  clock.now += 2 * AUDIO_MAX_HOLD_MS;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(sent.length, 1);
});

test('AudioPacer: at the start and after a gap, late packets are dropped until one comes in time', (t) => {
  const { pacer, sent, clock } = setup(0);
  t.after(() => pacer.close());
  clock.now = 1000 + AUDIO_START_MAX_LATE_MS + 50;
  pacer.push(unit(0)); // the transcoder's late first output
  assert.equal(pacer.dropped, 1);
  pacer.push(unit(50)); // in time: from here on the looser limit holds
  pacer.push(unit(40));
  assert.deepEqual(sent.map(([p]) => p), [50, 40]);
  clock.now += AUDIO_RESYNC_GAP_MS + 1;
  pacer.push(unit(100)); // after a gap, late again: dropped
  assert.equal(pacer.dropped, 2);
});
