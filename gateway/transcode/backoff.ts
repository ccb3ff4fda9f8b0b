/**
 * First restart delay of a dead ffmpeg child: long enough that a child failing at once on
 * every start does not spin the CPU, short enough that audio resumes within a blink.
 */
export const FFMPEG_RESTART_MIN_MS = 200;
/** Longest restart delay: a child that keeps dying is retried every 10 s, not given up on. */
export const FFMPEG_RESTART_MAX_MS = 10_000;
/** A child that ran this long was healthy: its next death restarts at the minimum delay again. */
export const FFMPEG_STABLE_MS = 30_000;

/**
 * Exponential restart delays min·2^n capped at max (after the supervisor's backoff in
 * server/gateway/supervisor.ts), reset after a stable run. Pure: the caller owns the timer.
 */
export class Backoff {
  #failures = 0;

  constructor(
    readonly minMs = FFMPEG_RESTART_MIN_MS,
    readonly maxMs = FFMPEG_RESTART_MAX_MS,
    readonly stableMs = FFMPEG_STABLE_MS,
  ) {
    if (minMs <= 0 || maxMs < minMs) throw new TypeError('backoff needs 0 < min <= max');
  }

  /** The delay before the next attempt after a failure of something that ran `uptimeMs`. */
  next(uptimeMs = 0): number {
    if (uptimeMs >= this.stableMs) this.#failures = 0;
    const delay = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.#failures, 30));
    this.#failures++;
    return delay;
  }

  reset(): void {
    this.#failures = 0;
  }

  get failures(): number {
    return this.#failures;
  }
}
