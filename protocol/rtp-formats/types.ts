/**
 * The shapes every RTP payload format here shares: what a packetizer hands the RTP sender and
 * what a depacketizer needs from a received packet. Sequence number, SSRC and payload type
 * belong to the sender and the SFU, not to the payload format (RFC 3550 §5.1).
 */
import type { ParseError } from '../errors.js';
import type { AccessUnit } from '../media/access-unit.js';

/**
 * Default largest RTP payload in octets. 1200 is what WebRTC stacks use: it leaves room inside
 * a 1280-octet IPv6 minimum MTU (RFC 8200 §5) for IP/UDP, the 12-octet RTP header, header
 * extensions, the SRTP auth tag and TURN channel framing.
 */
export const DEFAULT_MAX_PAYLOAD_SIZE = 1200;

/** One RTP packet produced by a packetizer: the payload and the header fields it decides. */
export interface RtpPayloadOut {
  payload: Uint8Array;
  /** RFC 3550 §5.1 M bit, with the meaning the payload format gives it. */
  marker: boolean;
  /** 32-bit RTP timestamp in the format's clock, already offset and wrapped. */
  timestamp: number;
}

/** The parts of a received RTP packet a depacketizer reads (from `parseRtpHeader`). */
export interface RtpPayloadIn {
  payload: Uint8Array;
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
}

/** Turns AccessUnits (90 kHz timing) into RTP payloads. */
export interface RtpPacketizer {
  readonly clockRate: number;
  packetize(unit: AccessUnit): RtpPayloadOut[];
}

/**
 * What one `push` gives back. `units` are AccessUnits completed by this packet (often none:
 * "need more packets" is not an error). `error` is set when the packet was malformed: the
 * depacketizer has already dropped its partial unit and reset; callers count it and go on.
 */
export interface DepacketizeResult {
  units: AccessUnit[];
  error?: ParseError;
}

/** Counters a depacketizer keeps so that callers can report and decide on PLI / NACK. */
export interface DepacketizerStats {
  /** Packets missing by sequence number (wrap-aware). */
  lostPackets: number;
  /** Packets ignored: duplicates, late arrivals, padding-only, fragments after a loss. */
  discardedPackets: number;
  /** Units started but thrown away (loss, corruption, over a size limit, awaiting a keyframe). */
  droppedUnits: number;
}

/** Turns received RTP payloads back into AccessUnits. */
export interface RtpDepacketizer {
  readonly clockRate: number;
  readonly stats: Readonly<DepacketizerStats>;
  /** True while output is held back until the next keyframe (a good moment to send PLI). */
  readonly waitingForKeyframe: boolean;
  push(packet: RtpPayloadIn): DepacketizeResult;
}

/** Options shared by the packetizers. */
export interface PacketizerOptions {
  /** Largest payload to emit; default DEFAULT_MAX_PAYLOAD_SIZE. */
  maxPayloadSize?: number;
  /** RTP timestamp that AccessUnit pts 0 maps to (RFC 3550 §5.1 says: random); default 0. */
  timestampOffset?: number;
}

/** Options shared by the depacketizers. */
export interface DepacketizerOptions {
  /**
   * RTP timestamp that maps to pts 0; default: the first packet's. Set it from RTCP sender
   * reports to line several tracks up on one clock.
   */
  timestampOrigin?: number;
}
