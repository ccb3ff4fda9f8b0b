import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32Mpeg2 } from '../../../../protocol/mpegts/crc32.js';
import { TS_PACKET_SIZE } from '../../../../protocol/mpegts/packet.js';
import { buildPesHeader, parsePesHeader, StreamId } from '../../../../protocol/mpegts/pes.js';
import { buildPat, buildPmt, parsePat, parsePmt, StreamType } from '../../../../protocol/mpegts/psi.js';
import { PTS_MODULO, ptsDiff, readPcrBase, readPtsField, wrapPts, writePcrField, writePtsField } from '../../../../protocol/mpegts/timestamp.js';
import { TsReader } from '../../../../protocol/mpegts/ts-reader.js';
import { TsWriter } from '../../../../protocol/mpegts/ts-writer.js';
import { buildAudioSpecificConfig } from '../../../../protocol/codec/aac.js';
import { buildAvcDecoderConfig } from '../../../../protocol/codec/avc-config.js';
import { joinAvcc } from '../../../../protocol/codec/nal.js';
import { ParseError } from '../../../../protocol/errors.js';
import type { AccessUnit, TrackInfo } from '../../../../protocol/media/access-unit.js';

const isReason = (reason: string) => (e: unknown): boolean => e instanceof ParseError && e.reason === reason;

test('crc32Mpeg2() gives the CRC-32/MPEG-2 check value and 0 over a section with its CRC', () => {
  assert.equal(crc32Mpeg2(new TextEncoder().encode('123456789')), 0x0376e6e7);
  assert.equal(crc32Mpeg2(buildPat({ programNumber: 1, pmtPid: 0x1000 })), 0);
});

test('buildPat() matches the PAT ffmpeg writes for program 1 at PMT PID 0x1000', () => {
  // ffmpeg's mpegts muxer (transport_stream_id 1): 00 b0 0d 00 01 c1 00 00 00 01 f0 00 2a b1 04 b2
  assert.equal(Buffer.from(buildPat({ programNumber: 1, pmtPid: 0x1000 })).toString('hex'), '00b00d0001c100000001f0002ab104b2');
});

// 33-bit timestamps: [value written, value read back]
const timestamps: Array<[number, number]> = [
  [0, 0],
  [90_000, 90_000],
  [2 ** 32 - 1, 2 ** 32 - 1],
  [2 ** 32 + 12345, 2 ** 32 + 12345],
  [PTS_MODULO - 1, PTS_MODULO - 1],
  [PTS_MODULO + 7, 7],
  [-1, PTS_MODULO - 1],
];
for (const [written, read] of timestamps) {
  test(`PTS field and PCR base carry ${written} as ${read} (33 bits, no 32-bit truncation)`, () => {
    const buf = new Uint8Array(6);
    writePtsField(buf, 0, 0x2, written);
    assert.equal((buf[0] as number) >>> 4, 0x2);
    assert.equal((buf[0] as number) & 1, 1, 'marker bits');
    assert.equal(readPtsField(buf, 0), read);
    writePcrField(buf, 0, written);
    assert.equal(readPcrBase(buf, 0), read);
  });
}

test('ptsDiff() measures across the 2^33 wrap the short way', () => {
  assert.equal(ptsDiff(10, PTS_MODULO - 10), 20);
  assert.equal(ptsDiff(PTS_MODULO - 10, 10), -20);
  assert.equal(wrapPts(PTS_MODULO * 3 + 5), 5);
});

test('PMT round trip keeps PCR PID and streams; a flipped bit fails the CRC', () => {
  const pmt = { programNumber: 1, pcrPid: 0x100, streams: [{ streamType: StreamType.H264, pid: 0x100 }, { streamType: StreamType.AacAdts, pid: 0x101 }] };
  const bytes = buildPmt(pmt);
  assert.deepEqual(parsePmt(bytes), pmt);
  assert.deepEqual(parsePat(buildPat({ programNumber: 1, pmtPid: 0x1000 })), [{ programNumber: 1, pmtPid: 0x1000 }]);
  const bad = bytes.slice();
  bad[10] = (bad[10] as number) ^ 0x01;
  assert.throws(() => parsePmt(bad), isReason('bad-crc'));
  assert.throws(() => parsePmt(buildPat({ programNumber: 1, pmtPid: 1 })), isReason('bad-table-id'));
  assert.throws(() => parsePmt(bytes.subarray(0, 10)), isReason('truncated'));
});

