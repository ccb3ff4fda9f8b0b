import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../../../../protocol/errors.js';
import { buildAudioTag, type FlvAudio, parseAudioTag } from '../../../../protocol/flv/audio.js';
import { buildOnMetaData, parseOnMetaData, parseScriptTag } from '../../../../protocol/flv/script.js';
import { buildFlvHeader, buildFlvTag, FlvTagType, type FlvTag, MAX_FLV_TAG_SIZE, parseFlvHeader } from '../../../../protocol/flv/tag.js';
import { FlvTagReader } from '../../../../protocol/flv/tag-reader.js';
import { buildVideoTag, type FlvVideo, parseVideoTag } from '../../../../protocol/flv/video.js';
import { amfObject } from '../../../../protocol/rtmp/amf-value.js';

const hex = (s: string): number[] => (s.replace(/\s+/g, '').match(/../g) ?? []).map((h) => parseInt(h, 16));
const bytes = (s: string): Uint8Array => Uint8Array.from(hex(s));
const isReason = (reason: string) => (e: unknown) => e instanceof ParseError && e.reason === reason;

test('FLV header: 9 bytes + PreviousTagSize0, flags for audio and video (E.2)', () => {
  const h = buildFlvHeader({ hasAudio: true, hasVideo: true });
  assert.deepEqual([...h], hex('464c5601 05 00000009 00000000'));
  assert.deepEqual(parseFlvHeader(h), { version: 1, hasAudio: true, hasVideo: true, dataOffset: 9 });
  assert.deepEqual([...buildFlvHeader({ hasAudio: false, hasVideo: true })].slice(4, 5), [1]);
  assert.equal(parseFlvHeader(h.subarray(0, 8)), undefined, 'need more bytes');
});

test('FLV tag: header with 24-bit size, timestamp + extended byte, stream id 0, then PreviousTagSize (E.4.1)', () => {
  const t = buildFlvTag({ type: FlvTagType.Video, timestamp: 0x12345678, data: Uint8Array.from([0xaa, 0xbb]) });
  assert.deepEqual([...t], hex('09 000002 345678 12 000000 aabb 0000000d'));
});

/** Audio table: parsed form ⇄ exact body (E.4.2.1, E.4.2.2). */
const audio: Array<[string, Parameters<typeof buildAudioTag>[0], string, Partial<FlvAudio>]> = [
  ['AAC sequence header', { codec: 'aac', packet: 'sequenceStart', data: bytes('1210') }, 'af 00 1210', { codec: 'aac', packet: 'sequenceStart', soundFormat: 10, soundRate: 3, soundSize: 1, soundType: 1 }],
  ['AAC raw frame', { codec: 'aac', packet: 'raw', data: bytes('0102') }, 'af 01 0102', { codec: 'aac', packet: 'raw' }],
  ['MP3 44 kHz stereo', { codec: 'mp3', data: bytes('fffb') }, '2f fffb', { codec: 'mp3', packet: 'raw', soundRate: 3, soundType: 1 }],
  ['G.711 A-law', { codec: 'pcma', data: bytes('d5') }, '72 d5', { codec: 'pcma', soundType: 0 }],
  ['G.711 mu-law', { codec: 'pcmu', data: bytes('ff') }, '82 ff', { codec: 'pcmu' }],
];
for (const [name, input, body, parsed] of audio) {
  test(`audio tag ${name} builds to its bytes and parses back`, () => {
    const b = buildAudioTag(input);
    assert.deepEqual([...b], hex(body));
    const p = parseAudioTag(b);
    for (const [k, v] of Object.entries(parsed)) assert.deepEqual(p[k as keyof FlvAudio], v, k);
    assert.deepEqual(p.data, input.data);
  });
}

