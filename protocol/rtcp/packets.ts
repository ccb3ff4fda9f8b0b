/**
 * RTCP packet types and the values Estuary reads and writes (RFC 3550 §6, RFC 4585 §6,
 * RFC 5104 §4.3.1, draft-alvestrand-rmcat-remb-03 §2.2).
 */

/** RFC 3550 §12.1 and RFC 4585 §6.1 packet types. */
export const RTCP_PT = { SR: 200, RR: 201, SDES: 202, BYE: 203, APP: 204, RTPFB: 205, PSFB: 206, XR: 207 } as const;
/** RTPFB (transport-layer feedback) formats: generic NACK (RFC 4585 §6.2.1), transport-wide CC (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1). */
export const RTPFB_FMT = { NACK: 1, TWCC: 15 } as const;
/** PSFB (payload-specific feedback) formats: PLI (RFC 4585 §6.3.1), FIR (RFC 5104 §4.3.1), AFB/REMB. */
export const PSFB_FMT = { PLI: 1, FIR: 4, AFB: 15 } as const;
/** RFC 3550 §6.5: SDES item type of the canonical name. */
export const SDES_CNAME = 1;

/** RFC 3550 §6.4.1 report block (24 octets). */
export interface ReportBlock {
  ssrc: number;
  /** Fraction of packets lost since the last report, in 1/256 (8 bits). */
  fractionLost: number;
  /** Cumulative packets lost, signed 24 bits. */
  packetsLost: number;
  highestSequence: number;
  jitter: number;
  lastSr: number;
  delaySinceLastSr: number;
}

export interface SenderReport {
  type: 'sr';
  ssrc: number;
  /** NTP timestamp, RFC 3550 §4: seconds since 1900 and the binary fraction. */
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: ReportBlock[];
}

export interface ReceiverReport {
  type: 'rr';
  ssrc: number;
  reports: ReportBlock[];
}

export interface SourceDescription {
  type: 'sdes';
  /** One chunk per source; only CNAME is decoded. */
  chunks: { ssrc: number; cname?: string }[];
}

export interface Goodbye {
  type: 'bye';
  ssrcs: number[];
  reason?: string;
}

export interface GenericNack {
  type: 'nack';
  senderSsrc: number;
  mediaSsrc: number;
  /** Lost sequence numbers, expanded from the PID+BLP items. */
  sequenceNumbers: number[];
}

export interface PictureLossIndication {
  type: 'pli';
  senderSsrc: number;
  mediaSsrc: number;
}

export interface FullIntraRequest {
  type: 'fir';
  senderSsrc: number;
  entries: { ssrc: number; sequenceNumber: number }[];
}

export interface ReceiverEstimatedMaxBitrate {
  type: 'remb';
  senderSsrc: number;
  /** Bits per second. */
  bitrate: number;
  ssrcs: number[];
}

/** Transport-wide congestion control feedback: recognized and counted, not decoded. */
export interface TransportWideFeedback {
  type: 'twcc';
  senderSsrc: number;
  mediaSsrc: number;
}

/** Any other well-framed packet (APP, XR, unknown feedback formats): skipped by its length. */
export interface UnknownRtcp {
  type: 'unknown';
  packetType: number;
  /** The 5-bit count/format field. */
  format: number;
}

export type RtcpPacket =
  | SenderReport
  | ReceiverReport
  | SourceDescription
  | Goodbye
  | GenericNack
  | PictureLossIndication
  | FullIntraRequest
  | ReceiverEstimatedMaxBitrate
  | TransportWideFeedback
  | UnknownRtcp;
