/**
 * AVCDecoderConfigurationRecord ("avcC", ISO 14496-15 §5.3.3.1): the H.264 decoder setup
 * carried in MP4 sample entries, FLV/RTMP sequence headers and TrackInfo.config.
 */
import { ParseError } from '../errors.js';
import { H264NalType, h264NalType, parseH264Sps } from './h264.js';
import type { NalLengthSize } from './nal.js';

/** numOfSequenceParameterSets is 5 bits (§5.3.3.1.2), numOfPictureParameterSets 8 bits. */
const MAX_SPS_COUNT = 31;
const MAX_PPS_COUNT = 255;

/** profile_idc values whose record carries the chroma / bit-depth extension (§5.3.3.1.2). */
const EXTENDED_PROFILES = new Set([100, 110, 122, 144]);

export interface AvcDecoderConfig {
  profileIdc: number;
  /** profile_compatibility: the SPS constraint flags byte. */
  constraintFlags: number;
  levelIdc: number;
  lengthSize: NalLengthSize;
  sps: Uint8Array[];
  pps: Uint8Array[];
  /** Present for profiles 100, 110, 122, 144 when the record carries the extension. */
  ext?: { chromaFormat: number; bitDepthLuma: number; bitDepthChroma: number; spsExt: Uint8Array[] };
}

/**
 * Builds an AVCDecoderConfigurationRecord from parameter sets (NAL units with header, no
 * start code). Profile, compatibility and level come from the first SPS; the high-profile
 * extension is written for profiles 100/110/122/144 as §5.3.3.1.2 requires.
 */
export function buildAvcDecoderConfig(p: { sps: readonly Uint8Array[]; pps: readonly Uint8Array[]; lengthSize?: NalLengthSize }): Uint8Array {
  const first = p.sps[0];
  if (!first) throw new TypeError('avcC needs at least one SPS');
  if (p.sps.length > MAX_SPS_COUNT || p.pps.length > MAX_PPS_COUNT) throw new TypeError('too many parameter sets for avcC');
  for (const s of [...p.sps, ...p.pps]) {
    if (s.length === 0 || s.length > 0xffff) throw new TypeError('parameter set size must be 1..65535');
  }
  const info = parseH264Sps(first);
  const lengthSize = p.lengthSize ?? 4;
  const out: number[] = [1, info.profileIdc, info.constraintFlags, info.levelIdc, 0xfc | (lengthSize - 1), 0xe0 | p.sps.length];
  const pushSet = (s: Uint8Array): void => {
    out.push(s.length >>> 8, s.length & 0xff, ...s);
  };
  p.sps.forEach(pushSet);
  out.push(p.pps.length);
  p.pps.forEach(pushSet);
  if (EXTENDED_PROFILES.has(info.profileIdc)) {
    out.push(0xfc | info.chromaFormatIdc, 0xf8 | (info.bitDepthLuma - 8), 0xf8 | (info.bitDepthChroma - 8), 0);
  }
  return Uint8Array.from(out);
}

/**
 * Parses an AVCDecoderConfigurationRecord. Parameter sets are views into the input. A record
 * for a high profile that ends after the PPS list (common in the wild) is accepted without
 * its extension.
 */
export function parseAvcDecoderConfig(data: Uint8Array): AvcDecoderConfig {
  let i = 0;
  const need = (n: number): void => {
    if (data.length - i < n) throw new ParseError('truncated', `avcC needs ${n} more bytes at ${i}`);
  };
  const u8 = (): number => {
    need(1);
    i += 1;
    return data[i - 1] as number;
  };
  const sets = (count: number, wantType?: number): Uint8Array[] => {
    const list: Uint8Array[] = [];
    for (let k = 0; k < count; k += 1) {
      const len = u8() * 256 + u8();
      need(len);
      const set = data.subarray(i, i + len);
      i += len;
      if (wantType !== undefined && (set.length === 0 || h264NalType(set) !== wantType)) {
        throw new ParseError('bad-parameter-set', `expected NAL type ${wantType}`);
      }
      list.push(set);
    }
    return list;
  };
  const version = u8();
  if (version !== 1) throw new ParseError('bad-version', `configurationVersion ${version}`);
  const profileIdc = u8();
  const constraintFlags = u8();
  const levelIdc = u8();
  const lengthSize = (u8() & 0x03) + 1;
  if (lengthSize === 3) throw new ParseError('bad-length-size', 'lengthSizeMinusOne 2 is reserved');
  const sps = sets(u8() & 0x1f, H264NalType.Sps);
  const pps = sets(u8(), H264NalType.Pps);
  const config: AvcDecoderConfig = { profileIdc, constraintFlags, levelIdc, lengthSize: lengthSize as NalLengthSize, sps, pps };
  if (EXTENDED_PROFILES.has(profileIdc) && data.length - i >= 4) {
    const chromaFormat = u8() & 0x03;
    const bitDepthLuma = (u8() & 0x07) + 8;
    const bitDepthChroma = (u8() & 0x07) + 8;
    const spsExt = sets(u8(), H264NalType.SpsExtension);
    config.ext = { chromaFormat, bitDepthLuma, bitDepthChroma, spsExt };
  }
  return config;
}
