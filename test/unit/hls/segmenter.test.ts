import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HlsSegmenter, type SegmenterEvent, type SegmenterPart } from '../../../gateway/hls/segmenter.js';
import type { AccessUnit, TrackInfo } from '../../../protocol/media/access-unit.js';
import { AUDIO_TRACK, VIDEO_TRACK, VIDEO_TICKS, audioUnits, avUnits } from './synthetic.js';

const SEGMENT = 90_000; // 1 s
const PART = 22_500; // 250 ms

function segmenter(partTicks = PART): HlsSegmenter {
  return new HlsSegmenter({ segmentTicks: SEGMENT, partTicks, usable: (t) => t.config !== undefined });
}

function run(s: HlsSegmenter, tracks: TrackInfo[], units: AccessUnit[]): SegmenterEvent[] {
  const events = s.setTracks(tracks);
  for (const u of units) events.push(...s.push(u));
  events.push(...s.flush());
  return events;
}

/** Groups part events into segments. */
function segments(events: SegmenterEvent[]): SegmenterPart[][] {
  const out: SegmenterPart[][] = [];
  let current: SegmenterPart[] = [];
  for (const e of events) {
    if (e.kind === 'part') current.push(e.part);
    if (e.kind === 'segment') {
      out.push(current);
      current = [];
    }
  }
  return out;
}

test('segmenter cuts parts at or under the part target, and never empty', () => {
  const events = run(segmenter(), [VIDEO_TRACK, AUDIO_TRACK], avUnits(6, 30));
  const parts = events.flatMap((e) => (e.kind === 'part' ? [e.part] : []));
  assert.ok(parts.length >= 20, `only ${parts.length} parts`);
  for (const p of parts) {
    assert.ok(p.endDts - p.startDts <= PART, `part of ${p.endDts - p.startDts} ticks exceeds the target`);
    assert.ok(p.units.some((u) => u.type === 'video'));
  }
  // With 30 fps frames, a 250 ms target holds 7 frames (233 ms): parts are close to the target.
  const full = parts.filter((p) => p.endDts - p.startDts >= PART - 2 * VIDEO_TICKS);
  assert.ok(full.length >= parts.length * 0.6);
});

test('segmenter cuts segments only at keyframes, at the first one after the target', () => {
  // Keyframe every 45 frames (1.5 s) with a 1 s target: segments of 1.5 s, not 1 s.
  const segs = segments(run(segmenter(), [VIDEO_TRACK, AUDIO_TRACK], avUnits(9, 45)));
  assert.equal(segs.length, 6);
  for (const seg of segs) {
    const first = seg[0]!.units.find((u) => u.type === 'video')!;
    assert.equal(first.keyframe, true);
    const duration = seg[seg.length - 1]!.endDts - seg[0]!.startDts;
    assert.equal(duration, 45 * VIDEO_TICKS);
  }
});

test('segmenter marks a part INDEPENDENT exactly when it starts with a keyframe', () => {
  const parts = run(segmenter(), [VIDEO_TRACK], avUnits(4, 15, false)).flatMap((e) => (e.kind === 'part' ? [e.part] : []));
  for (const p of parts) assert.equal(p.independent, p.units[0]!.keyframe, `part at ${p.startDts}`);
  assert.ok(parts.some((p) => !p.independent));
  assert.ok(parts.filter((p) => p.independent).length >= 4);
});

test('segmenter drops units before the first keyframe, audio included', () => {
  const s = segmenter();
  s.setTracks([VIDEO_TRACK, AUDIO_TRACK]);
  const units = avUnits(2, 30).slice(0); // keyframes at 0 and 1 s
  const late = units.filter((u) => u.dts >= 15 * VIDEO_TICKS);
  const events = late.flatMap((u) => s.push(u));
  const first = events.find((e) => e.kind === 'part');
  assert.ok(first && first.kind === 'part');
  assert.equal(first.part.startDts, 30 * VIDEO_TICKS);
  assert.ok(s.dropped > 0);
  assert.equal(events[0]!.kind, 'init');
});

test('segmenter starts a new generation with a discontinuity when the codec config changes', () => {
  const s = segmenter();
  const events = run(s, [VIDEO_TRACK, AUDIO_TRACK], []);
  const before = avUnits(2, 30);
  for (const u of before) events.push(...s.push(u));
  const changed: TrackInfo = { ...VIDEO_TRACK, config: Uint8Array.of(1, 0x64, 0, 0x1f, 0xff, 0xe0, 0) };
  const atChange = s.setTracks([changed, AUDIO_TRACK]);
  assert.deepEqual(atChange.map((e) => e.kind), ['part', 'segment']);
  const after = avUnits(2, 30, true, 2 * 90_000);
  const next = after.flatMap((u) => s.push(u));
  const init = next.find((e) => e.kind === 'init');
  assert.ok(init && init.kind === 'init');
  assert.equal(init.discontinuity, true);
  assert.equal(init.tracks[0]!.config, changed.config);
  assert.equal(events.filter((e) => e.kind === 'init').length, 1);
});

test('segmenter replaces the track set silently when it changes before any media', () => {
  const s = segmenter();
  s.setTracks([VIDEO_TRACK]);
  s.setTracks([VIDEO_TRACK, AUDIO_TRACK]);
  const events = avUnits(1, 30).flatMap((u) => s.push(u));
  const init = events[0];
  assert.ok(init && init.kind === 'init');
  assert.equal(init.discontinuity, false);
  assert.equal(init.tracks.length, 2);
});

test('segmenter cuts an audio-only stream by time, every part independent', () => {
  const segs = segments(run(segmenter(), [AUDIO_TRACK], audioUnits(4)));
  assert.equal(segs.length, 4);
  for (const seg of segs) for (const p of seg) {
    assert.equal(p.independent, true);
    assert.ok(p.endDts - p.startDts <= PART);
  }
});

test('segmenter with parts off emits one part per segment (MPEG-TS mode)', () => {
  const segs = segments(run(segmenter(0), [VIDEO_TRACK, AUDIO_TRACK], avUnits(4, 30)));
  assert.equal(segs.length, 4);
  for (const seg of segs) assert.equal(seg.length, 1);
});

test('segmenter after restart() begins with a discontinuity at the next keyframe', () => {
  const s = segmenter();
  run(s, [VIDEO_TRACK], avUnits(1, 30, false));
  assert.deepEqual(s.restart(), []);
  s.setTracks([VIDEO_TRACK]);
  const events = avUnits(1, 30, false).flatMap((u) => s.push(u));
  const init = events[0];
  assert.ok(init && init.kind === 'init' && init.discontinuity);
});
