/**
 * The bridge's clocks (RFC 3550 §6.4.1): RTP timestamps from the AccessUnit pts, and the NTP
 * time of a pts from the stream's arrival clock, so every track's Sender Report and send time
 * map onto one wall clock.
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
 * A unit arriving this much later than its pts maps to is taken as a new timeline (publisher
 * restart with pts back at 0, a stall of the encoder): the clock re-anchors on it. 1 s is far
 * above RTMP arrival jitter (tens of ms) and below any stall worth following.
 */
export const WALL_CLOCK_REANCHOR_MS = 1_000;

/**
 * Wall clock of the stream: the Unix ms of pts 0, so that every track's pts maps to one
 * capture time (the bridge's Sender Reports and the audio pacing both use it). Anchored at the
 * earliest arrival seen (arrival − pts, the unit least delayed by the network and the encoder),
 * so a late first unit does not push every later unit's time back; re-anchored when a unit
 * arrives more than WALL_CLOCK_REANCHOR_MS behind its mapping.
 */
export class StreamWallClock {
  #wallAtPts0: number | undefined;

  /** A unit at `pts` arrived at `nowMs`: moves the anchor as above; returns the unit's capture time in Unix ms. */
  capture(pts: number, nowMs = Date.now()): number {
    const offset = nowMs - (pts * 1000) / AU_CLOCK_RATE;
    if (this.#wallAtPts0 === undefined || offset < this.#wallAtPts0 || offset - this.#wallAtPts0 > WALL_CLOCK_REANCHOR_MS) this.#wallAtPts0 = offset;
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
