/**
 * Opus over RTP, RFC 7587: one Opus packet per RTP packet (§4.2), a 48 kHz RTP clock whatever
 * the coded bandwidth (§4.1), and the SDP rtpmap `opus/48000/2` (§7, always 2 channels).
 */
import { ParseError } from '../errors.js';
import type { AccessUnit } from '../media/access-unit.js';
import { ptsToRtpTimestamp } from './clock.js';
import { AudioFrameDepacketizer } from './audio-frames.js';
import { DEFAULT_MAX_PAYLOAD_SIZE, type DepacketizerOptions, type PacketizerOptions, type RtpPacketizer, type RtpPayloadOut } from './types.js';

/** RFC 7587 §4.1: the RTP clock is 48000 Hz for every Opus mode. */
export const OPUS_RTP_CLOCK_RATE = 48_000;

/** The 32-bit RTP timestamp of a 90 kHz pts (overflow-safe rescale, then offset and wrap). */
export function opusRtpTimestamp(pts: number, offset = 0): number {
  return ptsToRtpTimestamp(pts, OPUS_RTP_CLOCK_RATE, offset);
}

/**
 * One AccessUnit → one RTP packet. The marker stays 0: RFC 3551 §4.1 reserves it for the first
 * packet after a silence (DTX), which the packetizer cannot see. An Opus packet may not be
 * split (§4.2), so one larger than maxPayloadSize is a ParseError('frame-too-large').
 */
export class OpusPacketizer implements RtpPacketizer {
  readonly clockRate = OPUS_RTP_CLOCK_RATE;
  private readonly maxPayloadSize: number;
  private readonly timestampOffset: number;

  constructor(options: PacketizerOptions = {}) {
    this.maxPayloadSize = options.maxPayloadSize ?? DEFAULT_MAX_PAYLOAD_SIZE;
    this.timestampOffset = options.timestampOffset ?? 0;
  }

  packetize(unit: AccessUnit): RtpPayloadOut[] {
    if (unit.data.length === 0) throw new ParseError('truncated', 'empty Opus packet');
    if (unit.data.length > this.maxPayloadSize) throw new ParseError('frame-too-large', `Opus packet of ${unit.data.length} octets`);
    return [{ payload: unit.data, marker: false, timestamp: opusRtpTimestamp(unit.pts, this.timestampOffset) }];
  }
}

/** RTP payloads → Opus AccessUnits (one per packet, 90 kHz pts). */
export function createOpusDepacketizer(options: DepacketizerOptions = {}): AudioFrameDepacketizer {
  return new AudioFrameDepacketizer('opus', OPUS_RTP_CLOCK_RATE, options);
}

/** RFC 7587 §7: rtpmap is always `opus/48000/2`; `stereo=1` says the receiver prefers stereo. */
export function opusFmtp(channels: number): string {
  return channels >= 2 ? 'minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1' : 'minptime=10;useinbandfec=1';
}
