import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BFRAME_PROBE_FRAMES, detectBFrames } from '../../../gateway/bridge/bframes.js';

/**
 * An avcC (ISO 14496-15 §5.3.3.1) written by hand with the given AVCProfileIndication, one
 * short SPS and one PPS (their bodies are not parsed by the detection).
 */
const avcc = (profileIdc: number): Uint8Array => Uint8Array.of(1, profileIdc, 0xc0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, profileIdc, 0xc0, 0x1e, 1, 0, 4, 0x68, 0xce, 0x3c, 0x80);
const frames = (list: [number, number][]): { pts: number; dts: number }[] => list.map(([pts, dts]) => ({ pts, dts }));
const inOrder = (n: number): [number, number][] => Array.from({ length: n }, (_, i): [number, number] => [i * 3600, i * 3600]);

const table: { name: string; config?: Uint8Array; frames: [number, number][]; verdict: 'none' | 'present' | 'unknown' }[] = [
  { name: 'baseline profile: none at once', config: avcc(66), frames: [], verdict: 'none' },
  { name: 'baseline profile even with a bogus offset', config: avcc(66), frames: [[7200, 0]], verdict: 'none' },
  { name: 'main profile, IDR with composition offset (x264 -bf 2)', config: avcc(77), frames: [[7200, 0]], verdict: 'present' },
  { name: 'high profile, B-frame pattern I P B B', config: avcc(100), frames: [[7200, 0], [18000, 3600], [10800, 7200], [14400, 10800]], verdict: 'present' },
  { name: 'high profile, too few frames in order', config: avcc(100), frames: inOrder(BFRAME_PROBE_FRAMES - 1), verdict: 'unknown' },
  { name: 'high profile, enough frames in order', config: avcc(100), frames: inOrder(BFRAME_PROBE_FRAMES), verdict: 'none' },
  { name: 'no config, reordered', frames: [[3600, 0]], verdict: 'present' },
  { name: 'corrupt config is ignored', config: Uint8Array.of(1, 2), frames: inOrder(2), verdict: 'unknown' },
];

for (const c of table) {
  test(`detectBFrames: ${c.name} → ${c.verdict}`, () => {
    assert.equal(detectBFrames(c.config, frames(c.frames)), c.verdict);
  });
}
