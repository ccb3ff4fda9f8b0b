/**
 * H.264 / AVC (ITU-T H.264): NAL unit types, keyframe detection, sequence parameter set
 * parsing and the RFC 6381 codec string. AVCDecoderConfigurationRecord lives in
 * `avc-config.ts`, NAL framing (Annex B, AVCC) in `nal.ts`.
 */
import { BitReader } from '../bits/bit-reader.js';
import { removeEmulationPrevention } from '../bits/emulation-prevention.js';
import { ParseError } from '../errors.js';
import { splitAvcc, type NalLengthSize } from './nal.js';

/** nal_unit_type values (ITU-T H.264 Table 7-1). */
export const H264NalType = {
  NonIdrSlice: 1,
  SliceDataA: 2,
  SliceDataB: 3,
  SliceDataC: 4,
  IdrSlice: 5,
  Sei: 6,
  Sps: 7,
  Pps: 8,
  Aud: 9,
  EndOfSequence: 10,
  EndOfStream: 11,
  Filler: 12,
  SpsExtension: 13,
  Prefix: 14,
  SubsetSps: 15,
  Dps: 16,
  AuxiliarySlice: 19,
  SliceExtension: 20,
  SliceExtensionDepth: 21,
} as const;

/** nal_unit_type of a NAL unit: the low 5 bits of its header byte (§7.3.1). */
export function h264NalType(nalu: Uint8Array): number {
  if (nalu.length < 1) throw new ParseError('truncated', 'empty NAL unit');
  return (nalu[0] as number) & 0x1f;
}

/** True when the NAL units contain an IDR slice: a decoder can start here (§3.69). */
export function isH264Keyframe(nalus: readonly Uint8Array[]): boolean {
  return nalus.some((n) => n.length > 0 && ((n[0] as number) & 0x1f) === H264NalType.IdrSlice);
}

/** isH264Keyframe for an AccessUnit payload (length-prefixed NAL units). */
export function isH264KeyframeAvcc(data: Uint8Array, lengthSize: NalLengthSize = 4): boolean {
  return isH264Keyframe(splitAvcc(data, lengthSize));
}

/** profile_idc values whose SPS carries chroma_format_idc and bit depths (§7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/**
 * Largest pic_width_in_mbs / pic_height_in_map_units accepted. Annex A.3.1 (f) bounds
 * PicWidthInMbs by Sqrt(MaxFS · 8); with the largest MaxFS (139264, levels 6–6.2) that is
 * 1055 macroblocks (16880 samples).
 */
export const MAX_PIC_SIZE_IN_MBS = 1055;

/** Largest num_ref_frames_in_pic_order_cnt_cycle (§7.4.2.1.1: 0..255). */
const MAX_REF_FRAMES_IN_POC_CYCLE = 255;

/** Fields of a parsed sequence parameter set (§7.3.2.1.1) that muxers and players need. */
export interface H264Sps {
  profileIdc: number;
  /** The byte holding constraint_set0..5_flag and reserved_zero_2bits. */
  constraintFlags: number;
  levelIdc: number;
  spsId: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4 (Table 6-1). */
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  bitDepthLuma: number;
  bitDepthChroma: number;
  scalingMatrixPresent: boolean;
  log2MaxFrameNum: number;
  picOrderCntType: number;
  maxNumRefFrames: number;
  frameMbsOnly: boolean;
  /** frame_crop_*_offset in crop units (§7.4.2.1.1); zeros when not cropped. */
  crop: { left: number; right: number; top: number; bottom: number };
  /** Displayed size in luma samples after cropping. */
  width: number;
  height: number;
  /** VUI fields (Annex E.1.1) when present and readable. */
  vui?: H264Vui;
}

export interface H264Vui {
  /** Sample aspect ratio, when signalled. */
  sar?: { width: number; height: number };
  /** Timing; frame rate = timeScale ÷ (2 · numUnitsInTick) for progressive video (E.2.1). */
  timing?: { numUnitsInTick: number; timeScale: number; fixedFrameRate: boolean };
}

