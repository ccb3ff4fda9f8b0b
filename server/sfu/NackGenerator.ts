import { seqDelta } from '../../protocol/rtp/sequence.js';

/** Missing packets tracked per stream; a larger gap is a stream restart, not loss worth NACKing. */
export const MAX_MISSING_PACKETS = 512;
/** Each lost packet is asked for at most this many times. */
export const MAX_NACK_RETRIES = 8;
/** Minimum time between two NACKs for one packet: a few loopback-to-LAN round trips. */
export const NACK_RETRY_INTERVAL_MS = 50;
/** Older losses are given up: the receiver's jitter buffer has moved on (~1 s of video). */
export const MAX_NACK_AGE_MS = 1000;

interface Missing {
  since: number;
  lastNackAt: number;
  tries: number;
}

/**
 * Loss detection toward a publisher for one SSRC (RFC 4585 §6.2.1 generic NACK is built from
 * `collect()`): sequence gaps become missing entries; a late or retransmitted packet clears its
 * entry; each entry is NACKed at most `MAX_NACK_RETRIES` times, `NACK_RETRY_INTERVAL_MS` apart,
 * and dropped after `MAX_NACK_AGE_MS`. Time is passed in, so it runs under test without timers.
 */
export class NackGenerator {
  private highest = -1;
  private readonly missing = new Map<number, Missing>();
  /** Packets given up on (never arrived): the loss count reported in stats. */
  lost = 0;
  /** Packets that arrived after being marked missing. */
  recovered = 0;

  get missingCount(): number {
    return this.missing.size;
  }

  onPacket(seq: number, nowMs: number): void {
    if (this.highest < 0) {
      this.highest = seq;
      return;
    }
    const d = seqDelta(seq, this.highest);
    if (d <= 0) {
      if (this.missing.delete(seq)) this.recovered++;
      return;
    }
    if (d - 1 > MAX_MISSING_PACKETS) {
      this.lost += this.missing.size + d - 1;
      this.missing.clear();
    } else {
      for (let i = 1; i < d; i++) this.missing.set((this.highest + i) & 0xffff, { since: nowMs, lastNackAt: -Infinity, tries: 0 });
      while (this.missing.size > MAX_MISSING_PACKETS) {
        const oldest = this.missing.keys().next().value as number;
        this.missing.delete(oldest);
        this.lost++;
      }
    }
    this.highest = seq;
  }

  /** Sequence numbers due for a NACK now; expires and counts the ones given up. */
  collect(nowMs: number): number[] {
    const due: number[] = [];
    for (const [seq, m] of this.missing) {
      if (nowMs - m.since > MAX_NACK_AGE_MS || m.tries >= MAX_NACK_RETRIES) {
        this.missing.delete(seq);
        this.lost++;
        continue;
      }
      if (nowMs - m.lastNackAt < NACK_RETRY_INTERVAL_MS) continue;
      m.lastNackAt = nowMs;
      m.tries++;
      due.push(seq);
    }
    return due;
  }
}
