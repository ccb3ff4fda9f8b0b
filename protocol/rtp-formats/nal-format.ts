/**
 * What the H.264 (RFC 6184) and H.265 (RFC 7798) payload formats have in common, as a table
 * of codec-specific pieces: both carry single NAL units, aggregation packets (STAP-A / AP) of
 * 16-bit-size-prefixed NAL units, and fragmentation units (FU-A / FU) of one NAL unit, and
 * differ only in header sizes, type numbers and how the headers are built. The generic
 * `NalPacketizer` and `NalDepacketizer` are driven by one of these.
 */

/** The three packet structures of RFC 6184 §5.2 / RFC 7798 §4.4 (non-interleaved modes). */
export type NalPacketKind = 'single' | 'aggregation' | 'fragment';

/** Octets of the size field before each NAL unit in an aggregation packet (RFC 6184 §5.7.1, RFC 7798 §4.4.2). */
export const AGGREGATION_SIZE_FIELD = 2;

/** Octets of the FU header that follows the payload header (RFC 6184 §5.8, RFC 7798 §4.4.3). */
export const FU_HEADER_SIZE = 1;

/** A fragment's flags and the NAL unit header it stands for. */
export interface FragmentInfo {
  start: boolean;
  end: boolean;
  /** The header of the fragmented NAL unit, rebuilt from the payload and FU headers. */
  nalHeader: Uint8Array;
}

export interface NalPayloadFormat {
  readonly codec: 'h264' | 'h265';
  /** NAL unit header size, which is also the RTP payload header size: 1 (H.264) or 2 (H.265). */
  readonly headerSize: number;
  /** nal_unit_type of a NAL unit or of a payload header (caller checks length ≥ headerSize). */
  nalType(nalu: Uint8Array): number;
  /** The structure a payload header type announces; throws ParseError for types not supported. */
  packetKind(type: number): NalPacketKind;
  /** A NAL unit type a decoder can start from (H.264 IDR, H.265 IRAP). */
  isKeyframeType(type: number): boolean;
  /** The access unit delimiter type, which must stay first in an access unit. */
  readonly audType: number;
  /** Parameter set types in the order a decoder needs them (VPS, SPS, PPS). */
  readonly parameterSetTypes: readonly number[];
  /** The parameter set NAL units inside a decoder configuration record (avcC / hvcC). */
  parameterSetsFromConfig(config: Uint8Array): Uint8Array[];
  /** The payload header of an aggregation packet holding `nalus`. */
  aggregationHeader(nalus: readonly Uint8Array[]): Uint8Array;
  /** The payload header + FU header of one fragment of `nalu`. */
  fragmentHeader(nalu: Uint8Array, start: boolean, end: boolean): Uint8Array;
  /** Reads a fragment's headers (caller checks length ≥ headerSize + FU_HEADER_SIZE). */
  parseFragment(payload: Uint8Array): FragmentInfo;
}
