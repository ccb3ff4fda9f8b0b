/**
 * Reception statistics of one RTP source for receiver reports (RFC 3550 §6.4.1 and Appendix
 * A.1, A.3, A.8): extended highest sequence number, cumulative and fractional loss, and
 * interarrival jitter. Pure: the caller passes arrival times.
 */
import type { ReportBlock } from '../rtcp/packets.js';
import { seqDelta } from './sequence.js';

/** RFC 3550 A.3: cumulative loss is a signed 24-bit field. */
const MAX_CUMULATIVE_LOST = 0x7fffff;
const MIN_CUMULATIVE_LOST = -0x800000;

export class RtpReceiverStats {
  #baseSeq: number | undefined;
  #maxSeq = 0;
  #cycles = 0;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  /** Interarrival jitter in timestamp units, ×16 as in A.8 to keep precision. */
  #jitter16 = 0;
  #lastTransit: number | undefined;
  /** The last SR: its middle 32 NTP bits and when it arrived (ms), for LSR / DLSR. */
  #lastSr: { ntpMiddle: number; arrivedMs: number } | undefined;

  constructor(private readonly clockRate: number) {}

  /** Counts a packet that arrived at `arrivalMs` with RTP timestamp `timestamp`. */
  onPacket(sequenceNumber: number, timestamp: number, arrivalMs: number): void {
    if (this.#baseSeq === undefined) {
      this.#baseSeq = sequenceNumber;
      this.#maxSeq = sequenceNumber;
    } else {
      const d = seqDelta(sequenceNumber, this.#maxSeq);
      if (d > 0) {
        if (sequenceNumber < this.#maxSeq) this.#cycles += 0x1_0000;
        this.#maxSeq = sequenceNumber;
      }
    }
    this.#received++;
    // A.8: transit = arrival (in RTP units) − timestamp; J += (|D| − J) / 16.
    const arrival = Math.round((arrivalMs * this.clockRate) / 1000);
    const transit = (arrival - timestamp) % 0x1_0000_0000;
    if (this.#lastTransit !== undefined) {
      let d = Math.abs(transit - this.#lastTransit);
      if (d > 0x8000_0000) d = 0x1_0000_0000 - d;
      this.#jitter16 += d - Math.round(this.#jitter16 / 16);
    }
    this.#lastTransit = transit;
  }

  /** Remembers a Sender Report from this source (NTP seconds and fraction) for LSR/DLSR. */
  onSenderReport(ntpSeconds: number, ntpFraction: number, arrivalMs: number): void {
    this.#lastSr = { ntpMiddle: (((ntpSeconds & 0xffff) << 16) | (ntpFraction >>> 16)) >>> 0, arrivedMs: arrivalMs };
  }

  get packetsReceived(): number {
    return this.#received;
  }

  /** The report block about `ssrc` at `nowMs`, or undefined before the first packet. */
  reportBlock(ssrc: number, nowMs: number): ReportBlock | undefined {
    if (this.#baseSeq === undefined) return undefined;
    const extendedMax = this.#cycles + this.#maxSeq;
    const expected = extendedMax - this.#baseSeq + 1;
    const lost = Math.min(MAX_CUMULATIVE_LOST, Math.max(MIN_CUMULATIVE_LOST, expected - this.#received));
    const expectedInterval = expected - this.#expectedPrior;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#expectedPrior = expected;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval <= 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval << 8) / expectedInterval);
    // DLSR in 1/65536 s units since the last SR arrived (§6.4.1).
    const dlsr = this.#lastSr ? Math.round(((nowMs - this.#lastSr.arrivedMs) * 65536) / 1000) >>> 0 : 0;
    return {
      ssrc,
      fractionLost: Math.min(255, fractionLost),
      packetsLost: lost,
      highestSequence: extendedMax >>> 0,
      jitter: Math.round(this.#jitter16 / 16) >>> 0,
      lastSr: this.#lastSr?.ntpMiddle ?? 0,
      delaySinceLastSr: dlsr,
    };
  }
}
