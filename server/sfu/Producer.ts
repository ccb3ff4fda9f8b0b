import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ParseError } from '../../protocol/errors.js';
import { buildNack, buildPli, parseRtcp, type SenderReport } from '../../protocol/rtcp/index.js';
import { emptyRtpHeader, isRtcpPacket, parseRtpHeaderInto } from '../../protocol/rtp/index.js';
import { EnhancedEventEmitter } from '../lib/EnhancedEventEmitter.js';
import { logger } from '../lib/logger.js';
import type { Consumer } from './Consumer.js';
import { NackGenerator } from './NackGenerator.js';
import type { MediaKind, RtpCodec } from './ortc.js';
import { RateMeter } from './RateMeter.js';
import type { RtpGopCache } from './RtpGopCache.js';

const log = logger.child({ mod: 'sfu-producer' });

/**
 * Keyframe requests toward one publisher are spaced at least this far apart: a keyframe takes a
 * round trip plus encode time to come, and every consumer joining or losing a picture in that
 * time is served by the same one. (mediasoup uses 1 s; 500 ms joins faster.)
 */
export const KEYFRAME_REQUEST_INTERVAL_MS = 500;
/** NACKs toward the publisher are batched: at most one RTPFB packet per this interval. */
export const NACK_SEND_INTERVAL_MS = 20;

export interface ProducerStats {
  bitrate: number;
  packetsReceived: number;
  bytesReceived: number;
  packetsLost: number;
  nacksSent: number;
  plisSent: number;
  /** Packets dropped on arrival: unparsable, or of an SSRC/payload type not negotiated. */
  packetsDiscarded: number;
  /** Packets handed to consumers (sum over consumers; the fan-out counter for benchmarks). */
  packetsForwarded: number;
}

/** @internal What the owning transport gives a producer. */
export interface ProducerInternal {
  kind: MediaKind;
  mid: string;
  codec: RtpCodec;
  /** The publisher's media SSRC when signalled; else latched from the first packet. */
  ssrc: number | undefined;
  paused: boolean;
  appData: Record<string, unknown>;
  /** SSRC Estuary uses as sender of RTCP toward this publisher. */
  rtcpSenderSsrc: number;
  /** Sends RTCP to the publisher (guarded; false when it could not go). */
  sendRtcp(packet: Uint8Array): boolean;
  /**
   * Video whose publisher cannot make a keyframe on request (bridged RTMP/RTSP): the packets
   * since the last keyframe, replayed to each consumer that resumes.
   */
  gopCache?: RtpGopCache;
}

/**
 * A media source from a publisher on a send transport (after mediasoup's Producer): receives its
 * RTP and RTCP from the engine, fans RTP out to its consumers, NACKs publisher loss, requests
 * keyframes (throttled) and passes Sender Reports on for A/V sync.
 */
export class Producer extends EnhancedEventEmitter<{ pause: []; resume: []; close: []; '@close': [] }> {
  readonly id = randomUUID();
  readonly kind: MediaKind;
  readonly codec: RtpCodec;
  readonly mid: string;
  readonly appData: Record<string, unknown>;
  private ssrcValue: number | undefined;
  private pausedValue: boolean;
  private closedValue = false;
  private readonly consumers = new Set<Consumer>();
  /** `consumers` as an array, rebuilt on change: the hot path iterates it without an iterator. */
  private consumerList: Consumer[] = [];
  /** The header of the packet being forwarded, reused for every packet (consumers read it synchronously). */
  private readonly header = emptyRtpHeader();
  /** Header of a packet being replayed from the GOP cache (kept apart from the live one). */
  private readonly replayHeader = emptyRtpHeader();
  private readonly gopCache: RtpGopCache | undefined;
  private readonly internal: ProducerInternal;
  private readonly nack: NackGenerator | undefined;
  private readonly meter = new RateMeter();
  private lastKeyFrameRequestAt = -Infinity;
  private keyFrameRequestPending = false;
  private lastNackAt = -Infinity;
  private lastSr: SenderReport | undefined;
  private readonly counters = { packetsReceived: 0, bytesReceived: 0, nacksSent: 0, plisSent: 0, packetsDiscarded: 0, packetsForwarded: 0 };

  /** @internal Created by WebRtcTransport.produce(). */
  constructor(internal: ProducerInternal) {
    super();
    this.internal = internal;
    this.kind = internal.kind;
    this.codec = internal.codec;
    this.mid = internal.mid;
    this.appData = internal.appData;
    this.ssrcValue = internal.ssrc;
    this.pausedValue = internal.paused;
    const wantsNack = (internal.codec.rtcpFeedback ?? []).some((f) => f.type === 'nack' && f.parameter === undefined);
    this.nack = wantsNack ? new NackGenerator() : undefined;
    this.gopCache = internal.gopCache;
  }

  get paused(): boolean {
    return this.pausedValue;
  }

  get closed(): boolean {
    return this.closedValue;
  }

  /** The publisher's media SSRC (undefined until known). */
  get ssrc(): number | undefined {
    return this.ssrcValue;
  }

  /** The publisher's last Sender Report, for consumers created later. */
  get lastSenderReport(): SenderReport | undefined {
    return this.lastSr;
  }

  pause(): void {
    if (this.closedValue || this.pausedValue) return;
    this.pausedValue = true;
    for (const c of this.consumers) c.onProducerPause();
    this.safeEmit('pause');
  }

