/**
 * Timing shared by the payload formats: converting between the 90 kHz AccessUnit clock and an
 * RTP clock (RFC 3550 §5.1: the timestamp is in the format's own clock and wraps at 2^32),
 * unwrapping received timestamps, and loss detection from sequence numbers (RFC 3550 A.1).
 */
import { AU_CLOCK_RATE } from '../media/access-unit.js';
import { seqDelta, tsAdd, tsDelta } from '../rtp/sequence.js';

/**
 * Converts `ticks` of a `from` Hz clock to a `to` Hz clock, rounded to nearest. Whole seconds
 * convert exactly and only the remainder is multiplied, so the product stays below 2^53 for
 * any tick count (rem < from, both clocks ≤ a few hundred kHz).
 */
export function rescaleTicks(ticks: number, from: number, to: number): number {
  if (from === to) return ticks;
  const seconds = Math.floor(ticks / from);
  const rem = ticks - seconds * from;
  return seconds * to + Math.round((rem * to) / from);
}

/** The 32-bit RTP timestamp (in a `clockRate` clock) of a 90 kHz pts, after `offset`. */
export function ptsToRtpTimestamp(pts: number, clockRate: number, offset = 0): number {
  return tsAdd(offset, rescaleTicks(pts, AU_CLOCK_RATE, clockRate) % 0x1_0000_0000);
}

/**
 * Extends 32-bit RTP timestamps into a running count relative to an origin, so that a stream
 * that crosses 2^32 (13 h at 90 kHz, 24.9 h at 48 kHz) keeps increasing. Each step is taken
 * the shorter way round the circle (tsDelta), so reordered packets map slightly backwards.
 */
export class RtpTimestampUnwrapper {
  private last: number | undefined;
  private extended = 0;

  constructor(private origin?: number) {}

  /** Ticks from the origin (the first timestamp seen, unless given) to `timestamp`. */
  unwrap(timestamp: number): number {
    if (this.last === undefined) {
      this.origin ??= timestamp;
      this.extended = tsDelta(timestamp, this.origin);
    } else {
      this.extended += tsDelta(timestamp, this.last);
    }
    this.last = timestamp;
    return this.extended;
  }
}

/** How a sequence number relates to the one before it. */
export type SequenceStep =
  | { kind: 'first' }
  | { kind: 'next' }
  /** `lost` packets are missing before this one. */
  | { kind: 'gap'; lost: number }
  /** A duplicate or a packet at most MAX_MISORDER older than the newest seen. */
  | { kind: 'old' }
  /** Far behind the newest seen: the sender restarted its sequence; resynchronised here. */
  | { kind: 'jump' };

/**
 * How far back a sequence number may be and still count as a late packet rather than a
 * restarted sender. RFC 3550 A.1 suggests MAX_MISORDER = 100; further back, we resynchronise.
 */
export const MAX_MISORDER = 100;

/**
 * Detects loss from 16-bit sequence numbers, wrap-aware (RFC 3550 A.1). No reordering window:
 * a late packet after a gap is reported 'old', so callers that expect reordering (UDP across
 * the internet) put a jitter buffer in front; TCP-interleaved RTSP and loopback never reorder.
 */
export class SequenceTracker {
  private last: number | undefined;

  step(sequenceNumber: number): SequenceStep {
    const last = this.last;
    if (last === undefined) {
      this.last = sequenceNumber;
      return { kind: 'first' };
    }
    const d = seqDelta(sequenceNumber, last);
    if (d <= 0 && d > -MAX_MISORDER) return { kind: 'old' };
    this.last = sequenceNumber;
    if (d <= 0) return { kind: 'jump' };
    return d === 1 ? { kind: 'next' } : { kind: 'gap', lost: d - 1 };
  }
}
