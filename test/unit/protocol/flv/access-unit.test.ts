import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../../../../protocol/errors.js';
import type { AccessUnit, TrackInfo } from '../../../../protocol/media/access-unit.js';
import { audioTrackOf, endOfSequenceTag, fromStream, toStream, trackToFlvTag } from '../../../../protocol/flv/access-unit.js';
import { buildAudioTag } from '../../../../protocol/flv/audio.js';
import { buildOnMetaData } from '../../../../protocol/flv/script.js';
import { FlvTagType, type FlvTag } from '../../../../protocol/flv/tag.js';
import { parseVideoTag } from '../../../../protocol/flv/video.js';

const b = (...v: number[]): Uint8Array => Uint8Array.from(v);
/**
 * A synthetic hvcC (ISO 14496-15 §8.3.3.1: configurationVersion 1, Main profile, level 3.1,
 * lengthSizeMinusOne 3, no arrays). ffmpeg 5.1's flv muxer cannot write Enhanced RTMP HEVC
 * ("Video codec hevc not compatible with flv"), so HEVC is covered from this table.
 */
const HVCC = b(0x01, 0x01, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 0x5d, 0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 0x00);
const AVCC = b(0x01, 0x64, 0x00, 0x1e, 0xff, 0xe0, 0x00);
const ASC_44100_STEREO = b(0x12, 0x10);

/** One table drives fromStream and toStream: AccessUnit ⇄ tag, both ways, with times. */
const units: Array<[string, AccessUnit, number, Partial<ReturnType<typeof parseVideoTag>> | undefined]> = [
  ['H.264 keyframe, cts 80 ms', { type: 'video', codec: 'h264', dts: 90 * 1000, pts: 90 * 1080, keyframe: true, data: b(0, 0, 0, 1, 0x65) }, 1000, { enhanced: false, compositionTime: 80, keyframe: true }],
  ['H.264 inter frame, cts 0', { type: 'video', codec: 'h264', dts: 90 * 1040, pts: 90 * 1040, keyframe: false, data: b(0, 0, 0, 1, 0x41) }, 1040, { keyframe: false }],
  ['H.265 keyframe (Enhanced CodedFrames)', { type: 'video', codec: 'h265', dts: 0, pts: 90 * 40, keyframe: true, data: b(0, 0, 0, 1, 0x26) }, 0, { enhanced: true, fourCc: 'hvc1', compositionTime: 40 }],
  ['H.265 inter frame (Enhanced CodedFramesX)', { type: 'video', codec: 'h265', dts: 90 * 40, pts: 90 * 40, keyframe: false, data: b(0, 0, 0, 1, 0x02) }, 40, { enhanced: true, keyframe: false }],
  ['AV1 frame', { type: 'video', codec: 'av1', dts: 90 * 5, pts: 90 * 5, keyframe: true, data: b(0x12, 0) }, 5, { fourCc: 'av01' }],
  ['VP9 frame', { type: 'video', codec: 'vp9', dts: 90 * 6, pts: 90 * 6, keyframe: false, data: b(0x86) }, 6, { fourCc: 'vp09' }],
  ['AAC frame', { type: 'audio', codec: 'aac', dts: 90 * 23, pts: 90 * 23, keyframe: true, data: b(0x21, 0x10) }, 23, undefined],
  ['MP3 frame', { type: 'audio', codec: 'mp3', dts: 0, pts: 0, keyframe: true, data: b(0xff, 0xfb) }, 0, undefined],
  ['G.711 A-law', { type: 'audio', codec: 'pcma', dts: 90 * 20, pts: 90 * 20, keyframe: true, data: b(0xd5) }, 20, undefined],
  ['a timestamp past 2^32 ms stays unwrapped', { type: 'audio', codec: 'aac', dts: 90 * (2 ** 32 + 10), pts: 90 * (2 ** 32 + 10), keyframe: true, data: b(1) }, 2 ** 32 + 10, undefined],
];

