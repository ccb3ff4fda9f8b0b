/** The bitrate window: one second, in ten 100 ms buckets, so the figure follows changes quickly. */
const WINDOW_MS = 1000;
const BUCKETS = 10;
const BUCKET_MS = WINDOW_MS / BUCKETS;

/** A sliding-window bitrate meter (bits per second over the last second). Allocation-free. */
export class RateMeter {
  private readonly bytes = new Float64Array(BUCKETS);
  private bucketStart = 0;
  private index = 0;

  add(bytes: number, nowMs: number): void {
    this.advance(nowMs);
    this.bytes[this.index] = (this.bytes[this.index] as number) + bytes;
  }

  /** Bits per second over the last window. */
  rate(nowMs: number): number {
    this.advance(nowMs);
    let sum = 0;
    for (const b of this.bytes) sum += b;
    return Math.round((sum * 8 * 1000) / WINDOW_MS);
  }

  private advance(nowMs: number): void {
    if (this.bucketStart === 0) this.bucketStart = nowMs;
    let steps = Math.floor((nowMs - this.bucketStart) / BUCKET_MS);
    if (steps <= 0) return;
    this.bucketStart += steps * BUCKET_MS;
    if (steps > BUCKETS) steps = BUCKETS;
    for (let i = 0; i < steps; i++) {
      this.index = (this.index + 1) % BUCKETS;
      this.bytes[this.index] = 0;
    }
  }
}
