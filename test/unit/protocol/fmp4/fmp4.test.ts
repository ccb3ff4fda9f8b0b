import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAudioSpecificConfig } from '../../../../protocol/codec/aac.js';
import { buildAvcDecoderConfig } from '../../../../protocol/codec/avc-config.js';
import { buildOpusHead } from '../../../../protocol/codec/opus.js';
import { findBox, findBoxes, readBoxes } from '../../../../protocol/fmp4/box-reader.js';
import { buildFragment, buildFragmentFromUnits, SAMPLE_FLAGS_NON_SYNC, SAMPLE_FLAGS_SYNC } from '../../../../protocol/fmp4/fragment.js';
import { buildInitSegment, type Fmp4Track } from '../../../../protocol/fmp4/init-segment.js';
import { ParseError } from '../../../../protocol/errors.js';
import type { AccessUnit } from '../../../../protocol/media/access-unit.js';

const isReason = (reason: string) => (e: unknown): boolean => e instanceof ParseError && e.reason === reason;
const u32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at);
const i32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getInt32(at);
const ascii = (b: Uint8Array, at: number, n = 4): string => Buffer.from(b.subarray(at, at + n)).toString('latin1');

const SPS = Uint8Array.of(0x67, 0x42, 0xc0, 0x0d, 0xda, 0x05, 0x07, 0xec, 0x04, 0x40);
const PPS = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
const avcC = buildAvcDecoderConfig({ sps: [SPS], pps: [PPS] });
const asc = buildAudioSpecificConfig({ objectType: 2, sampleRate: 44100, channelConfiguration: 2 });
const video: Fmp4Track = { id: 1, info: { type: 'video', codec: 'h264', config: avcC } };
const audio: Fmp4Track = { id: 2, info: { type: 'audio', codec: 'aac', sampleRate: 44100, channels: 2, config: asc } };
const opus: Fmp4Track = { id: 3, info: { type: 'audio', codec: 'opus', sampleRate: 48000, channels: 2, config: buildOpusHead({ channels: 2, preSkip: 312, inputSampleRate: 44100, outputGain: 0, mappingFamily: 0 }) } };

test('buildInitSegment(): ftyp brands, one trak per track with its timescale, handler and sample entry, trex per track', () => {
  const init = buildInitSegment([video, audio, opus]);
  assert.deepEqual(readBoxes(init).map((b) => b.type), ['ftyp', 'moov']);
  const ftyp = findBox(init, ['ftyp']);
  assert.equal(ascii(ftyp?.body ?? new Uint8Array(), 0), 'iso6');
  const traks = findBoxes(init, ['moov', 'trak']);
  assert.equal(traks.length, 3);
  const expected = [[1, 90000, 'vide', 'avc1'], [2, 44100, 'soun', 'mp4a'], [3, 48000, 'soun', 'Opus']] as const;
  traks.forEach((trak, i) => {
    const [id, timescale, handler, entry] = expected[i] as (typeof expected)[number];
    const tkhd = findBox(trak.body, ['tkhd'])?.body ?? new Uint8Array();
    assert.equal(u32(tkhd, 12), id, 'track_ID');
    const mdhd = findBox(trak.body, ['mdia', 'mdhd'])?.body ?? new Uint8Array();
    assert.equal(u32(mdhd, 12), timescale);
    assert.equal(ascii(findBox(trak.body, ['mdia', 'hdlr'])?.body ?? new Uint8Array(), 8), handler);
    const stsd = findBox(trak.body, ['mdia', 'minf', 'stbl', 'stsd'])?.body ?? new Uint8Array();
    assert.equal(u32(stsd, 4), 1, 'one sample entry');
    assert.equal(ascii(stsd, 12), entry);
    for (const empty of ['stts', 'stsc', 'stco']) assert.equal(u32(findBox(trak.body, ['mdia', 'minf', 'stbl', empty])?.body ?? new Uint8Array(8), 4), 0);
  });
  const videoEntry = findBox(traks[0]?.body ?? new Uint8Array(), ['mdia', 'minf', 'stbl', 'stsd'])?.body.subarray(8) ?? new Uint8Array();
  const avc1Body = readBoxes(videoEntry)[0]?.body ?? new Uint8Array();
  assert.equal(new DataView(avc1Body.buffer, avc1Body.byteOffset).getUint16(24), 320, 'width from the SPS');
  assert.equal(new DataView(avc1Body.buffer, avc1Body.byteOffset).getUint16(26), 240, 'height from the SPS');
  const avcCBox = readBoxes(avc1Body.subarray(78)).find((b) => b.type === 'avcC');
  assert.deepEqual([...(avcCBox?.body ?? [])], [...avcC]);
  const audioStsd = findBox(traks[1]?.body ?? new Uint8Array(), ['mdia', 'minf', 'stbl', 'stsd'])?.body ?? new Uint8Array();
  assert.ok(Buffer.from(audioStsd).includes(Buffer.from([0x05, 0x02, ...asc])), 'esds DecoderSpecificInfo holds the ASC');
  const opusStsd = findBox(traks[2]?.body ?? new Uint8Array(), ['mdia', 'minf', 'stbl', 'stsd'])?.body ?? new Uint8Array();
  const dOps = readBoxes((readBoxes(opusStsd.subarray(8))[0]?.body ?? new Uint8Array()).subarray(28))[0];
  assert.equal(dOps?.type, 'dOps');
  assert.deepEqual([...(dOps?.body ?? [])], [0, 2, 0x01, 0x38, 0, 0, 0xac, 0x44, 0, 0, 0], 'dOps is big-endian, version 0');
  assert.deepEqual(findBoxes(init, ['moov', 'mvex', 'trex']).map((b) => u32(b.body, 4)), [1, 2, 3]);
});