/** aspect_ratio_idc → sample aspect ratio (Table E-1); 255 is Extended_SAR. */
const SAR_TABLE: ReadonlyArray<readonly [number, number]> = [
  [0, 0], [1, 1], [12, 11], [10, 11], [16, 11], [40, 33], [24, 11], [20, 11], [32, 11],
  [80, 33], [18, 11], [15, 11], [64, 33], [160, 99], [4, 3], [3, 2], [2, 1],
];
const EXTENDED_SAR = 255;

function expect(cond: boolean, reason: string, message: string): void {
  if (!cond) throw new ParseError(reason, message);
}

/** scaling_list() (§7.3.2.1.1.1): only read to stay in step; the values are not kept. */
function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j += 1) {
    if (next !== 0) {
      const delta = r.readSe();
      expect(delta >= -128 && delta <= 127, 'bad-scaling-list', `delta_scale ${delta}`);
      next = (last + delta + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

/**
 * Parses a sequence parameter set NAL unit (header byte included, emulation prevention
 * present) per ITU-T H.264 §7.3.2.1.1. The VUI is read best-effort: a damaged VUI leaves
 * `vui` undefined instead of failing, as encoders in the wild write broken ones.
 */
export function parseH264Sps(nalu: Uint8Array): H264Sps {
  expect(nalu.length >= 4, 'truncated', 'SPS shorter than its fixed header');
  expect(h264NalType(nalu) === H264NalType.Sps, 'not-sps', `NAL type ${h264NalType(nalu)}`);
  const rbsp = removeEmulationPrevention(nalu.subarray(1));
  const r = new BitReader(rbsp);
  const profileIdc = r.readBits(8);
  const constraintFlags = r.readBits(8);
  const levelIdc = r.readBits(8);
  const spsId = r.readUe();
  expect(spsId <= 31, 'bad-sps-id', `seq_parameter_set_id ${spsId}`);

  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  let scalingMatrixPresent = false;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.readUe();
    expect(chromaFormatIdc <= 3, 'bad-chroma-format', `chroma_format_idc ${chromaFormatIdc}`);
    if (chromaFormatIdc === 3) separateColourPlane = r.readFlag();
    bitDepthLuma = r.readUe() + 8;
    bitDepthChroma = r.readUe() + 8;
    expect(bitDepthLuma <= 14 && bitDepthChroma <= 14, 'bad-bit-depth', `${bitDepthLuma}/${bitDepthChroma}`);
    r.skipBits(1); // qpprime_y_zero_transform_bypass_flag
    scalingMatrixPresent = r.readFlag();
    if (scalingMatrixPresent) {
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i += 1) {
        if (r.readFlag()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }

  const log2MaxFrameNum = r.readUe() + 4;
  expect(log2MaxFrameNum <= 16, 'bad-frame-num', `log2_max_frame_num ${log2MaxFrameNum}`);
  const picOrderCntType = r.readUe();
  expect(picOrderCntType <= 2, 'bad-poc-type', `pic_order_cnt_type ${picOrderCntType}`);
  if (picOrderCntType === 0) {
    const log2MaxPocLsb = r.readUe() + 4;
    expect(log2MaxPocLsb <= 16, 'bad-poc-lsb', `log2_max_pic_order_cnt_lsb ${log2MaxPocLsb}`);
  } else if (picOrderCntType === 1) {
    r.skipBits(1); // delta_pic_order_always_zero_flag
    r.readSe(); // offset_for_non_ref_pic
    r.readSe(); // offset_for_top_to_bottom_field
    const cycle = r.readUe();
    expect(cycle <= MAX_REF_FRAMES_IN_POC_CYCLE, 'bad-poc-cycle', `num_ref_frames_in_pic_order_cnt_cycle ${cycle}`);
    for (let i = 0; i < cycle; i += 1) r.readSe();
  }
  const maxNumRefFrames = r.readUe();
  r.skipBits(1); // gaps_in_frame_num_value_allowed_flag
  const widthInMbs = r.readUe() + 1;
  const heightInMapUnits = r.readUe() + 1;
  expect(
    widthInMbs <= MAX_PIC_SIZE_IN_MBS && heightInMapUnits <= MAX_PIC_SIZE_IN_MBS,
    'bad-dimensions',
    `${widthInMbs}x${heightInMapUnits} macroblocks`,
  );
  const frameMbsOnly = r.readFlag();
  if (!frameMbsOnly) r.skipBits(1); // mb_adaptive_frame_field_flag
  r.skipBits(1); // direct_8x8_inference_flag
  const crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.readFlag()) {
    crop.left = r.readUe();
    crop.right = r.readUe();
    crop.top = r.readUe();
    crop.bottom = r.readUe();
  }

  // Frame size and cropping: equations 7-13 … 7-19 with Table 6-1's SubWidthC / SubHeightC.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaFormatIdc === 3 ? 1 : 2;
  const subHeightC = chromaFormatIdc === 1 ? 2 : 1;
  const fieldFactor = frameMbsOnly ? 1 : 2;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = chromaArrayType === 0 ? fieldFactor : subHeightC * fieldFactor;
  const fullWidth = widthInMbs * 16;
  const fullHeight = heightInMapUnits * 16 * fieldFactor;
  const width = fullWidth - cropUnitX * (crop.left + crop.right);
  const height = fullHeight - cropUnitY * (crop.top + crop.bottom);
  expect(width > 0 && height > 0, 'bad-cropping', `cropping leaves ${width}x${height}`);

  const sps: H264Sps = {
    profileIdc, constraintFlags, levelIdc, spsId, chromaFormatIdc, separateColourPlane,
    bitDepthLuma, bitDepthChroma, scalingMatrixPresent, log2MaxFrameNum, picOrderCntType,
    maxNumRefFrames, frameMbsOnly, crop, width, height,
  };
  if (r.bitsLeft > 0 && r.readFlag()) {
    try {
      sps.vui = parseVui(r);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
    }
  }
  return sps;
}

/** vui_parameters() up to the timing info (Annex E.1.1); the HRD part is not needed here. */
function parseVui(r: BitReader): H264Vui {
  const vui: H264Vui = {};
  if (r.readFlag()) {
    const idc = r.readBits(8);
    if (idc === EXTENDED_SAR) {
      vui.sar = { width: r.readBits(16), height: r.readBits(16) };
    } else {
      const entry = SAR_TABLE[idc];
      if (entry && idc > 0) vui.sar = { width: entry[0], height: entry[1] };
    }
  }
  if (r.readFlag()) r.skipBits(1); // overscan_appropriate_flag
  if (r.readFlag()) {
    r.skipBits(4); // video_format, video_full_range_flag
    if (r.readFlag()) r.skipBits(24); // colour_primaries, transfer_characteristics, matrix_coefficients
  }
  if (r.readFlag()) {
    r.readUe(); // chroma_sample_loc_type_top_field
    r.readUe(); // chroma_sample_loc_type_bottom_field
  }
  if (r.readFlag()) {
    const numUnitsInTick = r.readBits(32);
    const timeScale = r.readBits(32);
    const fixedFrameRate = r.readFlag();
    if (numUnitsInTick > 0 && timeScale > 0) vui.timing = { numUnitsInTick, timeScale, fixedFrameRate };
  }
  return vui;
}

/** Frame rate from the VUI timing (Annex E.2.1), or undefined when not signalled. */
export function h264FrameRate(sps: H264Sps): number | undefined {
  const t = sps.vui?.timing;
  return t ? t.timeScale / (2 * t.numUnitsInTick) : undefined;
}

function hex2(v: number): string {
  return v.toString(16).padStart(2, '0');
}

/**
 * RFC 6381 §3.3 codec string `avc1.PPCCLL`: profile_idc, the constraint flags byte and
 * level_idc in hex, as found in the SPS or the AVCDecoderConfigurationRecord.
 */
export function h264CodecString(p: { profileIdc: number; constraintFlags: number; levelIdc: number }): string {
  return `avc1.${hex2(p.profileIdc)}${hex2(p.constraintFlags)}${hex2(p.levelIdc)}`;
}
