/**
 * Maps a transcoder's output back to its input's clock. ffmpeg's raw outputs (Ogg/Opus,
 * ADTS) count samples from its start, not the input's pts; this keeps breakpoints of (media
 * time consumed, input pts) so that an output position in media time gets the pts of the
 * input it came from, and a gap or jump in the input (publisher stall) moves the output with
 * it: audio and video keep one clock (ARCHITECTURE.md "AccessUnits", 90 kHz).
 */
import { AU_CLOCK_RATE } from '../../protocol/media/access-unit.js';

/** Input pts off from the media time by more than this starts a new breakpoint (50 ms). */
export const MAX_CLOCK_DRIFT_TICKS = AU_CLOCK_RATE / 20;
/** Breakpoints kept: output lags input by far fewer than this many discontinuities. */
export const MAX_CLOCK_POINTS = 32;

interface Point {
  media: number;
  pts: number;
}

export class MediaClock {
  #points: Point[] = [];
  #media = 0;

  /** Input of `durationTicks` (90 kHz) at `pts` went into the transcoder. */
  input(pts: number, durationTicks: number): void {
    const last = this.#points[this.#points.length - 1];
    const expected = last ? last.pts + (this.#media - last.media) : undefined;
    if (expected === undefined || Math.abs(pts - expected) > MAX_CLOCK_DRIFT_TICKS) {
      this.#points.push({ media: this.#media, pts });
      if (this.#points.length > MAX_CLOCK_POINTS) this.#points.shift();
    }
    this.#media += durationTicks;
  }

  /** The pts of output at `mediaTicks` (90 kHz, from the transcoder's start); undefined before any input. */
  ptsOf(mediaTicks: number): number | undefined {
    let point = this.#points[0];
    if (!point) return undefined;
    for (const p of this.#points) {
      if (p.media <= mediaTicks) point = p;
      else break;
    }
    return point.pts + (mediaTicks - point.media);
  }

  /** Input media time consumed so far, 90 kHz. */
  get media(): number {
    return this.#media;
  }

  /** Forgets everything (the transcoder restarted: its output count starts at 0 again). */
  reset(): void {
    this.#points = [];
    this.#media = 0;
  }
}
