import { seqDelta } from '../rtp/sequence.js';

/**
 * Generic NACK FCI items, RFC 4585 §6.2.1: a packet ID (PID) and a bitmask of the 16 following
 * lost packets (BLP, bit i set ⇒ PID + i + 1 lost).
 *
 *      0                   1                   2                   3
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |            PID                |             BLP               |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface NackItem {
  pid: number;
  blp: number;
}

/** Expands PID+BLP items into the sequence numbers they name, in item order. */
export function nackItemsToSequenceNumbers(items: readonly NackItem[]): number[] {
  const out: number[] = [];
  for (const { pid, blp } of items) {
    out.push(pid);
    for (let i = 0; i < 16; i++) if (blp & (1 << i)) out.push((pid + i + 1) & 0xffff);
  }
  return out;
}

/**
 * Packs sequence numbers into as few PID+BLP items as the greedy method allows: sorted
 * wrap-aware from the first one, duplicates removed.
 */
export function sequenceNumbersToNackItems(sequenceNumbers: readonly number[]): NackItem[] {
  const first = sequenceNumbers[0];
  if (first === undefined) return [];
  const sorted = [...new Set(sequenceNumbers.map((s) => s & 0xffff))].sort((a, b) => seqDelta(a, first) - seqDelta(b, first));
  const items: NackItem[] = [];
  let current: NackItem | undefined;
  for (const seq of sorted) {
    const d = current ? seqDelta(seq, current.pid) : 0;
    if (current && d >= 1 && d <= 16) current.blp |= 1 << (d - 1);
    else {
      current = { pid: seq, blp: 0 };
      items.push(current);
    }
  }
  return items;
}
