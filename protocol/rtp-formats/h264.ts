/**
 * H.264 over RTP, RFC 6184 in packetization-mode 1 (non-interleaved): the payload format table
 * for the shared NAL packetizer / depacketizer, keyframe detection on a single packet for the
 * SFU, and the SDP fmtp line.
 *
 * Every payload starts with a NAL unit header (RFC 6184 §1.3, §5.3) whose type says what
 * follows:
 *
 *     +---------------+
 *     |0|1|2|3|4|5|6|7|
 *     +-+-+-+-+-+-+-+-+
 *     |F|NRI|  Type   |
 *     +---------------+
 *
 *   Type 1–23: one whole NAL unit (§5.6); 24: STAP-A (§5.7.1); 28: FU-A (§5.8). STAP-B, MTAP16,
 *   MTAP24 and FU-B (25, 26, 27, 29) exist only in the interleaved mode; 0, 30, 31 are reserved.
 */
import { ParseError } from '../errors.js';
import { parseAvcDecoderConfig } from '../codec/avc-config.js';
import { H264NalType } from '../codec/h264.js';
import { formatFmtpParameters } from '../sdp/attributes.js';
import { NalDepacketizer, type NalDepacketizerOptions } from './nal-depacketizer.js';
import type { FragmentInfo, NalPacketKind, NalPayloadFormat } from './nal-format.js';
import { NalPacketizer, type NalPacketizerOptions } from './nal-packetizer.js';

/** Payload header types of RFC 6184 Table 1 beyond the NAL unit types 1–23. */
export const H264PacketType = { StapA: 24, StapB: 25, Mtap16: 26, Mtap24: 27, FuA: 28, FuB: 29 } as const;

const TYPE_MASK = 0x1f;
const F_BIT = 0x80;
const NRI_MASK = 0x60;
/** FU header (§5.8): |S|E|R|Type|. */
const FU_START = 0x80;
const FU_END = 0x40;

function packetKind(type: number): NalPacketKind {
  if (type >= 1 && type <= 23) return 'single';
  if (type === H264PacketType.StapA) return 'aggregation';
  if (type === H264PacketType.FuA) return 'fragment';
  if (type >= H264PacketType.StapB && type <= H264PacketType.FuB) {
    throw new ParseError('unsupported-packet-type', `interleaved-mode packet type ${type}`);
  }
  throw new ParseError('reserved-packet-type', `NAL unit type ${type}`);
}

/**
 * FU-A (§5.8): the FU indicator copies F and NRI of the fragmented NAL unit with type 28; the
 * FU header carries S (first fragment), E (last fragment), R = 0 and the original type.
 *
 *     +---------------+---------------+
 *     |0|1|2|3|4|5|6|7|0|1|2|3|4|5|6|7|
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |F|NRI|  Type   |S|E|R|  Type   |
 *     +---------------+---------------+
 *       FU indicator     FU header
 */
function fragmentHeader(nalu: Uint8Array, start: boolean, end: boolean): Uint8Array {
  const header = nalu[0] as number;
  return Uint8Array.of((header & (F_BIT | NRI_MASK)) | H264PacketType.FuA, (start ? FU_START : 0) | (end ? FU_END : 0) | (header & TYPE_MASK));
}

function parseFragment(payload: Uint8Array): FragmentInfo {
  const indicator = payload[0] as number;
  const fu = payload[1] as number;
  return {
    start: (fu & FU_START) !== 0,
    end: (fu & FU_END) !== 0,
    nalHeader: Uint8Array.of((indicator & (F_BIT | NRI_MASK)) | (fu & TYPE_MASK)),
  };
}

/**
 * STAP-A header (§5.7): F is the OR of the aggregated units' F bits, NRI their maximum (§5.7,
 * "the value of NRI MUST be the maximum of all the NAL units carried"), type 24.
 */
