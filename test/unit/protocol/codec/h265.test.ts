import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildHevcDecoderConfig, hevcConfigNalu, parseHevcDecoderConfig } from '../../../../protocol/codec/hevc-config.js';
import { extractH265ParameterSets, H265NalType, h265CodecString, isH265Keyframe, parseH265Sps } from '../../../../protocol/codec/h265.js';
import { splitAnnexB } from '../../../../protocol/codec/nal.js';
import { ParseError } from '../../../../protocol/errors.js';
import { ffmpeg, ffprobe, hasEncoder, withTempDir } from '../media-tools.js';

const isReason = (reason: string) => (e: unknown): boolean => e instanceof ParseError && e.reason === reason;

test('parseH265Sps() reads a real 1920x1080 libx265 SPS (1088 coded, conformance window) and hvcC round-trips', async (t) => {
  if (!(await hasEncoder('libx265'))) {
    t.skip('this ffmpeg has no libx265');
    return;
  }
  await withTempDir(async (dir) => {
    const raw = join(dir, 'one.hevc');
    const mp4 = join(dir, 'one.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=1920x1080:rate=25', '-frames:v', '1', '-pix_fmt', 'yuv420p', '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-f', 'hevc', raw]);
    await ffmpeg(['-i', raw, '-c', 'copy', '-tag:v', 'hvc1', mp4]);
    const probe = (await ffprobe(raw)).streams[0] as { width?: number; height?: number; level?: number; profile?: string };
    const nalus = splitAnnexB(new Uint8Array(await readFile(raw)));
    const { vps, sps, pps } = extractH265ParameterSets(nalus);
    assert.ok(vps && sps && pps);
    const copy = sps.slice();
    const info = parseH265Sps(sps);
    assert.deepEqual(sps, copy, 'input not mutated');
    assert.equal(info.width, 1920);
    assert.equal(info.height, 1080);
    assert.equal(info.codedHeight, 1088);
    assert.equal(info.profileIdc, 1, 'Main');
    assert.equal(probe.profile, 'Main');
    assert.equal(info.levelIdc, probe.level, 'ffprobe agrees on general_level_idc');
    assert.equal(info.chromaFormatIdc, 1);
    assert.equal(info.bitDepthLuma, 8);
    assert.ok(isH265Keyframe(nalus));
    // Main profile: compatibility flags 1 and 2, reversed → 0x6 (ISO 14496-15 Annex E.3).
    assert.match(h265CodecString(info), new RegExp(`^hvc1\\.1\\.6\\.L${info.levelIdc}(\\.[0-9A-F]{1,2})*$`));

    const ours = parseHevcDecoderConfig(buildHevcDecoderConfig({ vps, sps, pps }));
    const file = Buffer.from(await readFile(mp4));
    const at = file.indexOf('hvcC');
    const theirs = parseHevcDecoderConfig(new Uint8Array(file.subarray(at + 4, at - 4 + file.readUInt32BE(at - 4))));
    for (const c of [ours, theirs]) {
      assert.equal(c.profileIdc, info.profileIdc);
      assert.equal(c.levelIdc, info.levelIdc);
      assert.equal(c.compatibilityFlags, info.compatibilityFlags);
      assert.deepEqual([...c.constraintFlags], [...info.constraintFlags]);
      assert.equal(c.chromaFormat, 1);
      assert.equal(c.lengthSize, 4);
      assert.deepEqual([...(hevcConfigNalu(c, H265NalType.Sps) ?? [])], [...sps]);
      assert.deepEqual([...(hevcConfigNalu(c, H265NalType.Pps) ?? [])], [...pps]);
      assert.deepEqual([...(hevcConfigNalu(c, H265NalType.Vps) ?? [])], [...vps]);
    }
  });
});

test('h265CodecString() follows ISO 14496-15 Annex E.3 (profile space, reversed flags, tier, trimmed constraints)', () => {
  const ptl = { profileSpace: 0, tierFlag: false, profileIdc: 1, compatibilityFlags: 0x60000000, constraintFlags: Uint8Array.of(0xb0, 0, 0, 0, 0, 0), levelIdc: 93 };
  assert.equal(h265CodecString(ptl), 'hvc1.1.6.L93.B0');
  assert.equal(h265CodecString({ ...ptl, profileIdc: 2, compatibilityFlags: 0x20000000, tierFlag: true, levelIdc: 120, constraintFlags: Uint8Array.of(0x90, 0, 0, 0, 0, 0) }, 'hev1'), 'hev1.2.4.H120.90');
  assert.equal(h265CodecString({ ...ptl, profileSpace: 1, constraintFlags: new Uint8Array(6) }), 'hvc1.A1.6.L93');
});

test('IRAP detection covers BLA, IDR and CRA but not leading or trailing pictures', () => {
  const nal = (type: number): Uint8Array => Uint8Array.of(type << 1, 1, 0xaf);
  for (const t of [16, 17, 18, 19, 20, 21]) assert.equal(isH265Keyframe([nal(t)]), true, `type ${t}`);
  for (const t of [0, 1, 8, 9, 32, 39]) assert.equal(isH265Keyframe([nal(t)]), false, `type ${t}`);
});

const corrupt: Array<[string, () => unknown, string]> = [
  ['SPS of only a header', () => parseH265Sps(Uint8Array.of(0x42, 0x01)), 'truncated'],
  ['PPS passed as SPS', () => parseH265Sps(Uint8Array.of(0x44, 0x01, 0xc1, 0x72)), 'not-sps'],
  ['SPS cut inside profile_tier_level', () => parseH265Sps(Uint8Array.of(0x42, 0x01, 0x01, 0x01, 0x60, 0x00)), 'truncated'],
  ['hvcC shorter than its fixed part', () => parseHevcDecoderConfig(new Uint8Array(10)), 'truncated'],
  ['hvcC version 2', () => parseHevcDecoderConfig(Uint8Array.from([2, ...new Uint8Array(22)])), 'bad-version'],
  ['hvcC array running past the end', () => parseHevcDecoderConfig(Uint8Array.from([1, ...new Uint8Array(20), 0xff, 1, 0xa0, 0, 1, 0, 9, 0x40])), 'truncated'],
];
for (const [name, fn, reason] of corrupt) {
  test(`H.265 parsing rejects ${name} with ParseError ${reason}`, () => {
    assert.throws(fn, isReason(reason));
  });
}
