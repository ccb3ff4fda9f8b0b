import type { types } from 'mediasoup';
import { parseRtpHeader, type RtpHeader } from '../../protocol/rtp/index.js';
import { isH264KeyframePayload, isVp8KeyframePayload } from '../../protocol/rtp-formats/index.js';
import { ParseError } from '../../protocol/errors.js';
import { logger } from '../lib/logger.js';

const log = logger.child({ mod: 'sfu-catchup' });

/**
 * Most packets kept: a 2 s GOP at 6 Mb/s in ~1200-byte packets is ~1250 packets; 2048 leaves
 * room for 4 s GOPs at lower rates. A larger GOP empties the cache until the next keyframe (a
 * joining viewer then waits for it, as without a cache).
 */
export const GOP_CACHE_MAX_PACKETS = 2048;
/** Most bytes kept: bounds memory per stream (~2 s at 12 Mb/s). */
export const GOP_CACHE_MAX_BYTES = 3 * 1024 * 1024;
/** The cached GOP is replayed this much faster than real time (the gateway's CatchUpPacer pace). */
export const CATCH_UP_SPEED = 4;
/** A catch-up ends by itself after this even without a live keyframe (a source that stopped sending them). */
export const CATCH_UP_MAX_MS = 10_000;

/** Keyframe tests on an RTP payload's first packet of an access unit, by codec. */
const KEYFRAME_TESTS: Record<string, (payload: Uint8Array) => boolean> = {
  'video/h264': isH264KeyframePayload,
  'video/vp8': isVp8KeyframePayload,
};

/** One viewer's catch-up: a producer of its own in the viewer's router, fed by the cache then live. */
export interface CatchUpSession {
  /** What the viewer consumes on its catch-up track. */
  readonly producer: types.Producer;
  /** Starts the replay (once the viewer's consumer can receive it). */
  start(): void;
  close(): void;
}

/**
 * Fast first frames for viewers joining a stream that is already running, whose source cannot
 * make a keyframe on request (an RTMP/RTSP stream bridged from the gateway: the next keyframe
 * may be a whole GOP away). A DirectTransport consumer taps the stream's video producer and
 * keeps its packets since the last keyframe (RFC 6184 §5.1: an access unit's packets share a
 * timestamp; only the first packet of each unit is inspected). A joining viewer gets a second
 * video track, its own producer on a DirectTransport in its router: the cached GOP at
 * `CATCH_UP_SPEED`× real time, then live packets until the next live keyframe, where its live
 * consumer (which mediasoup starts on a keyframe) takes over and the catch-up producer closes.
 * The watch page shows the catch-up track until the live one has a frame. Packets reach Node
 * once per stream (the tap) plus once per catching-up viewer for at most a GOP.
 */
export class GopCatchUp {
  readonly #transport: types.DirectTransport;
  readonly #tap: types.Consumer;
  readonly #isKeyframe: (payload: Uint8Array) => boolean;
  readonly #codec: types.RtpCodecParameters;
  readonly #ssrc: number;
  #packets: Buffer[] = [];
  #bytes = 0;
  #started = false;
  #lastTimestamp = -1;
  readonly #followers = new Set<(packet: Buffer, keyframe: boolean) => void>();
  #closed = false;

