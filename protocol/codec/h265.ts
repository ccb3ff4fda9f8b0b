/**
 * H.265 / HEVC (ITU-T H.265): NAL unit types, IRAP detection, parameter set extraction, SPS
 * parsing for size and profile/tier/level, and the codec string of ISO 14496-15 Annex E.3.
 * HEVCDecoderConfigurationRecord lives in `hevc-config.ts`.
 */
import { BitReader } from '../bits/bit-reader.js';
import { removeEmulationPrevention } from '../bits/emulation-prevention.js';
import { ParseError } from '../errors.js';
import { splitAvcc, type NalLengthSize } from './nal.js';

/** nal_unit_type values (ITU-T H.265 Table 7-1). */
export const H265NalType = {
  TrailN: 0,
  TrailR: 1,
  TsaN: 2,
  TsaR: 3,
  StsaN: 4,
  StsaR: 5,
  RadlN: 6,
  RadlR: 7,
  RaslN: 8,
  RaslR: 9,
  BlaWLp: 16,
  BlaWRadl: 17,
  BlaNLp: 18,
  IdrWRadl: 19,
  IdrNLp: 20,
  Cra: 21,
  RsvIrap22: 22,
  RsvIrap23: 23,
  Vps: 32,
  Sps: 33,
  Pps: 34,
  Aud: 35,
  EndOfSequence: 36,
  EndOfBitstream: 37,
  Filler: 38,
  PrefixSei: 39,
  SuffixSei: 40,
} as const;

/** Size of the H.265 NAL unit header (§7.3.1.2). */
export const H265_NAL_HEADER_SIZE = 2;

/** nal_unit_type: bits 1..6 of the first header byte (§7.3.1.2). */
export function h265NalType(nalu: Uint8Array): number {
  if (nalu.length < H265_NAL_HEADER_SIZE) throw new ParseError('truncated', 'NAL unit shorter than its header');
  return ((nalu[0] as number) >>> 1) & 0x3f;
}

/** IRAP pictures are nal_unit_type 16..23 (BLA, IDR, CRA, reserved IRAP; §3.73). */
export function isH265IrapType(type: number): boolean {
  return type >= H265NalType.BlaWLp && type <= H265NalType.RsvIrap23;
}

/** True when the NAL units contain an IRAP slice: a decoder can start here. */
export function isH265Keyframe(nalus: readonly Uint8Array[]): boolean {
  return nalus.some((n) => n.length >= H265_NAL_HEADER_SIZE && isH265IrapType(h265NalType(n)));
}

/** isH265Keyframe for an AccessUnit payload (length-prefixed NAL units). */
export function isH265KeyframeAvcc(data: Uint8Array, lengthSize: NalLengthSize = 4): boolean {
  return isH265Keyframe(splitAvcc(data, lengthSize));
}

/** The VPS, SPS and PPS NAL units found in a list (the last of each kind wins). */
export function extractH265ParameterSets(nalus: readonly Uint8Array[]): { vps?: Uint8Array; sps?: Uint8Array; pps?: Uint8Array } {
  const found: { vps?: Uint8Array; sps?: Uint8Array; pps?: Uint8Array } = {};
  for (const n of nalus) {
    if (n.length < H265_NAL_HEADER_SIZE) continue;
    const t = h265NalType(n);
    if (t === H265NalType.Vps) found.vps = n;
    else if (t === H265NalType.Sps) found.sps = n;
    else if (t === H265NalType.Pps) found.pps = n;
  }
  return found;
}

/** general_profile_tier_level fields (§7.3.3), as hvcC and the codec string need them. */
export interface H265ProfileTierLevel {
  profileSpace: number;
  tierFlag: boolean;
  profileIdc: number;
  /** general_profile_compatibility_flag[0..31], flag j in bit 31 − j. */
  compatibilityFlags: number;
  /** The 48 bits from general_progressive_source_flag on, as 6 bytes. */
  constraintFlags: Uint8Array;
  levelIdc: number;
}

export interface H265Sps extends H265ProfileTierLevel {
  vpsId: number;
  maxSubLayersMinus1: number;
  temporalIdNesting: boolean;
  spsId: number;
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  /** pic_width/height_in_luma_samples before the conformance window. */
  codedWidth: number;
  codedHeight: number;
  /** Size after the conformance window (§7.4.3.2.1). */
  width: number;
  height: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
}

/** sps_seq_parameter_set_id ≤ 15 (§7.4.3.2.1). */
const MAX_SPS_ID = 15;

/**
 * Largest pic_width/height_in_luma_samples accepted: Annex A.4.1 bounds each by
 * Sqrt(MaxLumaPs · 8); with the largest MaxLumaPs (35 651 584, level 6.x) that is 16888.
 */
export const MAX_H265_PIC_SIZE = 16888;

function expect(cond: boolean, reason: string, message: string): void {
  if (!cond) throw new ParseError(reason, message);
}

