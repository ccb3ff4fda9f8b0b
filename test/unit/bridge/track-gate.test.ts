import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INGEST_GATE_MAX_UNITS, TrackGate, type TrackSink } from '../../../gateway/ingest-rtp/track-gate.js';
import type { AccessUnit, TrackInfo } from '../../../protocol/media/access-unit.js';

const VIDEO: TrackInfo = { type: 'video', codec: 'h264', config: new Uint8Array([1]) };
const AUDIO: TrackInfo = { type: 'audio', codec: 'aac', config: new Uint8Array([0x11, 0x90]), sampleRate: 48_000, channels: 2 };
const unit = (type: 'video' | 'audio', dts: number): AccessUnit => ({ type, codec: type === 'video' ? 'h264' : 'aac', pts: dts, dts, keyframe: true, data: new Uint8Array([dts & 0xff]) });

/** A sink that records calls in order: 'tracks:video', 'unit:audio@3000'. */
function recorder(): TrackSink & { log: string[] } {
  const log: string[] = [];
  return { log, setTrack: (t) => void log.push(`tracks:${t.type}`), pushUnit: (u) => void log.push(`unit:${u.type}@${u.dts}`) };
}

test('TrackGate: holds units until both tracks are known, then publishes both tracks and the units by dts', (t) => {
  const sink = recorder();
  const gate = new TrackGate(sink, ['video', 'audio']);
  t.after(() => gate.close());
  gate.setTrack(VIDEO);
  gate.pushUnit(unit('video', 0));
  gate.pushUnit(unit('video', 3000));
  assert.deepEqual(sink.log, [], 'nothing before the audio config');
  assert.equal(gate.isOpen, false);
  gate.setTrack(AUDIO);
  gate.pushUnit(unit('audio', 1000));
  assert.deepEqual(sink.log, ['tracks:video', 'tracks:audio', 'unit:video@0', 'unit:video@3000', 'unit:audio@1000']);
  assert.equal(gate.isOpen, true);
});

test('TrackGate: held units of both tracks interleave by dts, each track in its order', (t) => {
  const sink = recorder();
  const gate = new TrackGate(sink, ['video', 'audio']);
  t.after(() => gate.close());
  gate.pushUnit(unit('audio', 500));
  gate.setTrack(VIDEO);
  for (const d of [0, 3000, 6000]) gate.pushUnit(unit('video', d));
  gate.setTrack(AUDIO);
  assert.deepEqual(sink.log, ['tracks:video', 'tracks:audio', 'unit:video@0', 'unit:audio@500', 'unit:video@3000', 'unit:video@6000']);
});

test('TrackGate: opens with what is known after the timeout; a late track passes straight through', async (t) => {
  const sink = recorder();
  const gate = new TrackGate(sink, ['video', 'audio'], 20);
  t.after(() => gate.close());
  gate.setTrack(VIDEO);
  gate.pushUnit(unit('video', 0));
  gate.pushUnit(unit('audio', 100)); // audio before its config: dropped at opening
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(sink.log, ['tracks:video', 'unit:video@0']);
  gate.setTrack(AUDIO);
  assert.deepEqual(sink.log.at(-1), 'tracks:audio');
});

test('TrackGate: nothing expected is open at once; the held buffer is bounded', (t) => {
  const open = recorder();
  assert.equal(new TrackGate(open, []).isOpen, true);
  const sink = recorder();
  const gate = new TrackGate(sink, ['video', 'audio']);
  t.after(() => gate.close());
  gate.setTrack(VIDEO);
  for (let i = 0; i < INGEST_GATE_MAX_UNITS + 5; i++) gate.pushUnit(unit('video', i));
  assert.equal(gate.dropped, 5);
  gate.setTrack(AUDIO);
  assert.equal(sink.log.filter((l) => l.startsWith('unit:')).length, INGEST_GATE_MAX_UNITS);
  assert.equal(sink.log[2], 'unit:video@5', 'the oldest went');
});