for (const [name, unit, ms, video] of units) {
  test(`AccessUnit ⇄ FLV tag: ${name}`, () => {
    const copy = unit.data.slice();
    const tag = fromStream(unit);
    assert.ok(tag);
    assert.equal(tag.timestamp, ms);
    assert.equal(tag.type, unit.type === 'video' ? FlvTagType.Video : FlvTagType.Audio);
    if (video) {
      const v = parseVideoTag(tag.data);
      for (const [k, val] of Object.entries(video)) assert.deepEqual(v[k as keyof typeof v], val, k);
    }
    const back = toStream(tag);
    assert.deepEqual(back, { kind: 'unit', unit });
    assert.deepEqual(unit.data, copy, 'input not mutated');
  });
}

const tracks: Array<[string, TrackInfo]> = [
  ['H.264 AVCDecoderConfigurationRecord', { type: 'video', codec: 'h264', config: AVCC }],
  ['H.265 hvcC (Enhanced SequenceStart)', { type: 'video', codec: 'h265', config: HVCC }],
  ['AV1 av1C', { type: 'video', codec: 'av1', config: b(0x81, 0x00, 0x0c, 0x00) }],
  ['AAC AudioSpecificConfig', { type: 'audio', codec: 'aac', config: ASC_44100_STEREO, sampleRate: 44100, channels: 2 }],
];
for (const [name, track] of tracks) {
  test(`track ⇄ sequence header tag: ${name}`, () => {
    const tag = trackToFlvTag(track, 0);
    assert.ok(tag);
    assert.deepEqual(toStream(tag), { kind: 'track', track });
  });
}

test('HEVC end of sequence goes through as an end item', () => {
  const tag = endOfSequenceTag('h265', 3000);
  assert.ok(tag);
  assert.deepEqual(toStream(tag), { kind: 'end', codec: 'h265' });
});

test('what FLV cannot carry maps to undefined: Opus, VP8, script tags, legacy codecs', () => {
  assert.equal(fromStream({ type: 'audio', codec: 'opus', dts: 0, pts: 0, keyframe: true, data: b(1) }), undefined);
  assert.equal(fromStream({ type: 'video', codec: 'vp8', dts: 0, pts: 0, keyframe: true, data: b(1) }), undefined);
  assert.equal(trackToFlvTag({ type: 'audio', codec: 'opus', sampleRate: 48000, channels: 2, config: b(1) }), undefined);
  assert.equal(trackToFlvTag({ type: 'video', codec: 'h264' }), undefined, 'no config, nothing to send');
  assert.equal(toStream({ type: FlvTagType.Script, timestamp: 0, data: buildOnMetaData({ width: 1 }) }), undefined);
  assert.equal(toStream({ type: FlvTagType.Video, timestamp: 0, data: b(0x14, 1) }), undefined, 'VP6');
});

test('audioTrackOf describes G.711 and MP3 tracks, which have no sequence header', () => {
  const tag = (data: Uint8Array): FlvTag => ({ type: FlvTagType.Audio, timestamp: 0, data });
  assert.deepEqual(audioTrackOf(tag(buildAudioTag({ codec: 'pcmu', data: b(1) }))), { type: 'audio', codec: 'pcmu', sampleRate: 8000, channels: 1 });
  assert.deepEqual(audioTrackOf(tag(buildAudioTag({ codec: 'mp3', data: b(1) }))), { type: 'audio', codec: 'mp3', sampleRate: 44100, channels: 2 });
  assert.equal(audioTrackOf(tag(buildAudioTag({ codec: 'aac', data: b(1) }))), undefined);
});

test('a bad AudioSpecificConfig in an AAC sequence header is ParseError(bad-audio-config)', () => {
  const tag: FlvTag = { type: FlvTagType.Audio, timestamp: 0, data: buildAudioTag({ codec: 'aac', packet: 'sequenceStart', data: b(0x17, 0x80) }) };
  assert.throws(() => toStream(tag), (e: unknown) => e instanceof ParseError && e.reason === 'bad-audio-config');
});
