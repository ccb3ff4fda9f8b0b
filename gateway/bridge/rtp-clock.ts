/**
 * The bridge's clocks (RFC 3550 §6.4.1): RTP timestamps from the AccessUnit pts, and the NTP
 * time of a pts from the wall clock at the stream's first unit, so every track's Sender
 * Report maps onto one wall clock and the SFU can pass lip sync on.
 */
import { AU_CLOCK_RATE } from '../../protocol/media/access-unit.js';

/** Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01), RFC 868. */
export const NTP_UNIX_OFFSET_S = 2_208_988_800;

/** An NTP timestamp (RFC 3550 §4): seconds and the binary fraction, both uint32. */
export function ntpFromUnixMs(ms: number): { ntpSeconds: number; ntpFraction: number } {
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - seconds * 1000) / 1000) * 0x1_0000_0000);
  return { ntpSeconds: (seconds + NTP_UNIX_OFFSET_S) >>> 0, ntpFraction: Math.min(fraction, 0xffff_ffff) >>> 0 };
}

/**
 * Wall clock of the stream: the Unix ms of pts 0, fixed by the first unit the bridge sees
 * (captured "now"), so later units map to capture time + their pts offset.
 */
export class StreamWallClock {
  #wallAtPts0: number | undefined;

  /** Anchors at the first call; returns the unit's capture time in Unix ms. */
  capture(pts: number, nowMs = Date.now()): number {
    this.#wallAtPts0 ??= nowMs - (pts * 1000) / AU_CLOCK_RATE;
    return this.unixMsOf(pts);
  }

  /** The Unix ms of `pts` (the anchor must be set). */
  unixMsOf(pts: number): number {
    return (this.#wallAtPts0 ?? Date.now()) + (pts * 1000) / AU_CLOCK_RATE;
  }

  get anchored(): boolean {
    return this.#wallAtPts0 !== undefined;
  }
}
