import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BitWriter } from '../../../../protocol/bits/bit-writer.js';
import { buildAvcDecoderConfig, parseAvcDecoderConfig } from '../../../../protocol/codec/avc-config.js';
import { H264NalType, h264CodecString, h264FrameRate, h264NalType, isH264Keyframe, parseH264Sps } from '../../../../protocol/codec/h264.js';
import { splitAnnexB } from '../../../../protocol/codec/nal.js';
import { ParseError } from '../../../../protocol/errors.js';
import { ffmpeg, ffprobe, withTempDir } from '../media-tools.js';

const isReason = (reason: string) => (e: unknown): boolean => e instanceof ParseError && e.reason === reason;

interface SpsCase {
  name: string;
  args: string[];
  profileIdc: number;
  chromaFormatIdc: number;
  bitDepth: number;
  width: number;
  height: number;
  frameMbsOnly: boolean;
  scalingMatrix: boolean;
}


// Real SPSs from libx264 (one frame each from lavfi testsrc; decoded sizes checked by ffprobe too).
const spsCases: SpsCase[] = [
  { name: '320x240 constrained baseline', args: ['-s', '320x240', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p'], profileIdc: 66, chromaFormatIdc: 1, bitDepth: 8, width: 320, height: 240, frameMbsOnly: true, scalingMatrix: false },
  { name: '1280x720 main', args: ['-s', '1280x720', '-profile:v', 'main', '-pix_fmt', 'yuv420p'], profileIdc: 77, chromaFormatIdc: 1, bitDepth: 8, width: 1280, height: 720, frameMbsOnly: true, scalingMatrix: false },
  { name: '1920x1080 high (1088 cropped to 1080)', args: ['-s', '1920x1080', '-profile:v', 'high', '-pix_fmt', 'yuv420p'], profileIdc: 100, chromaFormatIdc: 1, bitDepth: 8, width: 1920, height: 1080, frameMbsOnly: true, scalingMatrix: false },
  // x264 puts custom scaling lists in the PPS, never the SPS: SPS lists are covered by a crafted case below.
  { name: '322x242 high 4:4:4 predictive (crop unit 1)', args: ['-s', '322x242', '-profile:v', 'high444', '-pix_fmt', 'yuv444p'], profileIdc: 244, chromaFormatIdc: 3, bitDepth: 8, width: 322, height: 242, frameMbsOnly: true, scalingMatrix: false },
  { name: '320x180 high 4:2:2 10-bit', args: ['-s', '320x180', '-profile:v', 'high422', '-pix_fmt', 'yuv422p10le'], profileIdc: 122, chromaFormatIdc: 2, bitDepth: 10, width: 320, height: 180, frameMbsOnly: true, scalingMatrix: false },
  { name: '320x240 interlaced (frame_mbs_only 0)', args: ['-s', '320x240', '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-flags', '+ildct'], profileIdc: 100, chromaFormatIdc: 1, bitDepth: 8, width: 320, height: 240, frameMbsOnly: false, scalingMatrix: false },
];

async function encodeOneFrame(dir: string, c: SpsCase): Promise<{ nalus: Uint8Array[]; probe: { width?: number; height?: number; level?: number } }> {
  const file = join(dir, 'one.h264');
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=rate=25', '-frames:v', '1', '-c:v', 'libx264', '-preset', 'veryfast', ...c.args, '-f', 'h264', file]);
  const probe = await ffprobe(file);
  const stream = probe.streams[0] as { width?: number; height?: number; level?: number };
  return { nalus: splitAnnexB(new Uint8Array(await readFile(file))), probe: stream };
}

for (const c of spsCases) {
  test(`parseH264Sps() reads a real ${c.name} SPS`, async () => {
    await withTempDir(async (dir) => {
      const { nalus, probe } = await encodeOneFrame(dir, c);
      const sps = nalus.find((n) => h264NalType(n) === H264NalType.Sps);
      const pps = nalus.find((n) => h264NalType(n) === H264NalType.Pps);
      assert.ok(sps && pps, 'SPS and PPS present');
      const copy = sps.slice();
      const info = parseH264Sps(sps);
      assert.deepEqual(sps, copy, 'input not mutated');
      assert.equal(info.profileIdc, c.profileIdc);
      assert.equal(info.chromaFormatIdc, c.chromaFormatIdc);
      assert.equal(info.bitDepthLuma, c.bitDepth);
      assert.equal(info.frameMbsOnly, c.frameMbsOnly);
      assert.equal(info.scalingMatrixPresent, c.scalingMatrix);
      assert.equal(info.width, c.width);
      assert.equal(info.height, c.height);
      assert.equal(probe.width, c.width, 'ffprobe agrees on width');
      assert.equal(probe.height, c.height, 'ffprobe agrees on height');
      assert.equal(info.levelIdc, probe.level, 'ffprobe agrees on level');
      assert.equal(h264FrameRate(info), 25, 'VUI timing gives 25 fps');
      assert.equal(h264CodecString(info), `avc1.${Buffer.from(sps.subarray(1, 4)).toString('hex')}`);
      assert.ok(isH264Keyframe(nalus), 'the only frame is an IDR');

      const record = buildAvcDecoderConfig({ sps: [sps], pps: [pps] });
      const parsed = parseAvcDecoderConfig(record);
      assert.equal(parsed.profileIdc, c.profileIdc);
      assert.equal(parsed.lengthSize, 4);
      assert.deepEqual(parsed.sps.map((s) => [...s]), [[...sps]]);
      assert.deepEqual(parsed.pps.map((s) => [...s]), [[...pps]]);
      if ([100, 110, 122].includes(c.profileIdc)) { // ISO 14496-15 §5.3.3.1.2 lists 100, 110, 122, 144
        assert.equal(parsed.ext?.chromaFormat, c.chromaFormatIdc);
        assert.equal(parsed.ext?.bitDepthLuma, c.bitDepth);
      }
    });
  });
}

test('buildAvcDecoderConfig() matches the avcC that ffmpeg writes into MP4', async () => {
  await withTempDir(async (dir) => {
    const raw = join(dir, 'a.h264');
    const mp4 = join(dir, 'a.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-frames:v', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-f', 'h264', raw]);
    await ffmpeg(['-i', raw, '-c', 'copy', mp4]);
    const file = new Uint8Array(await readFile(mp4));
    const at = Buffer.from(file).indexOf('avcC');
    assert.ok(at > 4);
    const size = Buffer.from(file).readUInt32BE(at - 4);
    const theirs = file.subarray(at + 4, at - 4 + size);
    const nalus = splitAnnexB(new Uint8Array(await readFile(raw)));
    const sps = nalus.filter((n) => h264NalType(n) === H264NalType.Sps);
    const pps = nalus.filter((n) => h264NalType(n) === H264NalType.Pps);
    const ours = buildAvcDecoderConfig({ sps: sps.slice(0, 1), pps: pps.slice(0, 1) });
    assert.deepEqual(parseAvcDecoderConfig(ours), parseAvcDecoderConfig(theirs));
  });
});

/** Writes ue(v) (H.264 §9.1). */
function ue(w: BitWriter, v: number): void {
  const len = Math.floor(Math.log2(v + 1));
  w.writeBits(0, len).writeBits(v + 1, len + 1);
}

/** Writes se(v) (H.264 §9.1.1). */
function se(w: BitWriter, v: number): void {
  ue(w, v > 0 ? 2 * v - 1 : -2 * v);
}

/** A crafted SPS NAL unit (§7.3.2.1.1) with chosen fields, for the corrupt table. */
function craftSps(p: { profile?: number; chroma?: number; widthMbs?: number; heightMbs?: number; crop?: [number, number, number, number]; scaling?: boolean; cut?: number }): Uint8Array {
  const profile = p.profile ?? 66;
  const w = new BitWriter().writeBits(0x67, 8).writeBits(profile, 8).writeBits(0, 8).writeBits(30, 8);
  ue(w, 0);
  if (profile === 100 || profile === 244) {
    const chroma = p.chroma ?? 1;
    ue(w, chroma);
    if (chroma === 3) w.writeBits(0, 1); // separate_colour_plane_flag
    ue(w, 0);
    ue(w, 0);
    w.writeBits(0, 1).writeFlag(p.scaling === true);
    if (p.scaling) {
      // 12 lists for 4:4:4 (8 otherwise): even ones present. 4x4 lists ramp by +1; 8x8 lists
      // send delta −8 first, which makes nextScale 0 (useDefaultScalingMatrixFlag) and ends them.
      for (let i = 0; i < (chroma === 3 ? 12 : 8); i += 1) {
        const present = i % 2 === 0;
        w.writeFlag(present);
        if (!present) continue;
        if (i < 6) for (let j = 0; j < 16; j += 1) se(w, 1);
        else se(w, -8);
      }
    }
  }
  ue(w, 0); // log2_max_frame_num_minus4
  ue(w, 2); // pic_order_cnt_type
  ue(w, 1); // max_num_ref_frames
  w.writeBits(0, 1);
  ue(w, (p.widthMbs ?? 20) - 1);
  ue(w, (p.heightMbs ?? 15) - 1);
  w.writeBits(1, 1).writeBits(1, 1); // frame_mbs_only, direct_8x8
  w.writeFlag(p.crop !== undefined);
  for (const c of p.crop ?? []) ue(w, c);
  w.writeBits(0, 1).writeBits(1, 1); // no VUI, rbsp_stop_one_bit
  const out = w.finish();
  return p.cut === undefined ? out : out.subarray(0, p.cut);
}

test('crafted SPS: 4:2:0 cropping is counted in units of two samples', () => {
  const info = parseH264Sps(craftSps({ crop: [1, 2, 0, 3] }));
  assert.equal(info.width, 320 - 2 * 3);
  assert.equal(info.height, 240 - 2 * 3);
  assert.equal(info.vui, undefined);
});

test('crafted SPS: high 4:4:4 with 12 scaling lists in the SPS is read in step', () => {
  const info = parseH264Sps(craftSps({ profile: 244, chroma: 3, scaling: true, widthMbs: 21, heightMbs: 16, crop: [0, 14, 0, 14] }));
  assert.equal(info.scalingMatrixPresent, true);
  assert.equal(info.chromaFormatIdc, 3);
  assert.equal(info.width, 336 - 14, '4:4:4 crops in single samples');
  assert.equal(info.height, 256 - 14);
});

const corruptSps: Array<[string, Uint8Array, string]> = [
  ['cut inside the header', craftSps({ cut: 3 }), 'truncated'],
  ['cut before the size fields', craftSps({ cut: 5 }), 'truncated'],
  ['not an SPS', Uint8Array.of(0x68, 0xce, 0x38, 0x80), 'not-sps'],
  ['cropping larger than the picture', craftSps({ crop: [0, 0, 0, 120] }), 'bad-cropping'],
  ['width beyond level 6.2', craftSps({ widthMbs: 2000 }), 'bad-dimensions'],
  ['chroma_format_idc 4', craftSps({ profile: 100, chroma: 4 }), 'bad-chroma-format'],
];
for (const [name, data, reason] of corruptSps) {
  test(`parseH264Sps() rejects ${name} with ParseError ${reason}`, () => {
    assert.throws(() => parseH264Sps(data), isReason(reason));
  });
}

const corruptAvcc: Array<[string, number[], string]> = [
  ['version 0', [0, 66, 0xc0, 30, 0xff, 0xe0, 0], 'bad-version'],
  ['reserved length size 3', [1, 66, 0xc0, 30, 0xfe, 0xe0, 0], 'bad-length-size'],
  ['SPS length past the end', [1, 66, 0xc0, 30, 0xff, 0xe1, 0, 9, 0x67, 66], 'truncated'],
  ['PPS slot holding an SPS', [1, 66, 0xc0, 30, 0xff, 0xe0, 1, 0, 2, 0x67, 66], 'bad-parameter-set'],
  ['empty', [], 'truncated'],
];
for (const [name, bytes, reason] of corruptAvcc) {
  test(`parseAvcDecoderConfig() rejects ${name} with ParseError ${reason}`, () => {
    assert.throws(() => parseAvcDecoderConfig(Uint8Array.from(bytes)), isReason(reason));
  });
}

test('parseAvcDecoderConfig() accepts a high-profile record without its extension (seen in the wild)', () => {
  const sps = craftSps({ profile: 100 });
  const record = Uint8Array.from([1, 100, 0, 30, 0xff, 0xe1, 0, sps.length, ...sps, 1, 0, 2, 0x68, 0xce]);
  const parsed = parseAvcDecoderConfig(record);
  assert.equal(parsed.ext, undefined);
  assert.equal(parsed.pps.length, 1);
});

test('isH264Keyframe() is false for non-IDR slices only', () => {
  assert.equal(isH264Keyframe([Uint8Array.of(0x09, 0xf0), Uint8Array.of(0x41, 0x9a)]), false);
  assert.equal(isH264Keyframe([Uint8Array.of(0x67), Uint8Array.of(0x68), Uint8Array.of(0x65, 0x88)]), true);
});
