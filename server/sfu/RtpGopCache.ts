import type { RtpHeader } from '../../protocol/rtp/index.js';

/**
 * Most packets kept: a 2 s GOP at 6 Mb/s in ~1200-byte packets is ~1250 packets; 2048 leaves
 * room for 4 s GOPs at lower rates. A larger GOP empties the cache until the next keyframe (a
 * joining viewer then waits for it, as without a cache). Replayed packets also land in the
 * consumer's retransmission buffer, which keeps fewer: NACKs for the oldest go unanswered.
 */
export const RTP_GOP_CACHE_MAX_PACKETS = 2048;
/** Most payload bytes kept: bounds memory per bridged stream (~2 s at 12 Mb/s). */
export const RTP_GOP_CACHE_MAX_BYTES = 3 * 1024 * 1024;

/**
 * The RTP packets of a video producer since the start of its last keyframe (the RTP twin of
 * the gateway's GopCache), so a viewer joining a running stream is sent a decodable picture at
 * once instead of waiting up to a GOP for the publisher's next keyframe (which an RTMP source
 * cannot make on request). An access unit starts where the RTP timestamp changes (RFC 6184
 * §5.1: all packets of an access unit share one timestamp); only that first packet is looked
 * at, with the codec's keyframe test (`isH264KeyframePayload`: SPS or IDR start). A keyframe
 * start empties the cache; past the bounds it empties and stays empty until the next one.
 *
 * What the viewer gets (Consumer.resume sends the replay at once, once its track is open,
 * original timestamps, then live): measured at the RTP level (test/integration/
 * bridge-demand.test.ts, 2 s GOP, join 1 s into it), the first video packet starts a keyframe
 * ~60 ms after the WHEP POST instead of up to a GOP later. The rest of the GOP arrives in the
 * same burst, so the first picture is as old as the GOP's elapsed part; a browser's jitter
 * buffer is expected to play those frames on their timestamps (latency right after the join up
 * to one GOP) and then adapt toward live. That trend (`jitterBufferDelay` in Chromium) is not
 * measured yet; re-stamping the replay to a compressed timeline is the alternative if it is slow.
 */
export class RtpGopCache {
  readonly #isKeyframe: (payload: Uint8Array) => boolean;
  #packets: Buffer[] = [];
  #bytes = 0;
  /** True from a keyframe start until an overflow. */
  #started = false;
  #lastTimestamp = -1;

  constructor(isKeyframe: (payload: Uint8Array) => boolean) {
    this.#isKeyframe = isKeyframe;
  }

  /** The cached packets, oldest first; the first starts a keyframe. */
  get packets(): readonly Buffer[] {
    return this.#packets;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** One packet of the producer (already checked for SSRC and payload type); copied when kept. */
  push(packet: Buffer, header: RtpHeader): void {
    const startsUnit = header.timestamp !== this.#lastTimestamp;
    this.#lastTimestamp = header.timestamp;
    if (startsUnit && this.#isKeyframe(packet.subarray(header.payloadOffset, header.payloadOffset + header.payloadLength))) {
      this.clear();
      this.#started = true;
    } else if (!this.#started) {
      return;
    }
    if (this.#packets.length >= RTP_GOP_CACHE_MAX_PACKETS || this.#bytes + packet.length > RTP_GOP_CACHE_MAX_BYTES) {
      this.clear();
      return;
    }
    this.#packets.push(Buffer.from(packet));
    this.#bytes += packet.length;
  }

  /** Empties the cache; it fills again from the next keyframe. */
  clear(): void {
    this.#packets = [];
    this.#bytes = 0;
    this.#started = false;
  }
}