test('PES header round trip with PTS only and with PTS + DTS; short input asks for more', () => {
  const a = buildPesHeader({ streamId: StreamId.Audio, pts: 2 ** 32 + 1, payloadLength: 100 });
  assert.deepEqual(parsePesHeader(a), { streamId: 0xc0, packetLength: 3 + 5 + 100, pts: 2 ** 32 + 1, payloadOffset: 14 });
  const v = buildPesHeader({ streamId: StreamId.Video, pts: 7200, dts: 3600, payloadLength: 70_000 });
  assert.deepEqual(parsePesHeader(v), { streamId: 0xe0, packetLength: 0, pts: 7200, dts: 3600, payloadOffset: 19 });
  assert.equal(parsePesHeader(v.subarray(0, 12)), undefined);
  assert.throws(() => parsePesHeader(Uint8Array.of(0, 0, 2, 0xe0, 0, 0, 0x80, 0, 0)), isReason('bad-start-code'));
  assert.throws(() => buildPesHeader({ streamId: StreamId.Audio, pts: 0, payloadLength: 70_000 }), TypeError);
});

// A tiny H.264 track: SPS/PPS from a crafted 320x240 baseline SPS (see codec tests).
const SPS = Uint8Array.of(0x67, 0x42, 0xc0, 0x0d, 0xda, 0x05, 0x07, 0xec, 0x04, 0x40);
const PPS = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
const tracks: TrackInfo[] = [
  { type: 'video', codec: 'h264', config: buildAvcDecoderConfig({ sps: [SPS], pps: [PPS] }) },
  { type: 'audio', codec: 'aac', sampleRate: 48000, channels: 2, config: buildAudioSpecificConfig({ objectType: 2, sampleRate: 48000, channelConfiguration: 2 }) },
];
const idr = (size: number, t: number): AccessUnit => ({ type: 'video', codec: 'h264', pts: t, dts: t, keyframe: true, data: joinAvcc([Uint8Array.from({ length: size }, (_, i) => (i === 0 ? 0x65 : 0x80 | (i & 0x7f)))]) });
const slice = (size: number, t: number): AccessUnit => ({ type: 'video', codec: 'h264', pts: t + 3600, dts: t, keyframe: false, data: joinAvcc([Uint8Array.from({ length: size }, (_, i) => (i === 0 ? 0x41 : 0x80 | (i & 0x7f)))]) });
const aac = (size: number, t: number): AccessUnit => ({ type: 'audio', codec: 'aac', pts: t, dts: t, keyframe: true, data: new Uint8Array(size).fill(0x21) });

test('TsWriter: 188-byte packets, PCR and random_access_indicator on the keyframe, continuity counters per PID', () => {
  const w = new TsWriter(tracks);
  const units: Array<[number, AccessUnit]> = [[0, idr(1000, 2 ** 33 + 500)], [1, aac(300, 0)], [0, slice(147, 3600)], [1, aac(7, 1920)]];
  const out = [w.writeTables(), ...units.map(([i, u]) => w.writeAccessUnit(i, u))];
  const all = Buffer.concat(out);
  assert.equal(all.length % TS_PACKET_SIZE, 0);
  const ccByPid = new Map<number, number[]>();
  let keyAf: Buffer | undefined;
  for (let i = 0; i < all.length; i += TS_PACKET_SIZE) {
    const p = all.subarray(i, i + TS_PACKET_SIZE);
    assert.equal(p[0], 0x47);
    const pid = (((p[1] as number) & 0x1f) << 8) | (p[2] as number);
    ccByPid.set(pid, [...(ccByPid.get(pid) ?? []), (p[3] as number) & 0x0f]);
    if (pid === 0x100 && (p[1] as number) & 0x40 && !keyAf) keyAf = p;
  }
  assert.deepEqual(ccByPid.get(0x100), [0, 1, 2, 3, 4, 5, 6], 'video: 6 packets for the IDR, 1 exactly filled for the slice');
  assert.deepEqual(ccByPid.get(0x101), [0, 1, 2], 'audio: 2 packets then 1');
  assert.ok(keyAf);
  assert.equal(((keyAf[3] as number) >>> 4) & 0x3, 0x3, 'adaptation field present');
  assert.equal((keyAf[5] as number) & 0x40, 0x40, 'random_access_indicator');
  assert.equal((keyAf[5] as number) & 0x10, 0x10, 'PCR_flag');
  assert.equal(readPcrBase(keyAf, 6), 500, 'PCR = DTS modulo 2^33');
});

