import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BitWriter } from '../../../../protocol/bits/bit-writer.js';
import {
  aacCodecString, buildAdtsHeader, buildAudioSpecificConfig, parseAdtsHeader, parseAudioSpecificConfig, samplesToTicks, splitAdtsFrames,
} from '../../../../protocol/codec/aac.js';
import { ParseError } from '../../../../protocol/errors.js';

const isReason = (reason: string) => (e: unknown): boolean => e instanceof ParseError && e.reason === reason;

// Encode/decode table: [name, objectType, sampleRate, channelConfiguration, samplesPerFrame, bytes]
const ascTable: Array<[string, number, number, number, 960 | 1024, number[]]> = [
  ['AAC-LC 44.1 kHz stereo', 2, 44100, 2, 1024, [0x12, 0x10]],
  ['AAC-LC 48 kHz stereo', 2, 48000, 2, 1024, [0x11, 0x90]],
  ['AAC-LC 7350 Hz mono (index 12)', 2, 7350, 1, 1024, [0x16, 0x08]],
  ['AAC-LC 48 kHz 5.1', 2, 48000, 6, 1024, [0x11, 0xb0]],
  ['AAC-LC 960-sample frames', 2, 48000, 2, 960, [0x11, 0x94]],
  // 44 000 Hz is not in Table 1.18: index 15 and a 24-bit frequency (0x00abe0).
  ['escape index 15 for 44 kHz', 2, 44000, 2, 1024, [0x17, 0x80, 0x55, 0xf0, 0x10]],
];

for (const [name, objectType, sampleRate, channelConfiguration, samplesPerFrame, bytes] of ascTable) {
  test(`AudioSpecificConfig ${name} encodes and decodes`, () => {
    assert.deepEqual([...buildAudioSpecificConfig({ objectType, sampleRate, channelConfiguration, samplesPerFrame })], bytes);
    const data = Uint8Array.from(bytes);
    const asc = parseAudioSpecificConfig(data);
    assert.equal(asc.objectType, objectType);
    assert.equal(asc.sampleRate, sampleRate);
    assert.equal(asc.channelConfiguration, channelConfiguration);
    assert.equal(asc.samplesPerFrame, samplesPerFrame);
    assert.equal(aacCodecString(asc), 'mp4a.40.2');
    assert.deepEqual([...data], bytes, 'input not mutated');
  });
}

const heAacExplicit = new BitWriter().writeBits(5, 5).writeBits(6, 4).writeBits(2, 4).writeBits(3, 4).writeBits(2, 5).writeBits(0, 3).finish();
const heAacV2Explicit = new BitWriter().writeBits(29, 5).writeBits(6, 4).writeBits(1, 4).writeBits(3, 4).writeBits(2, 5).writeBits(0, 3).finish();
const heAacImplicit = new BitWriter().writeBits(2, 5).writeBits(6, 4).writeBits(2, 4).writeBits(0, 3)
  .writeBits(0x2b7, 11).writeBits(5, 5).writeBits(1, 1).writeBits(3, 4).finish();

// Quirk table (decode only): SBR / PS signalling tolerated.
const ascQuirks: Array<[string, Uint8Array, { objectType: number; sampleRate: number; sbrRate?: number; ps?: boolean; codec: string }]> = [
  ['explicit HE-AAC (object type 5)', heAacExplicit, { objectType: 2, sampleRate: 24000, sbrRate: 48000, codec: 'mp4a.40.5' }],
  ['explicit HE-AAC v2 (object type 29)', heAacV2Explicit, { objectType: 2, sampleRate: 24000, sbrRate: 48000, ps: true, codec: 'mp4a.40.29' }],
  ['backward-compatible SBR sync extension 0x2b7', heAacImplicit, { objectType: 2, sampleRate: 24000, sbrRate: 48000, codec: 'mp4a.40.5' }],
];
for (const [name, data, want] of ascQuirks) {
  test(`parseAudioSpecificConfig() tolerates ${name}`, () => {
    const asc = parseAudioSpecificConfig(data);
    assert.equal(asc.objectType, want.objectType);
    assert.equal(asc.sampleRate, want.sampleRate);
    assert.equal(asc.sbr?.sampleRate, want.sbrRate);
    assert.equal(asc.ps === true, want.ps === true);
    assert.equal(aacCodecString(asc), want.codec);
  });
}