/** Video table: legacy AVC (E.4.3) and Enhanced RTMP (ExVideoTagHeader) ⇄ exact body. */
const video: Array<[string, Parameters<typeof buildVideoTag>[0], string, Partial<FlvVideo>]> = [
  ['AVC sequence header', { codec: 'h264', packet: 'sequenceStart', keyframe: true, data: bytes('01640028') }, '17 00 000000 01640028', { codec: 'h264', packet: 'sequenceStart', keyframe: true, enhanced: false, codecId: 7 }],
  ['AVC keyframe with cts 80', { codec: 'h264', packet: 'codedFrames', keyframe: true, compositionTime: 80, data: bytes('00000001 65') }, '17 01 000050 0000000165', { packet: 'codedFrames', keyframe: true, compositionTime: 80 }],
  ['AVC inter frame with negative cts', { codec: 'h264', packet: 'codedFrames', keyframe: false, compositionTime: -40, data: bytes('00000001 41') }, '27 01 ffffd8 0000000141', { keyframe: false, compositionTime: -40, frameType: 2 }],
  ['AVC end of sequence', { codec: 'h264', packet: 'sequenceEnd', keyframe: false, data: new Uint8Array(0) }, '17 02 000000', { packet: 'sequenceEnd' }],
  ['HEVC SequenceStart (hvc1)', { codec: 'h265', packet: 'sequenceStart', keyframe: true, data: bytes('0101') }, '90 68766331 0101', { codec: 'h265', enhanced: true, fourCc: 'hvc1', packet: 'sequenceStart' }],
  ['HEVC CodedFrames with cts', { codec: 'h265', packet: 'codedFrames', keyframe: true, compositionTime: 40, data: bytes('00000001 26') }, '91 68766331 000028 0000000126', { codec: 'h265', keyframe: true, compositionTime: 40, packet: 'codedFrames' }],
  ['HEVC CodedFramesX (cts 0)', { codec: 'h265', packet: 'codedFrames', keyframe: false, data: bytes('00000001 02') }, 'a3 68766331 0000000102', { codec: 'h265', keyframe: false, compositionTime: 0, packet: 'codedFrames' }],
  ['HEVC SequenceEnd', { codec: 'h265', packet: 'sequenceEnd', keyframe: false, data: new Uint8Array(0) }, '92 68766331', { packet: 'sequenceEnd' }],
  ['AV1 SequenceStart (av01)', { codec: 'av1', packet: 'sequenceStart', keyframe: true, data: bytes('81000c') }, '90 61763031 81000c', { codec: 'av1', fourCc: 'av01' }],
  ['AV1 coded frame (no cts field)', { codec: 'av1', packet: 'codedFrames', keyframe: true, data: bytes('1200') }, '93 61763031 1200', { codec: 'av1', packet: 'codedFrames', keyframe: true }],
  ['VP9 coded frame (vp09)', { codec: 'vp9', packet: 'codedFrames', keyframe: false, data: bytes('86') }, 'a3 76703039 86', { codec: 'vp9', fourCc: 'vp09' }],
  ['AVC in Enhanced RTMP (avc1)', { codec: 'h264', enhanced: true, packet: 'codedFrames', keyframe: true, compositionTime: 1, data: bytes('65') }, '91 61766331 000001 65', { codec: 'h264', enhanced: true, compositionTime: 1 }],
];
for (const [name, input, body, parsed] of video) {
  test(`video tag ${name} builds to its bytes and parses back`, () => {
    const copy = input.data.slice();
    const b = buildVideoTag(input);
    assert.deepEqual([...b], hex(body));
    const p = parseVideoTag(b);
    for (const [k, v] of Object.entries(parsed)) assert.deepEqual(p[k as keyof FlvVideo], v, k);
    assert.deepEqual(p.data, input.data);
    assert.deepEqual(input.data, copy);
  });
}

test('video tag quirks: legacy CodecID 12 reads as HEVC; command frames and legacy codecs pass as such', () => {
  assert.equal(parseVideoTag(bytes('1c 01 000000 00')).codec, 'h265');
  assert.equal(parseVideoTag(bytes('57 00')).packet, 'command');
  const vp6 = parseVideoTag(bytes('14 0102'));
  assert.equal(vp6.codec, 'other');
  assert.equal(vp6.packet, 'raw');
  assert.equal(parseVideoTag(bytes('c4 68766331 aa')).packet, 'metadata');
});

test('onMetaData script tag builds and parses (E.5)', () => {
  const body = buildOnMetaData({ width: 320, height: 240, videocodecid: 7 });
  assert.deepEqual(parseOnMetaData(body), amfObject({ width: 320, height: 240, videocodecid: 7 }));
  assert.equal(parseScriptTag(body).name, 'onMetaData');
});