test('TsReader reads back what TsWriter wrote: SPS/PPS and AUD before the IDR, ADTS audio, timestamps', () => {
  const w = new TsWriter(tracks);
  const key = idr(500, 0);
  const units: Array<[number, AccessUnit]> = [[0, key], [1, aac(300, 0)], [0, slice(400, 3600)], [1, aac(200, 1920)]];
  const ts = Buffer.concat([w.writeTables(), ...units.map(([i, u]) => w.writeAccessUnit(i, u))]);
  const r = new TsReader();
  // Feed in uneven pieces: the reader keeps partial packets.
  const frames = [...r.push(ts.subarray(0, 100)), ...r.push(ts.subarray(100, 1000)), ...r.push(ts.subarray(1000)), ...r.flush()];
  assert.deepEqual(r.stats, { bytesSkipped: 0, continuityErrors: 0, badUnits: 0 });
  assert.deepEqual(r.pmt?.streams, [{ streamType: 0x1b, pid: 0x100 }, { streamType: 0x0f, pid: 0x101 }]);
  const video = frames.filter((f) => f.pid === 0x100);
  const audio = frames.filter((f) => f.pid === 0x101);
  assert.equal(video.length, 2);
  assert.equal(audio.length, 2);
  const first = Buffer.from(video[0]?.data ?? []);
  const expected = Buffer.concat([Buffer.from('0000000109f0', 'hex'), Buffer.from([0, 0, 0, 1]), SPS, Buffer.from([0, 0, 0, 1]), PPS, Buffer.from([0, 0, 0, 1]), key.data.subarray(4)]);
  assert.deepEqual(first, expected);
  assert.equal(video[0]?.randomAccess, true);
  assert.equal(video[1]?.randomAccess, false);
  assert.equal(video[1]?.pts, 7200);
  assert.equal(video[1]?.dts, 3600);
  assert.equal(audio[1]?.pts, 1920);
  assert.equal(audio[0]?.data.length, 7 + 300, 'ADTS header + raw frame');
  assert.deepEqual([...(audio[0]?.data.subarray(0, 2) ?? [])], [0xff, 0xf1]);
});

test('TsReader returns a PES with a length as soon as it is complete, an unbounded (length 0) one at the next start', () => {
  const w = new TsWriter(tracks);
  const r = new TsReader();
  r.push(w.writeTables());
  assert.equal(r.push(w.writeAccessUnit(1, aac(300, 0))).length, 1, 'audio: no need to wait');
  assert.equal(r.push(w.writeAccessUnit(0, idr(70_000, 0))).length, 0, 'over 65535 bytes: PES_packet_length 0, end unknown');
  const next = r.push(w.writeAccessUnit(0, slice(100, 3600)));
  assert.equal(next.length, 2, 'the next start ends the big one; the small one has a length');
  assert.equal(next[0]?.data.length, 6 + 14 + 8 + 4 + 70_000, 'AUD, SPS, PPS, IDR with start codes');
  assert.equal(r.flush().length, 0);
});

test('TsReader counts garbage and continuity gaps instead of throwing', () => {
  const w = new TsWriter(tracks);
  const a = w.writeAccessUnit(1, aac(300, 0));
  const tables = w.writeTables();
  const r = new TsReader();
  const frames = [...r.push(tables), ...r.push(Uint8Array.of(1, 2, 3)), ...r.push(a.subarray(0, TS_PACKET_SIZE)), ...r.push(w.writeAccessUnit(1, aac(10, 1920))), ...r.flush()];
  assert.equal(r.stats.bytesSkipped, 3);
  assert.equal(r.stats.continuityErrors, 1);
  assert.equal(frames.length, 1, 'only the intact second frame');
  assert.equal(frames[0]?.pts, 1920);
});

test('TsWriter refuses codecs and configs it cannot carry', () => {
  assert.throws(() => new TsWriter([{ type: 'audio', codec: 'opus', sampleRate: 48000, channels: 2 }]), TypeError);
  assert.throws(() => new TsWriter([{ type: 'video', codec: 'h264' }]), TypeError);
  assert.throws(() => new TsWriter([]), TypeError);
  const escapedRate = buildAudioSpecificConfig({ objectType: 2, sampleRate: 44000, channelConfiguration: 2 });
  assert.throws(() => new TsWriter([{ type: 'audio', codec: 'aac', sampleRate: 44000, channels: 2, config: escapedRate }]), TypeError, 'ADTS has no escape rate');
});
