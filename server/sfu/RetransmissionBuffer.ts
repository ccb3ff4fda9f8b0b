/**
 * Packets a video consumer keeps for retransmission: 512 is about one second of 2 Mbps video
 * (~170 packets/s × 3) and a power of two, so `seq % capacity` stays consistent across the 16-bit
 * wrap. Older packets are useless to the receiver's jitter buffer anyway.
 */
export const RETRANSMISSION_BUFFER_PACKETS = 512;
/** Largest RTP packet stored: an Ethernet MTU. WebRTC stacks packetize to ~1200 octets. */
export const MAX_STORED_PACKET_LENGTH = 1500;

/**
 * A bounded ring of the last sent (already rewritten) RTP packets of one consumer, indexed by
 * output sequence number, answering generic NACKs (RFC 4585 §6.2.1) with the exact bytes sent.
 * Slots are allocated once on first use and reused: no allocation per packet in steady state.
 * The forwarding path sends from its own scratch buffer, then `keep()`s a copy here.
 */
export class RetransmissionBuffer {
  private readonly slots: (Buffer | undefined)[];
  private readonly seqs: Int32Array;
  private readonly lengths: Uint16Array;

  constructor(readonly capacity = RETRANSMISSION_BUFFER_PACKETS) {
    if (!Number.isInteger(capacity) || capacity <= 0 || (capacity & (capacity - 1)) !== 0 || capacity > 0x8000) {
      throw new TypeError('capacity must be a power of two up to 32768');
    }
    this.slots = new Array<Buffer | undefined>(capacity);
    this.seqs = new Int32Array(capacity).fill(-1);
    this.lengths = new Uint16Array(capacity);
  }

  /**
   * `keep()`, then the stored copy (a new view: for tests and cold paths). Undefined when the
   * packet is too large to store.
   */
  store(seq: number, packet: Uint8Array): Buffer | undefined {
    return this.keep(seq, packet) ? this.get(seq) : undefined;
  }

  /**
   * Stores a copy of `packet` (already rewritten and sent) under `seq`, overwriting the packet
   * `capacity` numbers older and allocating nothing once the slot exists. Returns whether it was
   * stored (false when too large to keep: it cannot be retransmitted).
   */
  keep(seq: number, packet: Uint8Array): boolean {
    const i = seq & (this.capacity - 1);
    if (packet.length > MAX_STORED_PACKET_LENGTH) {
      this.seqs[i] = -1;
      return false;
    }
    let slot = this.slots[i];
    if (!slot) {
      slot = Buffer.allocUnsafe(MAX_STORED_PACKET_LENGTH);
      this.slots[i] = slot;
    }
    slot.set(packet, 0);
    this.seqs[i] = seq & 0xffff;
    this.lengths[i] = packet.length;
    return true;
  }

  /** The packet sent with `seq`, if still held. */
  get(seq: number): Buffer | undefined {
    const i = seq & (this.capacity - 1);
    if (this.seqs[i] !== (seq & 0xffff)) return undefined;
    return this.slots[i]?.subarray(0, this.lengths[i]);
  }

  /** Forgets every packet (a consumer switching source keeps its numbering, so this is rarely needed). */
  clear(): void {
    this.seqs.fill(-1);
  }
}
