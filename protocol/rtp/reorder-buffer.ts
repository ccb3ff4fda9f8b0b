/**
 * A reorder buffer for RTP over UDP (RFC 3550 §A.1 assumes one): packets that arrive ahead of
 * a missing one are held, in sequence order, until the gap fills or too many are waiting,
 * then released in order. Pure: the caller feeds packets and reads what is released; a timer
 * outside may `drain()` when waiting longer makes no sense.
 */
import { seqDelta } from './sequence.js';

/**
 * Most packets held behind a gap. At 2 Mb/s of 1200-octet packets (~200 packets/s) this is
 * ~160 ms of waiting, about the reordering the internet produces; a loss costs that delay once.
 */
export const MAX_REORDER_PACKETS = 32;
/** A packet this far behind the next expected one is a restarted sender, not a late packet (RFC 3550 A.1 MAX_MISORDER). */
const MAX_MISORDER = 100;

export class RtpReorderBuffer<T extends { sequenceNumber: number }> {
  #next: number | undefined;
  readonly #held = new Map<number, T>();
  /** Late packets dropped (behind what was already released). */
  late = 0;

  /** Adds a packet; returns the packets now releasable, in order. */
  push(packet: T): T[] {
    const seq = packet.sequenceNumber;
    if (this.#next === undefined) this.#next = seq;
    const d = seqDelta(seq, this.#next);
    if (d < 0) {
      if (d > -MAX_MISORDER) {
        this.late++;
        return [];
      }
      // A restarted sender: forget the old order.
      const out = this.drain();
      this.#next = seq;
      return [...out, ...this.push(packet)];
    }
    if (d === 0) {
      this.#next = (seq + 1) & 0xffff;
      return [packet, ...this.#releaseInOrder()];
    }
    if (!this.#held.has(seq)) this.#held.set(seq, packet);
    if (this.#held.size > MAX_REORDER_PACKETS) return this.drain();
    return [];
  }

  /** Gives up on the missing packets: releases everything held, in order. */
  drain(): T[] {
    if (this.#held.size === 0 || this.#next === undefined) return [];
    const from = this.#next;
    const sorted = [...this.#held.values()].sort((a, b) => seqDelta(a.sequenceNumber, from) - seqDelta(b.sequenceNumber, from));
    this.#held.clear();
    this.#next = ((sorted[sorted.length - 1] as T).sequenceNumber + 1) & 0xffff;
    return sorted;
  }

  get held(): number {
    return this.#held.size;
  }

  #releaseInOrder(): T[] {
    const out: T[] = [];
    for (;;) {
      const p = this.#held.get(this.#next as number);
      if (!p) return out;
      this.#held.delete(this.#next as number);
      out.push(p);
      this.#next = ((this.#next as number) + 1) & 0xffff;
    }
  }
}
