/**
 * HEVCDecoderConfigurationRecord ("hvcC", ISO 14496-15 §8.3.3.1): the H.265 decoder setup for
 * MP4 sample entries, enhanced RTMP/FLV and TrackInfo.config.
 */
import { ParseError } from '../errors.js';
import { H265NalType, h265NalType, parseH265Sps, type H265ProfileTierLevel } from './h265.js';
import type { NalLengthSize } from './nal.js';

/** Size of the fixed part before the NAL unit arrays (§8.3.3.1.2). */
const HVCC_HEADER_SIZE = 23;

/** numOfArrays is 8 bits, numNalus 16 bits; this bounds the parse of a hostile record. */
const MAX_NALUS_IN_HVCC = 1024;

export interface HevcDecoderConfig extends H265ProfileTierLevel {
  chromaFormat: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  lengthSize: NalLengthSize;
  /** Arrays of parameter set / SEI NAL units, with their completeness flag. */
  arrays: Array<{ nalType: number; complete: boolean; nalus: Uint8Array[] }>;
}

/**
 * Builds an hvcC from VPS, SPS and PPS NAL units (2-byte header, no start code).
 * Profile/tier/level, chroma format and bit depths come from the SPS; arrays are marked
 * complete (all parameter sets are in the record, as `hvc1` requires).
 */
export function buildHevcDecoderConfig(p: { vps: Uint8Array; sps: Uint8Array; pps: Uint8Array; lengthSize?: NalLengthSize }): Uint8Array {
  const sps = parseH265Sps(p.sps);
  const lengthSize = p.lengthSize ?? 4;
  for (const n of [p.vps, p.sps, p.pps]) {
    if (n.length === 0 || n.length > 0xffff) throw new TypeError('parameter set size must be 1..65535');
  }
  const out: number[] = [
    1,
    (sps.profileSpace << 6) | (sps.tierFlag ? 0x20 : 0) | sps.profileIdc,
    sps.compatibilityFlags >>> 24, (sps.compatibilityFlags >>> 16) & 0xff, (sps.compatibilityFlags >>> 8) & 0xff, sps.compatibilityFlags & 0xff,
    ...sps.constraintFlags,
    sps.levelIdc,
    0xf0, 0x00, // reserved '1111' + min_spatial_segmentation_idc 0
    0xfc, // reserved '111111' + parallelismType 0 (unknown)
    0xfc | sps.chromaFormatIdc,
    0xf8 | (sps.bitDepthLuma - 8),
    0xf8 | (sps.bitDepthChroma - 8),
    0x00, 0x00, // avgFrameRate 0: unspecified
    // constantFrameRate 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne
    ((sps.maxSubLayersMinus1 + 1) << 3) | (sps.temporalIdNesting ? 0x04 : 0) | (lengthSize - 1),
    3,
  ];
  for (const [type, nal] of [[H265NalType.Vps, p.vps], [H265NalType.Sps, p.sps], [H265NalType.Pps, p.pps]] as const) {
    out.push(0x80 | type, 0, 1, nal.length >>> 8, nal.length & 0xff, ...nal);
  }
  return Uint8Array.from(out);
}

/** Parses an hvcC; NAL units are views into the input. */
export function parseHevcDecoderConfig(data: Uint8Array): HevcDecoderConfig {
  if (data.length < HVCC_HEADER_SIZE) throw new ParseError('truncated', `hvcC needs ${HVCC_HEADER_SIZE} bytes`);
  const b = (k: number): number => data[k] as number;
  if (b(0) !== 1) throw new ParseError('bad-version', `configurationVersion ${b(0)}`);
  const lengthSize = (b(21) & 0x03) + 1;
  if (lengthSize === 3) throw new ParseError('bad-length-size', 'lengthSizeMinusOne 2 is reserved');
  const config: HevcDecoderConfig = {
    profileSpace: b(1) >>> 6,
    tierFlag: (b(1) & 0x20) !== 0,
    profileIdc: b(1) & 0x1f,
    compatibilityFlags: ((b(2) << 24) | (b(3) << 16) | (b(4) << 8) | b(5)) >>> 0,
    constraintFlags: data.slice(6, 12),
    levelIdc: b(12),
    chromaFormat: b(16) & 0x03,
    bitDepthLuma: (b(17) & 0x07) + 8,
    bitDepthChroma: (b(18) & 0x07) + 8,
    lengthSize: lengthSize as NalLengthSize,
    arrays: [],
  };
  const numArrays = b(22);
  let i = HVCC_HEADER_SIZE;
  let total = 0;
  const need = (n: number): void => {
    if (data.length - i < n) throw new ParseError('truncated', `hvcC needs ${n} more bytes at ${i}`);
  };
  for (let a = 0; a < numArrays; a += 1) {
    need(3);
    const complete = (b(i) & 0x80) !== 0;
    const nalType = b(i) & 0x3f;
    const count = b(i + 1) * 256 + b(i + 2);
    i += 3;
    total += count;
    if (total > MAX_NALUS_IN_HVCC) throw new ParseError('too-many-nalus', `more than ${MAX_NALUS_IN_HVCC} NAL units`);
    const nalus: Uint8Array[] = [];
    for (let k = 0; k < count; k += 1) {
      need(2);
      const len = b(i) * 256 + b(i + 1);
      i += 2;
      need(len);
      const nal = data.subarray(i, i + len);
      if (len < 2 || h265NalType(nal) !== nalType) throw new ParseError('bad-parameter-set', `expected NAL type ${nalType}`);
      nalus.push(nal);
      i += len;
    }
    config.arrays.push({ nalType, complete, nalus });
  }
  return config;
}

/** The first NAL unit of a given type in a parsed hvcC (VPS, SPS, PPS). */
export function hevcConfigNalu(config: HevcDecoderConfig, nalType: number): Uint8Array | undefined {
  return config.arrays.find((a) => a.nalType === nalType)?.nalus[0];
}