  resume(): void {
    if (this.closedValue || !this.pausedValue) return;
    this.pausedValue = false;
    for (const c of this.consumers) c.onProducerResume();
    if (this.kind === 'video' && this.hasActiveConsumer()) this.requestKeyFrame();
    this.safeEmit('resume');
  }

  /** Asks the publisher for a keyframe with a PLI (RFC 4585 §6.3.1), at most every KEYFRAME_REQUEST_INTERVAL_MS. */
  requestKeyFrame(): void {
    if (this.closedValue || this.kind !== 'video') return;
    if (this.ssrcValue === undefined) {
      this.keyFrameRequestPending = true; // SSRC latched from the first packet, then asked
      return;
    }
    const now = performance.now();
    if (now - this.lastKeyFrameRequestAt < KEYFRAME_REQUEST_INTERVAL_MS) return;
    if (!this.internal.sendRtcp(buildPli(this.internal.rtcpSenderSsrc, this.ssrcValue))) {
      this.keyFrameRequestPending = true; // not connected yet: retried on the next packet
      return;
    }
    this.keyFrameRequestPending = false;
    this.lastKeyFrameRequestAt = now;
    this.counters.plisSent++;
  }

  getStats(): ProducerStats {
    return {
      bitrate: this.meter.rate(performance.now()),
      ...this.counters,
      packetsLost: this.nack?.lost ?? 0,
    };
  }

  close(): void {
    if (this.closedValue) return;
    this.closedValue = true;
    for (const c of [...this.consumers]) c.onProducerClose();
    this.consumers.clear();
    this.consumerList = [];
    this.gopCache?.clear();
    log.debug({ producerId: this.id }, 'producer closed');
    this.safeEmit('@close');
    this.safeEmit('close');
  }

  /** @internal */
  addConsumer(consumer: Consumer): void {
    this.consumers.add(consumer);
    this.consumerList = [...this.consumers];
  }

  /** @internal */
  removeConsumer(consumer: Consumer): void {
    if (this.consumers.delete(consumer)) this.consumerList = [...this.consumers];
  }

  /** @internal A consumer started receiving: the first one makes the publisher send a keyframe. */
  onConsumerResumed(): void {
    if (this.kind === 'video' && !this.pausedValue) this.requestKeyFrame();
  }

  /**
   * @internal A consumer resumed: sends it the cached GOP (keyframe first, then the frames
   * since, in order, through its own rewriter) so it starts decoding now rather than at the
   * next keyframe; live packets follow in sequence. Returns the packets sent (0 without cache).
   */
  replayGop(consumer: Consumer): number {
    if (!this.gopCache || this.closedValue || this.pausedValue) return 0;
    const now = performance.now();
    let sent = 0;
    for (const packet of this.gopCache.packets) {
      parseRtpHeaderInto(packet, this.replayHeader); // parsed once already on arrival
      if (consumer.forward(packet, this.replayHeader, now)) sent++;
    }
    this.counters.packetsForwarded += sent;
    return sent;
  }

  /**
   * @internal One packet from the engine (RTP or, RFC 5761, RTCP on the same track). The hot
   * path: one header parse into a reused object, then each consumer rewrites its own copy.
   */
  receive(packet: Buffer): void {
    if (this.closedValue) return;
    if (isRtcpPacket(packet)) {
      this.receiveRtcp(packet);
      return;
    }
    const header = this.header;
    try {
      parseRtpHeaderInto(packet, header);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.counters.packetsDiscarded++;
      return;
    }
    if (this.ssrcValue === undefined) this.ssrcValue = header.ssrc;
    if (header.ssrc !== this.ssrcValue || header.payloadType !== this.codec.payloadType) {
      this.counters.packetsDiscarded++;
      return;
    }
    const now = performance.now();
    this.counters.packetsReceived++;
    this.counters.bytesReceived += packet.length;
    this.meter.add(packet.length, now);
    if (this.nack) this.trackLoss(header.sequenceNumber, now);
    if (this.keyFrameRequestPending) this.requestKeyFrame();
    this.gopCache?.push(packet, header);
    if (this.pausedValue) return;
    const list = this.consumerList;
    let forwarded = 0;
    for (let i = 0; i < list.length; i++) if ((list[i] as Consumer).forward(packet, header, now)) forwarded++;
    this.counters.packetsForwarded += forwarded;
  }

  private trackLoss(seq: number, now: number): void {
    const nack = this.nack as NackGenerator;
    nack.onPacket(seq, now);
    if (nack.missingCount === 0 || now - this.lastNackAt < NACK_SEND_INTERVAL_MS || this.ssrcValue === undefined) return;
    this.lastNackAt = now;
    const seqs = nack.collect(now);
    if (seqs.length === 0) return;
    if (this.internal.sendRtcp(buildNack(this.internal.rtcpSenderSsrc, this.ssrcValue, seqs))) this.counters.nacksSent++;
  }

  private receiveRtcp(packet: Buffer): void {
    let packets;
    try {
      packets = parseRtcp(packet);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      return;
    }
    for (const p of packets) {
      if (p.type !== 'sr' || p.ssrc !== this.ssrcValue) continue;
      this.lastSr = p;
      for (const c of this.consumers) c.onSenderReport(p);
    }
  }

  private hasActiveConsumer(): boolean {
    for (const c of this.consumers) if (!c.paused) return true;
    return false;
  }
}