const ascCorrupt: Array<[string, number[], string]> = [
  ['one byte', [0x12], 'truncated'],
  ['reserved sampling index 13', [0x16, 0x90], 'bad-sample-rate'],
  ['channelConfiguration 8', [0x12, 0x40], 'bad-channel-config'],
  ['USAC object type 42', [0xf8, 0x4c, 0x40], 'unsupported-object-type'],
];
for (const [name, bytes, reason] of ascCorrupt) {
  test(`parseAudioSpecificConfig() rejects ${name} with ParseError ${reason}`, () => {
    assert.throws(() => parseAudioSpecificConfig(Uint8Array.from(bytes)), isReason(reason));
  });
}

// ADTS encode/decode table: [name, objectType, sampleRate, channels, payloadLength, crc, header bytes]
const adtsTable: Array<[string, number, number, number, number, number | undefined, number[]]> = [
  ['LC 44.1 kHz stereo, no CRC', 2, 44100, 2, 100, undefined, [0xff, 0xf1, 0x50, 0x80, 0x0d, 0x7f, 0xfc]],
  ['LC 48 kHz mono with CRC', 2, 48000, 1, 10, 0xbeef, [0xff, 0xf0, 0x4c, 0x40, 0x02, 0x7f, 0xfc, 0xbe, 0xef]],
  ['LC 7350 Hz mono', 2, 7350, 1, 1, undefined, [0xff, 0xf1, 0x70, 0x40, 0x01, 0x1f, 0xfc]],
];
for (const [name, objectType, sampleRate, channelConfiguration, payloadLength, crc, bytes] of adtsTable) {
  test(`ADTS header ${name} encodes and decodes`, () => {
    const built = buildAdtsHeader({ objectType, sampleRate, channelConfiguration, payloadLength, ...(crc === undefined ? {} : { crc }) });
    assert.deepEqual([...built], bytes);
    const h = parseAdtsHeader(built);
    assert.ok(h);
    assert.equal(h.objectType, objectType);
    assert.equal(h.sampleRate, sampleRate);
    assert.equal(h.channelConfiguration, channelConfiguration);
    assert.equal(h.crcPresent, crc !== undefined);
    assert.equal(h.crc, crc);
    assert.equal(h.headerLength, bytes.length);
    assert.equal(h.frameLength, bytes.length + payloadLength);
    assert.equal(h.rawDataBlocks, 1);
  });
}

test('parseAdtsHeader() asks for more bytes (undefined) rather than failing on a short buffer', () => {
  assert.equal(parseAdtsHeader(Uint8Array.of(0xff, 0xf1, 0x50)), undefined);
  assert.equal(parseAdtsHeader(Uint8Array.of(0xff, 0xf0, 0x4c, 0x40, 0x02, 0x7f, 0xfc, 0xbe)), undefined, 'CRC not yet there');
});

const adtsCorrupt: Array<[string, number[], string]> = [
  ['no syncword', [0xfe, 0xf1, 0x50, 0x80, 0x0d, 0x7f, 0xfc], 'bad-sync'],
  ['layer 1', [0xff, 0xf3, 0x50, 0x80, 0x0d, 0x7f, 0xfc], 'bad-layer'],
  ['sampling index 13', [0xff, 0xf1, 0x74, 0x80, 0x0d, 0x7f, 0xfc], 'bad-sample-rate'],
  ['frame shorter than its header', [0xff, 0xf1, 0x50, 0x80, 0x00, 0x7f, 0xfc], 'bad-frame-length'],
];
for (const [name, bytes, reason] of adtsCorrupt) {
  test(`parseAdtsHeader() rejects ${name} with ParseError ${reason}`, () => {
    assert.throws(() => parseAdtsHeader(Uint8Array.from(bytes)), isReason(reason));
  });
}

test('splitAdtsFrames() returns whole frames and leaves a partial one for later', () => {
  const frame = (n: number, fill: number): number[] => [...buildAdtsHeader({ objectType: 2, sampleRate: 48000, channelConfiguration: 2, payloadLength: n }), ...new Array<number>(n).fill(fill)];
  const data = Uint8Array.from([...frame(5, 1), ...frame(3, 2), ...frame(4, 3).slice(0, 8)]);
  const { frames, consumed } = splitAdtsFrames(data);
  assert.equal(frames.length, 2);
  assert.deepEqual([...(frames[1]?.payload ?? [])], [2, 2, 2]);
  assert.equal(consumed, 12 + 10);
});

test('samplesToTicks() converts 1024 samples to 90 kHz ticks', () => {
  assert.equal(samplesToTicks(1024, 48000, 90000), 1920);
  assert.equal(samplesToTicks(1024 * 441, 44100, 90000), 1024 * 900);
});