test('buildFragment(): trun carries per-sample duration, size, sync flags and negative composition offsets; data_offset points into mdat', () => {
  const samples = [
    { duration: 3000, compositionOffset: 3000, sync: true, data: Uint8Array.of(1, 2, 3) },
    { duration: 3000, compositionOffset: -3000, sync: false, data: Uint8Array.of(4, 5) },
  ];
  const frag = buildFragment(7, [{ trackId: 1, baseDecodeTime: 2 ** 33 + 1, samples }, { trackId: 2, baseDecodeTime: 0, samples: [] }]);
  assert.deepEqual(readBoxes(frag).map((b) => b.type), ['moof', 'mdat']);
  assert.equal(u32(findBox(frag, ['moof', 'mfhd'])?.body ?? new Uint8Array(), 4), 7);
  assert.equal(findBoxes(frag, ['moof', 'traf']).length, 1, 'empty track fragments are left out');
  const tfhd = findBox(frag, ['moof', 'traf', 'tfhd'])?.body ?? new Uint8Array();
  assert.equal(u32(tfhd, 0) & 0xffffff, 0x020000, 'default-base-is-moof');
  const tfdt = findBox(frag, ['moof', 'traf', 'tfdt'])?.body ?? new Uint8Array();
  assert.equal(tfdt[0], 1, 'version 1');
  assert.equal(u32(tfdt, 4) * 2 ** 32 + u32(tfdt, 8), 2 ** 33 + 1);
  const trun = findBox(frag, ['moof', 'traf', 'trun'])?.body ?? new Uint8Array();
  assert.equal(trun[0], 1, 'version 1: signed offsets');
  assert.equal(u32(trun, 4), 2);
  const dataOffset = i32(trun, 8);
  assert.deepEqual([...frag.subarray(dataOffset, dataOffset + 5)], [1, 2, 3, 4, 5]);
  assert.deepEqual([u32(trun, 12), u32(trun, 16), u32(trun, 20), i32(trun, 24)], [3000, 3, SAMPLE_FLAGS_SYNC, 3000]);
  assert.deepEqual([u32(trun, 28), u32(trun, 32), u32(trun, 36), i32(trun, 40)], [3000, 2, SAMPLE_FLAGS_NON_SYNC, -3000]);
});

test('buildFragmentFromUnits(): durations from successive DTS, the last from nextDts or defaultDuration, audio in its sample-rate timescale', () => {
  const v = (dts: number, pts: number, keyframe: boolean): AccessUnit => ({ type: 'video', codec: 'h264', dts, pts, keyframe, data: Uint8Array.of(0, 0, 0, 1, keyframe ? 0x65 : 0x41) });
  const a = (k: number): AccessUnit => {
    const t = Math.round((k * 1024 * 90000) / 44100);
    return { type: 'audio', codec: 'aac', dts: t, pts: t, keyframe: true, data: Uint8Array.of(k) };
  };
  const frag = buildFragmentFromUnits(1, [
    { track: video, units: [v(0, 7200, true), v(3600, 3600, false)], nextDts: 7200 },
    { track: audio, units: [a(10), a(11), a(12)], defaultDuration: 2090 },
  ]);
  const truns = findBoxes(frag, ['moof', 'traf']).map((t) => findBox(t.body, ['trun'])?.body ?? new Uint8Array());
  const tfdts = findBoxes(frag, ['moof', 'traf']).map((t) => findBox(t.body, ['tfdt'])?.body ?? new Uint8Array());
  assert.deepEqual([u32(truns[0] ?? new Uint8Array(), 12), u32(truns[0] ?? new Uint8Array(), 28)], [3600, 3600]);
  assert.deepEqual([i32(truns[0] ?? new Uint8Array(), 24), i32(truns[0] ?? new Uint8Array(), 40)], [7200, 0]);
  assert.equal(u32(tfdts[1] ?? new Uint8Array(), 8), 10240, 'audio tfdt in 44.1 kHz samples, exact');
  assert.deepEqual([12, 28, 44].map((at) => u32(truns[1] ?? new Uint8Array(), at)), [1024, 1024, 1024]);
  assert.throws(() => buildFragmentFromUnits(1, [{ track: video, units: [v(0, 0, true)] }]), TypeError);
  assert.throws(() => buildFragmentFromUnits(1, [{ track: video, units: [v(3600, 3600, true), v(0, 0, false)], nextDts: 7200 }]), TypeError);
});

const corruptBoxes: Array<[string, number[], string]> = [
  ['short header', [0, 0, 0, 8, 0x6d], 'truncated'],
  ['size past the end', [0, 0, 0, 20, 0x6d, 0x6f, 0x6f, 0x76, 0], 'truncated'],
  ['size below the header', [0, 0, 0, 4, 0x6d, 0x6f, 0x6f, 0x76], 'bad-box-size'],
  ['largesize cut short', [0, 0, 0, 1, 0x6d, 0x64, 0x61, 0x74, 0, 0], 'truncated'],
];
for (const [name, bytes, reason] of corruptBoxes) {
  test(`readBoxes() rejects ${name} with ParseError ${reason}`, () => {
    assert.throws(() => readBoxes(Uint8Array.from(bytes)), isReason(reason));
  });
}

test('readBoxes() reads a 64-bit largesize and a size-0 box that runs to the end', () => {
  const boxes = readBoxes(Uint8Array.from([0, 0, 0, 1, 0x66, 0x72, 0x65, 0x65, 0, 0, 0, 0, 0, 0, 0, 17, 9, 0, 0, 0, 0, 0x6d, 0x64, 0x61, 0x74, 1, 2]));
  assert.deepEqual(boxes.map((b) => [b.type, b.size, b.headerSize, b.body.length]), [['free', 17, 16, 1], ['mdat', 10, 8, 2]]);
});
