/**
 * G.711 over RTP, RFC 3551 §4.5.14: PCMU (static payload type 0) and PCMA (8), one octet per
 * sample at an 8000 Hz clock. An AccessUnit is passed through, split into packets of at most
 * maxPayloadSize samples whose timestamps advance by the samples before them.
 */
import type { AccessUnit } from '../media/access-unit.js';
import { ptsToRtpTimestamp } from './clock.js';
import { AudioFrameDepacketizer } from './audio-frames.js';
import { tsAdd } from '../rtp/sequence.js';
import { DEFAULT_MAX_PAYLOAD_SIZE, type DepacketizerOptions, type PacketizerOptions, type RtpPacketizer, type RtpPayloadOut } from './types.js';

/** RFC 3551 Table 4: both laws sample at 8000 Hz. */
export const G711_CLOCK_RATE = 8000;
/** RFC 3551 Table 4 static payload types. */
export const G711_PAYLOAD_TYPE = { pcmu: 0, pcma: 8 } as const;

export class G711Packetizer implements RtpPacketizer {
  readonly clockRate = G711_CLOCK_RATE;
  private readonly maxPayloadSize: number;
  private readonly timestampOffset: number;

  constructor(options: PacketizerOptions = {}) {
    this.maxPayloadSize = options.maxPayloadSize ?? DEFAULT_MAX_PAYLOAD_SIZE;
    this.timestampOffset = options.timestampOffset ?? 0;
  }

  packetize(unit: AccessUnit): RtpPayloadOut[] {
    const first = ptsToRtpTimestamp(unit.pts, G711_CLOCK_RATE, this.timestampOffset);
    const out: RtpPayloadOut[] = [];
    for (let at = 0; at < unit.data.length; at += this.maxPayloadSize) {
      out.push({ payload: unit.data.subarray(at, at + this.maxPayloadSize), marker: false, timestamp: tsAdd(first, at) });
    }
    return out;
  }
}

/** RTP payloads → G.711 AccessUnits, one per packet. */
export function createG711Depacketizer(codec: 'pcmu' | 'pcma', options: DepacketizerOptions = {}): AudioFrameDepacketizer {
  return new AudioFrameDepacketizer(codec, G711_CLOCK_RATE, options);
}
