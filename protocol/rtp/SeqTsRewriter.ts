import { seqDelta, tsAdd } from './sequence.js';

/**
 * Packets this far behind the newest one of a run are dropped: older than a video consumer's
 * retransmission buffer (512 packets) so the subscriber has given up on them anyway.
 */
export const REORDER_WINDOW = 512;
/**
 * A forward jump of the input sequence larger than this (with the same SSRC) is taken as a
 * restart of the sender's numbering, not as loss: the output continues with no gap. 3000 packets
 * is over a second of 20 Mbps video, far more loss than a live stream would survive.
 */
export const SEQ_RESTART_JUMP = 3000;

const SEQ_MOD = 0x1_0000;

/**
 * Rewrites one consumer's RTP sequence numbers and timestamps (RFC 3550 §5.1, §8.2 for SSRC
 * changes): the output numbering stays continuous, with no gap, across a pause/resume and across
 * a change of the input source; output timestamps stay monotonic, advancing at a source change by
 * the wall-clock time since the last packet × clock rate. Within a run the input's own gaps
 * (loss) are kept, so the receiver can NACK them, and reordered packets map to the same output
 * numbers they would have had in order; packets older than `REORDER_WINDOW` or from before the
 * current run are dropped.
 *
 * Allocation-free: `rewrite()` returns whether to forward and leaves the result in `seq` and
 * `timestamp`.
 */
export class SeqTsRewriter {
  /** Output of the last accepted `rewrite()`. */
  seq = 0;
  timestamp = 0;

  private started = false;
  private needResync = true;
  private sourceSsrc = -1;
  /** Extended (unwrapped) input sequence: the newest seen, and the first of the current run. */
  private highestIn = 0;
  private runStartIn = 0;
  /** outExt = inExt + seqOffset; out ts = in ts + tsOffset (mod 2^32). */
  private seqOffset = 0;
  private tsOffset = 0;
  /** Extended output sequence and timestamp of the newest packet sent, and when (ms). */
  private highestOut = -1;
  private highestOutTs = 0;
  private highestOutAtMs = 0;

  /** `initialSequence`: the first output sequence number (random by default, RFC 3550 §5.1). */
  constructor(
    private readonly clockRate: number,
    initialSequence = Math.floor(Math.random() * SEQ_MOD),
  ) {
    if (!(clockRate > 0)) throw new TypeError('clock rate must be positive');
    this.highestOut = (initialSequence % SEQ_MOD) - 1;
  }

  /**
   * The next packet starts a new run: its output sequence number follows the last one sent, with
   * no gap (after a pause, or a forced switch). Timestamps of the same source keep their offset.
   */
  resync(): void {
    this.needResync = true;
  }

  /**
   * Maps one input packet. Returns false when it must be dropped (too old, or from before the
   * current run); otherwise `seq` and `timestamp` hold the output values.
   */
  rewrite(ssrc: number, sequenceNumber: number, timestamp: number, nowMs: number): boolean {
    if (!this.started || ssrc !== this.sourceSsrc) {
      this.startSource(ssrc, sequenceNumber, timestamp, nowMs);
    } else {
      const delta = seqDelta(sequenceNumber, ((this.highestIn % SEQ_MOD) + SEQ_MOD) % SEQ_MOD);
      const inExt = this.highestIn + delta;
      if (delta > SEQ_RESTART_JUMP || delta < -SEQ_RESTART_JUMP) {
        this.startRun(inExt); // the sender restarted its numbering
      } else if (this.needResync) {
        if (delta <= 0) return false; // sent before the pause: its slot in the output is gone
        this.startRun(inExt);
      } else {
        if (inExt < this.runStartIn || this.highestIn - inExt >= REORDER_WINDOW) return false;
        if (inExt > this.highestIn) this.highestIn = inExt;
      }
      return this.emit(inExt, timestamp, nowMs);
    }
    return this.emit(this.highestIn, timestamp, nowMs);
  }

  /** The output timestamp for input timestamp `timestamp` of `ssrc` (for Sender Reports), if current. */
  mapTimestamp(ssrc: number, timestamp: number): number | undefined {
    if (!this.started || ssrc !== this.sourceSsrc) return undefined;
    return tsAdd(timestamp, this.tsOffset);
  }

  private startSource(ssrc: number, sequenceNumber: number, timestamp: number, nowMs: number): void {
    // Place the new source's numbering one full cycle up so reordered packets stay positive.
    const inExt = SEQ_MOD + sequenceNumber;
    if (this.started) {
      const elapsedTicks = Math.max(1, Math.round(((nowMs - this.highestOutAtMs) * this.clockRate) / 1000));
      this.tsOffset = tsAdd(tsAdd(this.highestOutTs, elapsedTicks), -timestamp);
    } else {
      this.tsOffset = 0;
    }
    this.started = true;
    this.sourceSsrc = ssrc;
    this.startRun(inExt);
  }

  private startRun(inExt: number): void {
    this.needResync = false;
    this.highestIn = inExt;
    this.runStartIn = inExt;
    this.seqOffset = this.highestOut + 1 - inExt;
  }

  private emit(inExt: number, timestamp: number, nowMs: number): boolean {
    const outExt = inExt + this.seqOffset;
    const outTs = tsAdd(timestamp, this.tsOffset);
    if (outExt > this.highestOut) {
      this.highestOut = outExt;
      this.highestOutTs = outTs;
      this.highestOutAtMs = nowMs;
    }
    this.seq = ((outExt % SEQ_MOD) + SEQ_MOD) % SEQ_MOD;
    this.timestamp = outTs;
    return true;
  }
}