/** profile_tier_level(1, maxNumSubLayersMinus1) (§7.3.3); sub-layer fields are skipped. */
function readProfileTierLevel(r: BitReader, maxSubLayersMinus1: number): H265ProfileTierLevel {
  const profileSpace = r.readBits(2);
  const tierFlag = r.readFlag();
  const profileIdc = r.readBits(5);
  const compatibilityFlags = r.readBits(32);
  const constraintFlags = new Uint8Array(6);
  for (let i = 0; i < 6; i += 1) constraintFlags[i] = r.readBits(8);
  const levelIdc = r.readBits(8);
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i += 1) {
    profilePresent.push(r.readFlag());
    levelPresent.push(r.readFlag());
  }
  if (maxSubLayersMinus1 > 0) r.skipBits(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
  for (let i = 0; i < maxSubLayersMinus1; i += 1) {
    if (profilePresent[i]) r.skipBits(88); // sub_layer profile space … inbld/reserved flags
    if (levelPresent[i]) r.skipBits(8); // sub_layer_level_idc
  }
  return { profileSpace, tierFlag, profileIdc, compatibilityFlags, constraintFlags, levelIdc };
}

/**
 * Parses a sequence parameter set NAL unit (2-byte header included, emulation prevention
 * present) per ITU-T H.265 §7.3.2.2.1, up to the bit depths.
 */
export function parseH265Sps(nalu: Uint8Array): H265Sps {
  expect(nalu.length > H265_NAL_HEADER_SIZE, 'truncated', 'SPS shorter than its header');
  expect(h265NalType(nalu) === H265NalType.Sps, 'not-sps', `NAL type ${h265NalType(nalu)}`);
  const r = new BitReader(removeEmulationPrevention(nalu.subarray(H265_NAL_HEADER_SIZE)));
  const vpsId = r.readBits(4);
  const maxSubLayersMinus1 = r.readBits(3);
  expect(maxSubLayersMinus1 <= 6, 'bad-sub-layers', `sps_max_sub_layers_minus1 ${maxSubLayersMinus1}`);
  const temporalIdNesting = r.readFlag();
  const ptl = readProfileTierLevel(r, maxSubLayersMinus1);
  const spsId = r.readUe();
  expect(spsId <= MAX_SPS_ID, 'bad-sps-id', `sps_seq_parameter_set_id ${spsId}`);
  const chromaFormatIdc = r.readUe();
  expect(chromaFormatIdc <= 3, 'bad-chroma-format', `chroma_format_idc ${chromaFormatIdc}`);
  const separateColourPlane = chromaFormatIdc === 3 ? r.readFlag() : false;
  const codedWidth = r.readUe();
  const codedHeight = r.readUe();
  expect(
    codedWidth > 0 && codedHeight > 0 && codedWidth <= MAX_H265_PIC_SIZE && codedHeight <= MAX_H265_PIC_SIZE,
    'bad-dimensions',
    `${codedWidth}x${codedHeight}`,
  );
  const window = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.readFlag()) {
    window.left = r.readUe();
    window.right = r.readUe();
    window.top = r.readUe();
    window.bottom = r.readUe();
  }
  const bitDepthLuma = r.readUe() + 8;
  const bitDepthChroma = r.readUe() + 8;
  expect(bitDepthLuma <= 16 && bitDepthChroma <= 16, 'bad-bit-depth', `${bitDepthLuma}/${bitDepthChroma}`);
  // Conformance window in chroma units (§7.4.3.2.1, Table 6-1 SubWidthC / SubHeightC).
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const width = codedWidth - subWidthC * (window.left + window.right);
  const height = codedHeight - subHeightC * (window.top + window.bottom);
  expect(width > 0 && height > 0, 'bad-cropping', `conformance window leaves ${width}x${height}`);
  return {
    ...ptl, vpsId, maxSubLayersMinus1, temporalIdNesting, spsId, chromaFormatIdc, separateColourPlane,
    codedWidth, codedHeight, width, height, bitDepthLuma, bitDepthChroma,
  };
}

/** Reverses the bit order of a 32-bit value (Annex E.3 writes compatibility flags reversed). */
function reverse32(v: number): number {
  let out = 0;
  for (let i = 0; i < 32; i += 1) {
    out = out * 2 + (Math.floor(v / 2 ** i) % 2);
  }
  return out;
}

/**
 * Codec string `hvc1.…` of ISO 14496-15 Annex E.3: profile space letter and profile_idc,
 * the compatibility flags bit-reversed in hex, tier letter and level_idc, then the constraint
 * bytes in hex with trailing zero bytes omitted. `hev1` instead when parameter sets travel
 * in-band only.
 */
export function h265CodecString(ptl: H265ProfileTierLevel, sampleEntry: 'hvc1' | 'hev1' = 'hvc1'): string {
  const space = ['', 'A', 'B', 'C'][ptl.profileSpace] ?? '';
  const parts = [
    sampleEntry,
    `${space}${ptl.profileIdc}`,
    reverse32(ptl.compatibilityFlags).toString(16).toUpperCase(),
    `${ptl.tierFlag ? 'H' : 'L'}${ptl.levelIdc}`,
  ];
  let last = ptl.constraintFlags.length;
  while (last > 0 && ptl.constraintFlags[last - 1] === 0) last -= 1;
  for (let i = 0; i < last; i += 1) parts.push((ptl.constraintFlags[i] as number).toString(16).toUpperCase());
  return parts.join('.');
}
