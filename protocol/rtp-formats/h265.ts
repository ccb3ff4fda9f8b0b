/**
 * H.265 over RTP, RFC 7798, without DONL (sprop-max-don-diff = 0, the only mode senders use in
 * practice): the payload format table for the shared NAL packetizer / depacketizer and the SDP
 * fmtp line. Every payload starts with a payload header shaped like the NAL unit header
 * (RFC 7798 §4.4, H.265 §7.3.1.2):
 *
 *     +---------------+---------------+
 *     |0|1|2|3|4|5|6|7|0|1|2|3|4|5|6|7|
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |F|   Type    |  LayerId  | TID |
 *     +-------------+-----------------+
 *
 *   Type 0–47: one whole NAL unit (§4.4.1); 48: aggregation packet (§4.4.2); 49: fragmentation
 *   unit (§4.4.3); 50: PACI (§4.4.4, not supported); 51–63 unspecified.
 */
import { ParseError } from '../errors.js';
import { H265NalType, isH265IrapType } from '../codec/h265.js';
import { parseHevcDecoderConfig } from '../codec/hevc-config.js';
import { formatFmtpParameters } from '../sdp/attributes.js';
import { NalDepacketizer, type NalDepacketizerOptions } from './nal-depacketizer.js';
import type { FragmentInfo, NalPacketKind, NalPayloadFormat } from './nal-format.js';
import { NalPacketizer, type NalPacketizerOptions } from './nal-packetizer.js';

/** Payload header types of RFC 7798 §4.4 beyond the NAL unit types 0–47. */
export const H265PacketType = { Ap: 48, Fu: 49, Paci: 50 } as const;

const F_BIT = 0x80;
/** Type sits in bits 1–6 of the first octet. */
const typeOf = (b0: number): number => (b0 >>> 1) & 0x3f;
/** LayerId: the low bit of octet 0 and the top 5 bits of octet 1. */
const layerIdOf = (b0: number, b1: number): number => ((b0 & 0x01) << 5) | (b1 >>> 3);
/** FU header (§4.4.3): |S|E|FuType|. */
const FU_START = 0x80;
const FU_END = 0x40;
const FU_TYPE_MASK = 0x3f;

function packetKind(type: number): NalPacketKind {
  if (type < H265PacketType.Ap) return 'single';
  if (type === H265PacketType.Ap) return 'aggregation';
  if (type === H265PacketType.Fu) return 'fragment';
  if (type === H265PacketType.Paci) throw new ParseError('unsupported-packet-type', 'PACI packet');
  throw new ParseError('reserved-packet-type', `payload header type ${type}`);
}

/**
 * AP payload header (§4.4.2): F is 1 when any aggregated unit has F set, Type 48, LayerId and
 * TID the lowest of the aggregated units'.
 */
function aggregationHeader(nalus: readonly Uint8Array[]): Uint8Array {
  let f = 0;
  let layerId = 0x3f;
  let tid = 0x07;
  for (const n of nalus) {
    const b0 = n[0] as number;
    const b1 = n[1] as number;
    f |= b0 & F_BIT;
    layerId = Math.min(layerId, layerIdOf(b0, b1));
    tid = Math.min(tid, b1 & 0x07);
  }
  return Uint8Array.of(f | (H265PacketType.Ap << 1) | (layerId >>> 5), ((layerId & 0x1f) << 3) | tid);
}

/**
 * FU (§4.4.3): the payload header copies F, LayerId and TID of the fragmented NAL unit with
 * Type 49, followed by the FU header:
 *
 *     +---------------+
 *     |0|1|2|3|4|5|6|7|
 *     +-+-+-+-+-+-+-+-+
 *     |S|E|  FuType   |
 *     +---------------+
 */
function fragmentHeader(nalu: Uint8Array, start: boolean, end: boolean): Uint8Array {
  const b0 = nalu[0] as number;
  return Uint8Array.of((b0 & 0x81) | (H265PacketType.Fu << 1), nalu[1] as number, (start ? FU_START : 0) | (end ? FU_END : 0) | typeOf(b0));
}

function parseFragment(payload: Uint8Array): FragmentInfo {
  const fu = payload[2] as number;
  return {
    start: (fu & FU_START) !== 0,
    end: (fu & FU_END) !== 0,
    nalHeader: Uint8Array.of(((payload[0] as number) & 0x81) | ((fu & FU_TYPE_MASK) << 1), payload[1] as number),
  };
}

const PARAMETER_SET_TYPES: readonly number[] = [H265NalType.Vps, H265NalType.Sps, H265NalType.Pps];

/** The RFC 7798 payload format as a table for the shared NAL packetizer / depacketizer. */
export const H265_PAYLOAD_FORMAT: NalPayloadFormat = {
  codec: 'h265',
  headerSize: 2,
  nalType: (nalu) => typeOf(nalu[0] as number),
  packetKind,
  isKeyframeType: isH265IrapType,
  audType: H265NalType.Aud,
  parameterSetTypes: PARAMETER_SET_TYPES,
  parameterSetsFromConfig: (config) =>
    parseHevcDecoderConfig(config).arrays.filter((a) => PARAMETER_SET_TYPES.includes(a.nalType)).flatMap((a) => a.nalus),
  aggregationHeader,
  fragmentHeader,
  parseFragment,
};

/** H.265 AccessUnits → RTP payloads (AP, single NAL, FU); VPS/SPS/PPS put before IRAPs lacking them. */
export function createH265Packetizer(options: NalPacketizerOptions = {}): NalPacketizer {
  return new NalPacketizer(H265_PAYLOAD_FORMAT, options);
}

/** RTP payloads → H.265 AccessUnits (length-prefixed), dropping AUs damaged by loss. */
export function createH265Depacketizer(options: NalDepacketizerOptions = {}): NalDepacketizer {
  return new NalDepacketizer(H265_PAYLOAD_FORMAT, options);
}

/** The fmtp parameters of RFC 7798 §7.1: sprop-vps / sprop-sps / sprop-pps (base64) from the hvcC. */
export function h265Fmtp(config?: Uint8Array): string | undefined {
  if (!config) return undefined;
  const hvcc = parseHevcDecoderConfig(config);
  const params: Record<string, string> = {};
  const names: Record<number, string> = { [H265NalType.Vps]: 'sprop-vps', [H265NalType.Sps]: 'sprop-sps', [H265NalType.Pps]: 'sprop-pps' };
  for (const a of hvcc.arrays) {
    const name = names[a.nalType];
    if (name && a.nalus.length > 0) params[name] = a.nalus.map((n) => Buffer.from(n).toString('base64')).join(',');
  }
  return formatFmtpParameters(params);
}
