import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessUnit, TrackInfo } from '../../../../protocol/media/access-unit.js';
import { RtpTimestampUnwrapper, SequenceTracker, rescaleTicks, rtpFormatFor } from '../../../../protocol/rtp-formats/index.js';
import { avcc, feed, hex, nalu } from './helpers.js';

const AAC_TRACK: TrackInfo = { type: 'audio', codec: 'aac', sampleRate: 44_100, channels: 2, config: Uint8Array.of(0x12, 0x10) };

// The codec table: SDP lines per codec, and each format's own packetizer feeding its depacketizer.
const TABLE: Array<{ track: TrackInfo; pt: number; clock: number; rtpmap: string; fmtp: string | undefined; unit: AccessUnit }> = [
  {
    track: { type: 'video', codec: 'h264' }, pt: 96, clock: 90_000, rtpmap: 'H264/90000', fmtp: 'packetization-mode=1;profile-level-id=42e01f',
    unit: { type: 'video', codec: 'h264', pts: 0, dts: 0, keyframe: true, data: avcc([nalu([0x65], 3000)]) },
  },
  {
    track: { type: 'video', codec: 'h265' }, pt: 97, clock: 90_000, rtpmap: 'H265/90000', fmtp: undefined,
    unit: { type: 'video', codec: 'h265', pts: 0, dts: 0, keyframe: true, data: avcc([nalu([0x26, 0x01], 3000)]) },
  },
  {
    track: { type: 'video', codec: 'vp8' }, pt: 98, clock: 90_000, rtpmap: 'VP8/90000', fmtp: undefined,
    unit: { type: 'video', codec: 'vp8', pts: 0, dts: 0, keyframe: true, data: nalu([0x50], 3000) },
  },
  {
    track: { type: 'audio', codec: 'opus', sampleRate: 48_000, channels: 2 }, pt: 111, clock: 48_000, rtpmap: 'opus/48000/2', fmtp: 'minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1',
    unit: { type: 'audio', codec: 'opus', pts: 0, dts: 0, keyframe: true, data: nalu([0xfc], 100) },
  },
  {
    track: AAC_TRACK, pt: 100, clock: 44_100, rtpmap: 'MPEG4-GENERIC/44100/2',
    fmtp: 'streamtype=5; profile-level-id=1; mode=AAC-hbr; sizelength=13; indexlength=3; indexdeltalength=3; config=1210',
    unit: { type: 'audio', codec: 'aac', pts: 0, dts: 0, keyframe: true, data: nalu([0x21], 2000) },
  },
  {
    track: { type: 'audio', codec: 'pcmu', sampleRate: 8000, channels: 1 }, pt: 0, clock: 8000, rtpmap: 'PCMU/8000', fmtp: undefined,
    unit: { type: 'audio', codec: 'pcmu', pts: 0, dts: 0, keyframe: true, data: nalu([0xff], 160) },
  },
  {
    track: { type: 'audio', codec: 'pcma', sampleRate: 8000, channels: 1 }, pt: 8, clock: 8000, rtpmap: 'PCMA/8000', fmtp: undefined,
    unit: { type: 'audio', codec: 'pcma', pts: 0, dts: 0, keyframe: true, data: nalu([0xd5], 160) },
  },
];

for (const c of TABLE) {
  test(`codec table: ${c.track.codec} → PT ${c.pt}, ${c.rtpmap}, and its packetizer feeds its depacketizer`, () => {
    const format = rtpFormatFor(c.track.codec);
    assert.ok(format);
    assert.equal(format.defaultPayloadType, c.pt);
    assert.equal(format.clockRate(c.track), c.clock);
    assert.equal(format.rtpmap(c.track), c.rtpmap);
    assert.equal(format.fmtp(c.track), c.fmtp);
    const packetizer = format.createPacketizer(c.track);
    assert.equal(packetizer.clockRate, c.clock);
    const { units, errors } = feed(format.createDepacketizer(c.track), packetizer.packetize(c.unit), 1);
    assert.deepEqual(errors, []);
    assert.equal(units.map((u) => hex(u.data)).join(''), hex(c.unit.data));
  });
}

test('codec table: codecs without an RTP format give undefined', () => {
  assert.equal(rtpFormatFor('mp3'), undefined);
  assert.equal(rtpFormatFor('av1'), undefined);
});

test('rescaleTicks converts between clocks exactly far past 2^53 / clock ticks', () => {
  assert.equal(rescaleTicks(2 ** 50, 90_000, 90_000), 2 ** 50);
  assert.equal(rescaleTicks(90_000 * 1e9 + 45_000, 90_000, 48_000), 48_000 * 1e9 + 24_000);
  assert.equal(rescaleTicks(-1800, 90_000, 48_000), -960);
});

test('RtpTimestampUnwrapper keeps counting across the 2^32 wrap and maps a late packet backwards', () => {
  const u = new RtpTimestampUnwrapper();
  assert.deepEqual([0xffff_f000, 0xffff_fc00, 0x0000_0800, 0xffff_ff00].map((t) => u.unwrap(t)), [0, 0xc00, 0x1800, 0xf00]);
});

const STEPS: Array<[string, number[], string[]]> = [
  ['in order across the wrap', [65534, 65535, 0, 1], ['first', 'next', 'next', 'next']],
  ['a gap of two across the wrap', [65535, 2], ['first', 'gap:2']],
  ['a duplicate and a late packet are old', [10, 11, 11, 9], ['first', 'next', 'old', 'old']],
  ['a restart far behind (≥ MAX_MISORDER) resynchronises', [5000, 100, 101], ['first', 'jump', 'next']],
];
for (const [name, seqs, want] of STEPS) {
  test(`SequenceTracker: ${name}`, () => {
    const t = new SequenceTracker();
    assert.deepEqual(seqs.map((s) => {
      const step = t.step(s);
      return step.kind === 'gap' ? `gap:${step.lost}` : step.kind;
    }), want);
  });
}
