/**
 * Depacketizer for audio formats that carry independent frames, one RTP packet per AccessUnit
 * (Opus, RFC 7587 §4.2; G.711, RFC 3551 §4.5.14): nothing to reassemble, so a loss costs only
 * the lost packets. Timestamps go from the format's clock to the 90 kHz AccessUnit clock.
 */
import { AU_CLOCK_RATE, type AccessUnit, type AudioCodec } from '../media/access-unit.js';
import { rescaleTicks, RtpTimestampUnwrapper, SequenceTracker } from './clock.js';
import type { DepacketizeResult, DepacketizerOptions, DepacketizerStats, RtpDepacketizer, RtpPayloadIn } from './types.js';

export class AudioFrameDepacketizer implements RtpDepacketizer {
  readonly stats: DepacketizerStats = { lostPackets: 0, discardedPackets: 0, droppedUnits: 0 };
  readonly waitingForKeyframe = false;
  private readonly sequence = new SequenceTracker();
  private readonly clock: RtpTimestampUnwrapper;

  constructor(
    private readonly codec: AudioCodec,
    readonly clockRate: number,
    options: DepacketizerOptions = {},
  ) {
    this.clock = new RtpTimestampUnwrapper(options.timestampOrigin);
  }

  push(packet: RtpPayloadIn): DepacketizeResult {
    const step = this.sequence.step(packet.sequenceNumber);
    if (step.kind === 'gap') this.stats.lostPackets += step.lost;
    if (step.kind === 'old' || packet.payload.length === 0) {
      // Duplicates, late packets and padding-only packets (RFC 3550 §5.1, P bit).
      this.stats.discardedPackets += 1;
      return { units: [] };
    }
    const pts = rescaleTicks(this.clock.unwrap(packet.timestamp), this.clockRate, AU_CLOCK_RATE);
    const unit: AccessUnit = { type: 'audio', codec: this.codec, pts, dts: pts, keyframe: true, data: packet.payload.slice() };
    return { units: [unit] };
  }
}