const tags: FlvTag[] = [
  { type: FlvTagType.Script, timestamp: 0, data: buildOnMetaData({ duration: 1 }) },
  { type: FlvTagType.Video, timestamp: 0, data: bytes('17 00 000000 01') },
  { type: FlvTagType.Audio, timestamp: 0, data: new Uint8Array(0) },
  { type: FlvTagType.Video, timestamp: 0x1000000 + 5, data: new Uint8Array(3000).fill(7) },
];
const file = (): Uint8Array => Uint8Array.from([...buildFlvHeader({ hasAudio: true, hasVideo: true }), ...tags.flatMap((t) => [...buildFlvTag(t)])]);

for (const slice of [1, 5, 1000, 1 << 20]) {
  test(`FLV tag reader gives the same tags fed ${slice} byte(s) at a time`, () => {
    const f = file();
    const copy = f.slice();
    const r = new FlvTagReader();
    const out: FlvTag[] = [];
    for (let i = 0; i < f.length; i += slice) out.push(...r.push(f.subarray(i, i + slice)));
    r.end();
    assert.deepEqual(out, tags);
    assert.equal(r.header?.hasVideo, true);
    assert.deepEqual(f, copy);
  });
}

test('FLV tag reader without a file header reads bare tags', () => {
  const r = new FlvTagReader({ header: false });
  assert.deepEqual(r.push(buildFlvTag(tags[1] as FlvTag)), [tags[1]]);
});

/** Corrupt inputs for the streaming reader. */
const corrupt: Array<[string, () => Uint8Array, string]> = [
  ['a bad signature', () => bytes('464c5801 05 00000009 00000000'), 'bad-signature'],
  ['a bad version', () => bytes('464c5602 05 00000009 00000000'), 'bad-version'],
  ['a DataOffset below 9', () => bytes('464c5601 05 00000005 00000000'), 'bad-header'],
  ['an unknown tag type', () => Uint8Array.from([...buildFlvHeader({ hasAudio: true, hasVideo: true }), ...hex('07 000001 000000 00 000000 00')]), 'bad-tag-type'],
  ['an encrypted tag', () => Uint8Array.from([...buildFlvHeader({ hasAudio: true, hasVideo: true }), ...hex('28 000001 000000 00 000000 00')]), 'encrypted'],
  ['a tag over the size cap', () => Uint8Array.from([...buildFlvHeader({ hasAudio: true, hasVideo: true }), 9, (MAX_FLV_TAG_SIZE + 1) >> 16, 0, 1, 0, 0, 0, 0, 0, 0, 0]), 'tag-too-large'],
];
for (const [name, input, reason] of corrupt) {
  test(`FLV tag reader rejects ${name} with ParseError('${reason}')`, () => {
    assert.throws(() => new FlvTagReader().push(input()), isReason(reason));
  });
}

test('FLV tag reader end() reports a truncated tag, and accepts a clean end', () => {
  const f = file();
  const r = new FlvTagReader();
  r.push(f.subarray(0, f.length - 10));
  assert.throws(() => r.end(), isReason('truncated'));
  const ok = new FlvTagReader();
  ok.push(f);
  ok.end();
});

const badBodies: Array<[string, () => unknown, string]> = [
  ['an empty audio body', () => parseAudioTag(new Uint8Array(0)), 'truncated'],
  ['AAC without its packet type', () => parseAudioTag(bytes('af')), 'truncated'],
  ['AACPacketType 2', () => parseAudioTag(bytes('af 02')), 'bad-packet-type'],
  ['an AVC tag cut in its header', () => parseVideoTag(bytes('17 01 00')), 'truncated'],
  ['AVCPacketType 3', () => parseVideoTag(bytes('17 03 000000')), 'bad-packet-type'],
  ['an enhanced tag cut in its FourCC', () => parseVideoTag(bytes('91 6876')), 'truncated'],
  ['an enhanced hvc1 CodedFrames cut in its cts', () => parseVideoTag(bytes('91 68766331 00')), 'truncated'],
  ['Enhanced RTMP v2 multitrack', () => parseVideoTag(bytes('96 68766331')), 'unsupported-packet-type'],
  ['an unknown enhanced PacketType', () => parseVideoTag(bytes('9a 68766331')), 'bad-packet-type'],
  ['a script tag without a name', () => parseScriptTag(bytes('05')), 'bad-script'],
];
for (const [name, fn, reason] of badBodies) {
  test(`tag body parsers reject ${name} with ParseError('${reason}')`, () => {
    assert.throws(fn, isReason(reason));
  });
}