function aggregationHeader(nalus: readonly Uint8Array[]): Uint8Array {
  let f = 0;
  let nri = 0;
  for (const n of nalus) {
    f |= (n[0] as number) & F_BIT;
    nri = Math.max(nri, (n[0] as number) & NRI_MASK);
  }
  return Uint8Array.of(f | nri | H264PacketType.StapA);
}

/** The RFC 6184 payload format as a table for the shared NAL packetizer / depacketizer. */
export const H264_PAYLOAD_FORMAT: NalPayloadFormat = {
  codec: 'h264',
  headerSize: 1,
  nalType: (nalu) => (nalu[0] as number) & TYPE_MASK,
  packetKind,
  isKeyframeType: (type) => type === H264NalType.IdrSlice,
  audType: H264NalType.Aud,
  parameterSetTypes: [H264NalType.Sps, H264NalType.Pps],
  parameterSetsFromConfig: (config) => {
    const avcc = parseAvcDecoderConfig(config);
    return [...avcc.sps, ...avcc.pps];
  },
  aggregationHeader,
  fragmentHeader,
  parseFragment,
};

/** H.264 AccessUnits → RTP payloads (STAP-A, single NAL, FU-A); SPS/PPS put before IDRs lacking them. */
export function createH264Packetizer(options: NalPacketizerOptions = {}): NalPacketizer {
  return new NalPacketizer(H264_PAYLOAD_FORMAT, options);
}

/** RTP payloads → H.264 AccessUnits (AVCC), dropping AUs damaged by loss. */
export function createH264Depacketizer(options: NalDepacketizerOptions = {}): NalDepacketizer {
  return new NalDepacketizer(H264_PAYLOAD_FORMAT, options);
}

function startsKeyframe(type: number): boolean {
  return type === H264NalType.IdrSlice || type === H264NalType.Sps;
}

/**
 * Whether this RTP payload starts a keyframe: it holds an SPS or the start of an IDR slice,
 * alone, inside a STAP-A, or as the first FU-A fragment. The SPS counts because senders put
 * it (usually in a STAP-A with the PPS) right before the IDR it belongs to. Never throws.
 */
export function isH264KeyframePayload(payload: Uint8Array): boolean {
  if (payload.length < 1) return false;
  const type = (payload[0] as number) & TYPE_MASK;
  if (type >= 1 && type <= 23) return startsKeyframe(type);
  if (type === H264PacketType.FuA) {
    return payload.length >= 2 && ((payload[1] as number) & FU_START) !== 0 && startsKeyframe((payload[1] as number) & TYPE_MASK);
  }
  if (type !== H264PacketType.StapA) return false;
  for (let at = 1; at + 2 < payload.length; ) {
    const size = ((payload[at] as number) << 8) | (payload[at + 1] as number);
    if (size === 0 || at + 2 + size > payload.length) return false;
    if (startsKeyframe((payload[at + 2] as number) & TYPE_MASK)) return true;
    at += 2 + size;
  }
  return false;
}

/** profile-level-id used when no SPS is known: Constrained Baseline 3.1, what browsers offer. */
export const DEFAULT_H264_PROFILE_LEVEL_ID = '42e01f';

/**
 * The fmtp parameters of RFC 6184 §8.1 for packetization-mode 1: profile-level-id from the
 * SPS (its bytes 1–3) and sprop-parameter-sets (base64 SPS,PPS) when the avcC is known.
 */
export function h264Fmtp(config?: Uint8Array): string {
  const params: Record<string, string | number> = { 'packetization-mode': 1 };
  if (!config) {
    params['profile-level-id'] = DEFAULT_H264_PROFILE_LEVEL_ID;
    return formatFmtpParameters(params);
  }
  const avcc = parseAvcDecoderConfig(config);
  params['profile-level-id'] = [avcc.profileIdc, avcc.constraintFlags, avcc.levelIdc].map((b) => b.toString(16).padStart(2, '0')).join('');
  params['sprop-parameter-sets'] = [...avcc.sps, ...avcc.pps].map((n) => Buffer.from(n).toString('base64')).join(',');
  return formatFmtpParameters(params);
}
