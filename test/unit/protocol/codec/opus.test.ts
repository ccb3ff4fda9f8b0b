import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOpusHead, opusPacketDuration, parseOpusHead, type OpusHead } from '../../../../protocol/codec/opus.js';
import { ParseError } from '../../../../protocol/errors.js';

const isReason = (reason: string) => (e: unknown): boolean => e instanceof ParseError && e.reason === reason;

const heads: Array<[string, OpusHead, number]> = [
  ['stereo, family 0', { version: 1, channels: 2, preSkip: 312, inputSampleRate: 48000, outputGain: 0, mappingFamily: 0 }, 19],
  ['5.1, family 1', { version: 1, channels: 6, preSkip: 3840, inputSampleRate: 44100, outputGain: -256, mappingFamily: 1, mapping: { streamCount: 4, coupledCount: 2, channelMapping: Uint8Array.of(0, 4, 1, 2, 3, 5) } }, 27],
];
for (const [name, head, size] of heads) {
  test(`OpusHead ${name} encodes and decodes (RFC 7845 §5.1)`, () => {
    const bytes = buildOpusHead(head);
    assert.equal(bytes.length, size);
    assert.equal(Buffer.from(bytes.subarray(0, 8)).toString('latin1'), 'OpusHead');
    assert.equal(bytes[10], head.preSkip & 0xff, 'pre-skip is little-endian');
    assert.deepEqual(parseOpusHead(bytes), head);
  });
}

const headCorrupt: Array<[string, Uint8Array, string]> = [
  ['short', new Uint8Array(10), 'truncated'],
  ['wrong magic', Uint8Array.from([...Buffer.from('OpusTags'), 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 'bad-magic'],
  ['major version 1', Uint8Array.from([...Buffer.from('OpusHead'), 16, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 'bad-version'],
  ['mapping table cut short', Uint8Array.from([...Buffer.from('OpusHead'), 1, 6, 0, 0, 0, 0, 0, 0, 0, 0, 1, 4, 2]), 'truncated'],
];
for (const [name, data, reason] of headCorrupt) {
  test(`parseOpusHead() rejects ${name} with ParseError ${reason}`, () => {
    assert.throws(() => parseOpusHead(data), isReason(reason));
  });
}

// RFC 6716 §3.1: [name, packet bytes, duration in 48 kHz samples]
const tocs: Array<[string, number[], number]> = [
  ['SILK NB 10 ms, one frame', [(0 << 3) | 0], 480],
  ['SILK WB 60 ms, one frame', [(11 << 3) | 0], 2880],
  ['hybrid FB 20 ms, two equal frames', [(15 << 3) | 1], 1920],
  ['CELT FB 2.5 ms, two frames', [(28 << 3) | 2], 240],
  ['CELT FB 20 ms, code 3 with 6 frames', [(31 << 3) | 3, 6], 5760],
];
for (const [name, bytes, samples] of tocs) {
  test(`opusPacketDuration(): ${name}`, () => {
    assert.equal(opusPacketDuration(Uint8Array.from(bytes)), samples);
  });
}

const tocCorrupt: Array<[string, number[], string]> = [
  ['empty packet', [], 'truncated'],
  ['code 3 without count byte', [(31 << 3) | 3], 'truncated'],
  ['code 3 with zero frames', [(31 << 3) | 3, 0], 'bad-frame-count'],
  ['more than 120 ms', [(31 << 3) | 3, 7], 'bad-frame-count'],
];
for (const [name, bytes, reason] of tocCorrupt) {
  test(`opusPacketDuration() rejects ${name} with ParseError ${reason}`, () => {
    assert.throws(() => opusPacketDuration(Uint8Array.from(bytes)), isReason(reason));
  });
}