  private constructor(transport: types.DirectTransport, tap: types.Consumer, isKeyframe: (payload: Uint8Array) => boolean) {
    this.#transport = transport;
    this.#tap = tap;
    this.#isKeyframe = isKeyframe;
    this.#codec = tap.rtpParameters.codecs[0] as types.RtpCodecParameters;
    this.#ssrc = tap.rtpParameters.encodings?.[0]?.ssrc ?? 0;
    tap.on('rtp', (packet) => this.#onPacket(packet));
    tap.observer.once('close', () => this.close());
  }

  /** A catch-up for `producer` (video, of a codec with a keyframe test) on `router`; undefined for other codecs. */
  static async create(router: types.Router, producer: types.Producer): Promise<GopCatchUp | undefined> {
    const mime = producer.rtpParameters.codecs[0]?.mimeType.toLowerCase() ?? '';
    const isKeyframe = KEYFRAME_TESTS[mime];
    if (producer.kind !== 'video' || !isKeyframe) return undefined;
    const transport = await router.createDirectTransport();
    try {
      const codecs = (router.rtpCapabilities.codecs ?? []).filter((c) => c.mimeType.toLowerCase() === mime);
      const tap = await transport.consume({ producerId: producer.id, rtpCapabilities: { codecs, headerExtensions: [] }, enableRtx: false });
      return new GopCatchUp(transport, tap, isKeyframe);
    } catch (err) {
      transport.close();
      throw err;
    }
  }

  /** Whether a GOP is cached (a viewer joining now would get a picture at once). */
  get ready(): boolean {
    return this.#started && this.#packets.length > 0;
  }

  /** A catch-up producer for one viewer in `router` (its viewer router); start() it once the viewer can receive. */
  async session(router: types.Router): Promise<CatchUpSession> {
    const transport = await router.createDirectTransport();
    let producer: types.Producer;
    try {
      producer = await transport.produce({
        kind: 'video',
        rtpParameters: { codecs: [{ ...this.#codec, rtcpFeedback: [] }], encodings: [{ ssrc: this.#ssrc }] },
        appData: { catchUp: true },
      });
    } catch (err) {
      transport.close();
      throw err;
    }
    const timers: NodeJS.Timeout[] = [];
    let follow: ((packet: Buffer, keyframe: boolean) => void) | undefined;
    let replayed = false;
    const close = (): void => {
      for (const t of timers) clearTimeout(t);
      if (follow) this.#followers.delete(follow);
      transport.close();
    };
    producer.observer.once('close', close);
    const start = (): void => {
      if (producer.closed || this.#closed) return close();
      const backlog = [...this.#packets];
      const first = backlog[0];
      const clockRate = this.#codec.clockRate;
      // Live packets queue behind the replay and are sent in order; the next live keyframe ends it.
      const pending: Buffer[] = [];
      follow = (packet, keyframe) => {
        if (keyframe && replayed) return close();
        if (replayed) producer.send(packet);
        else pending.push(Buffer.from(packet));
      };
      this.#followers.add(follow);
      timers.push(setTimeout(close, CATCH_UP_MAX_MS));
      const finish = (): void => {
        replayed = true;
        for (const p of pending) producer.send(p);
        pending.length = 0;
      };
      if (!first) return finish();
      const t0 = headerOf(first)?.timestamp ?? 0;
      const started = Date.now();
      let i = 0;
      // Whole access units at CATCH_UP_SPEED× their timestamp spacing (32-bit wrap-aware).
      const step = (): void => {
        if (producer.closed) return;
        const due = Date.now() - started;
        while (i < backlog.length) {
          const packet = backlog[i] as Buffer;
          const ts = headerOf(packet)?.timestamp ?? t0;
          const at = ((((ts - t0) >>> 0) / clockRate) * 1000) / CATCH_UP_SPEED;
          if (at > due) break;
          producer.send(packet);
          i++;
        }
        if (i >= backlog.length) return finish();
        timers.push(setTimeout(step, 10));
      };
      step();
    };
    return { producer, start, close: () => producer.close() };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#followers.clear();
    this.#packets = [];
    this.#tap.close();
    this.#transport.close();
  }

  #onPacket(packet: Buffer): void {
    const h = headerOf(packet);
    if (!h) return;
    const startsUnit = h.timestamp !== this.#lastTimestamp;
    this.#lastTimestamp = h.timestamp;
    const keyframe = startsUnit && this.#isKeyframe(packet.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength));
    for (const f of [...this.#followers]) f(packet, keyframe);
    if (keyframe) {
      this.#packets = [];
      this.#bytes = 0;
      this.#started = true;
    } else if (!this.#started) {
      return;
    }
    if (this.#packets.length >= GOP_CACHE_MAX_PACKETS || this.#bytes + packet.length > GOP_CACHE_MAX_BYTES) {
      log.debug({ packets: this.#packets.length, bytes: this.#bytes }, 'GOP too large to cache; waiting for the next keyframe');
      this.#packets = [];
      this.#bytes = 0;
      this.#started = false;
      return;
    }
    // mediasoup hands out its own buffer for the event only: keep a copy.
    this.#packets.push(Buffer.from(packet));
    this.#bytes += packet.length;
  }
}

function headerOf(packet: Buffer): RtpHeader | undefined {
  try {
    return parseRtpHeader(packet);
  } catch (err) {
    if (err instanceof ParseError) return undefined;
    throw err;
  }
}
