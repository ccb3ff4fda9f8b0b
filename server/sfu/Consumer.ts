import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ParseError } from '../../protocol/errors.js';
import { buildSdesCname, buildSenderReport, parseRtcp, type RtcpPacket, type SenderReport } from '../../protocol/rtcp/index.js';
import { isRtcpPacket, rewriteRtpHeader, SeqTsRewriter, type RtpHeader } from '../../protocol/rtp/index.js';
import { isH264KeyframePayload, isVp8KeyframePayload } from '../../protocol/rtp-formats/index.js';
import { EnhancedEventEmitter } from '../lib/EnhancedEventEmitter.js';
import type { MediaKind, RtpCodec } from './ortc.js';
import type { Producer } from './Producer.js';
import { RateMeter } from './RateMeter.js';
import { MAX_STORED_PACKET_LENGTH, RetransmissionBuffer } from './RetransmissionBuffer.js';

export interface ConsumerStats {
  packetsSent: number;
  bytesSent: number;
  nacksReceived: number;
  retransmitted: number;
  plisReceived: number;
  bitrate: number;
  /** Requested packets no longer in the retransmission buffer. */
  retransmissionMisses: number;
  /** Sends the engine refused (track not open or closed). */
  sendFailures: number;
  /** FIR commands for this consumer (RFC 5104 §4.3.1) with a new sequence number; repeats are not counted. */
  firsReceived: number;
  /** Video packets held back while waiting for a keyframe after a start or resume. */
  packetsGated: number;
}

/**
 * Keyframe detectors by codec, for the gate a video consumer keeps after it (re)starts: a decoder
 * fed delta frames without their reference shows garbage, so nothing goes out before a keyframe.
 * A video codec missing here is forwarded ungated (we cannot tell its keyframes).
 */
const KEYFRAME_DETECTORS: Readonly<Record<string, (payload: Uint8Array) => boolean>> = {
  'video/vp8': isVp8KeyframePayload,
  'video/h264': isH264KeyframePayload,
};

/** @internal What the owning transport gives a consumer. */
export interface ConsumerInternal {
  producer: Producer;
  codec: RtpCodec;
  ssrc: number;
  cname: string;
  mid: string;
  paused: boolean;
  appData: Record<string, unknown>;
  /**
   * Sends RTP or RTCP on the consumer's track (guarded). `packet` is a view of a buffer the
   * consumer reuses for the next packet: a sender that sends later must copy it first.
   */
  send(packet: Uint8Array): boolean;
  /**
   * Whether `send` can deliver now. An engine track opens (SRTP keys) a moment after the
   * transport reports 'connected'; a GOP replay waits for it. Absent: always.
   */
  canSend?(): boolean;
}

/**
 * A subscriber's copy of one producer on a recv transport (after mediasoup's Consumer): rewrites
 * SSRC, payload type, sequence number and timestamp of every forwarded packet into its own buffer,
 * keeps the sent packets to answer NACKs, relays PLI/FIR to the producer, and re-stamps the
 * publisher's Sender Reports into its own timeline (RFC 3550 §6.4.1) for lip sync.
 */
export class Consumer extends EnhancedEventEmitter<{
  close: [];
  producerclose: [];
  producerpause: [];
  producerresume: [];
  transportclose: [];
  '@close': [];
}> {
  readonly id = randomUUID();
  readonly producerId: string;
  readonly kind: MediaKind;
  readonly codec: RtpCodec;
  readonly ssrc: number;
  readonly mid: string;
  readonly appData: Record<string, unknown>;
  private readonly internal: ConsumerInternal;
  private readonly rewriter: SeqTsRewriter;
  /** Video keeps sent packets for NACK (audio: no NACK negotiated for Opus). */
  private readonly rtx: RetransmissionBuffer | undefined;
  /**
   * Every forwarded packet is copied here, rewritten and sent (the engine copies it synchronously
   * in `sendMessageBinary`), then kept in `rtx`: the hot path allocates nothing per packet.
   */
  private readonly scratch: Buffer;
  private readonly meter = new RateMeter();
  /** Keyframe test for this codec (video only); undefined: never gated. */
  private readonly isKeyframe: ((payload: Uint8Array) => boolean) | undefined;
  /** True from a (re)start until a keyframe starts: only then are payloads inspected. */
  private gated: boolean;
  /** Views of `scratch` by length, each made once. */
  private readonly scratchViews: (Buffer | undefined)[] = [];
  /** Last FIR command seen (RFC 5104 §4.3.1.2: its sequence number is per requesting SSRC). */
  private lastFirSender = -1;
  private lastFirSeq = -1;
  /** A GOP replay waits for the track to open (see `ConsumerInternal.canSend`). */
  private replayPending = false;
  private pausedValue: boolean;
  private producerPausedValue: boolean;
  private closedValue = false;
  private readonly counters = { packetsSent: 0, bytesSent: 0, nacksReceived: 0, retransmitted: 0, plisReceived: 0, retransmissionMisses: 0, sendFailures: 0, firsReceived: 0, packetsGated: 0 };

  /** @internal Created by WebRtcTransport.consume(). */
  constructor(internal: ConsumerInternal) {
    super();
    this.internal = internal;
    this.producerId = internal.producer.id;
    this.kind = internal.producer.kind;
    this.codec = internal.codec;
    this.ssrc = internal.ssrc;
    this.mid = internal.mid;
    this.appData = internal.appData;
    this.pausedValue = internal.paused;
    this.producerPausedValue = internal.producer.paused;
    this.rewriter = new SeqTsRewriter(internal.codec.clockRate);
    this.isKeyframe = this.kind === 'video' ? KEYFRAME_DETECTORS[internal.codec.mimeType.toLowerCase()] : undefined;
    this.gated = this.isKeyframe !== undefined;
    if (this.kind === 'video') this.rtx = new RetransmissionBuffer();
    this.scratch = Buffer.allocUnsafe(MAX_STORED_PACKET_LENGTH);
    internal.producer.addConsumer(this);
  }

  get paused(): boolean {
    return this.pausedValue;
  }

  get producerPaused(): boolean {
    return this.producerPausedValue;
  }

  get closed(): boolean {
    return this.closedValue;
  }

  /**
   * Starts forwarding. A video consumer needs a keyframe to start decoding: its producer's
   * cached GOP (bridged streams, RtpGopCache) is replayed to it at once, which opens the gate;
   * otherwise, or when that did not open it, the producer is asked for a keyframe.
   */
  resume(): void {
    if (this.closedValue || !this.pausedValue) return;
    this.pausedValue = false;
    this.rewriter.resync();
    this.gate();
    if (this.kind === 'video' && this.internal.canSend?.() === false) this.replayPending = true;
    else if (this.kind === 'video') this.internal.producer.replayGop(this);
    if (this.gated || !this.isKeyframe) this.internal.producer.onConsumerResumed();
  }

  pause(): void {
    if (this.closedValue || this.pausedValue) return;
    this.pausedValue = true;
  }

  getStats(): ConsumerStats {
    return { ...this.counters, bitrate: this.meter.rate(performance.now()) };
  }

  /**
   * Stops forwarding and detaches from the producer. The consumer's m-line stays in the recv
   * transport's SDP (sendonly, silent) until the transport closes: libdatachannel cannot remove a
   * track, and a later offer need not touch it.
   */
  close(): void {
    this.closeWith(undefined);
  }

  /** @internal The transport closed: emits 'transportclose', then closes. */
  transportClosed(): void {
    this.closeWith('transportclose');
  }

  /** @internal */
  onProducerClose(): void {
    this.closeWith('producerclose');
  }

  /** @internal */
  onProducerPause(): void {
    if (this.closedValue || this.producerPausedValue) return;
    this.producerPausedValue = true;
    this.safeEmit('producerpause');
  }

  /** @internal */
  onProducerResume(): void {
    if (this.closedValue || !this.producerPausedValue) return;
    this.producerPausedValue = false;
    this.rewriter.resync();
    this.gate();
    this.safeEmit('producerresume');
  }

  /** Whether this consumer waits for a keyframe before forwarding video. */
  get waitingForKeyframe(): boolean {
    return this.gated;
  }

  /**
   * @internal Hot path: copies `packet` into this consumer's buffer, rewrites the header in place
   * and sends it. Returns whether it was sent. While gated (after a start or resume) a video
   * packet goes out only once one starts a keyframe; only then is its payload looked at.
   */
  forward(packet: Buffer, header: RtpHeader, nowMs: number): boolean {
    if (this.pausedValue || this.producerPausedValue || this.closedValue) return false;
    if (this.replayPending) {
      // Until the track opens nothing can be sent; then the replay sends this packet too.
      if (this.internal.canSend?.() === false) return false;
      this.replayPending = false;
      if (this.internal.producer.replayGop(this) > 0) return true;
    }
    if (this.gated && !this.passesGate(packet, header)) return false;
    if (!this.rewriter.rewrite(header.ssrc, header.sequenceNumber, header.timestamp, nowMs)) return false;
    const seq = this.rewriter.seq;
    const out = this.scratchCopy(packet);
    rewriteRtpHeader(out, this.codec.payloadType, seq, this.rewriter.timestamp, this.ssrc);
    this.rtx?.keep(seq, out);
    if (!this.internal.send(out)) {
      this.counters.sendFailures++;
      return false;
    }
    this.counters.packetsSent++;
    this.counters.bytesSent += out.length;
    this.meter.add(out.length, nowMs);
    return true;
  }

  /**
   * @internal The publisher's SR, re-stamped (RFC 3550 §6.4.1): same NTP time, the RTP time
   * mapped through this consumer's rewriter, this consumer's own counts; sent with an SDES CNAME
   * as a compound packet (§6.1).
   */
  onSenderReport(sr: SenderReport): void {
    if (this.closedValue || this.pausedValue || this.producerPausedValue || this.counters.packetsSent === 0) return;
    const rtpTimestamp = this.rewriter.mapTimestamp(sr.ssrc, sr.rtpTimestamp);
    if (rtpTimestamp === undefined) return;
    const report = buildSenderReport({
      ssrc: this.ssrc,
      ntpSeconds: sr.ntpSeconds,
      ntpFraction: sr.ntpFraction,
      rtpTimestamp,
      packetCount: this.counters.packetsSent >>> 0,
      octetCount: this.counters.bytesSent >>> 0,
    });
    const sdes = buildSdesCname(this.ssrc, this.internal.cname);
    const compound = Buffer.allocUnsafe(report.length + sdes.length);
    compound.set(report, 0);
    compound.set(sdes, report.length);
    this.internal.send(compound);
  }

  /** @internal RTCP from the subscriber on this consumer's track. */
  receive(packet: Buffer): void {
    if (this.closedValue || !isRtcpPacket(packet)) return;
    let packets: RtcpPacket[];
    try {
      packets = parseRtcp(packet);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      return;
    }
    for (const p of packets) {
      switch (p.type) {
        case 'nack':
          if (p.mediaSsrc === this.ssrc) this.retransmit(p.sequenceNumbers);
          break;
        case 'pli':
          if (p.mediaSsrc !== this.ssrc) break;
          this.counters.plisReceived++;
          this.internal.producer.requestKeyFrame();
          break;
        case 'fir':
          this.receiveFir(p.senderSsrc, p.entries);
          break;
        default:
          break;
      }
    }
  }

  /**
   * FIR, RFC 5104 §4.3.1: the entry addressed to this consumer's SSRC is a new command only when
   * its 8-bit sequence number differs from the last one of the same requester (§4.3.1.2: a
   * repeat, sent because the first may have been lost, must not cause a second decoder refresh).
   * A new command is relayed to the publisher as a PLI (the producer throttles those).
   */
  private receiveFir(senderSsrc: number, entries: readonly { ssrc: number; sequenceNumber: number }[]): void {
    const entry = entries.find((e) => e.ssrc === this.ssrc);
    if (!entry) return;
    const seq = entry.sequenceNumber & 0xff;
    if (senderSsrc === this.lastFirSender && seq === this.lastFirSeq) return;
    this.lastFirSender = senderSsrc;
    this.lastFirSeq = seq;
    this.counters.firsReceived++;
    this.internal.producer.requestKeyFrame();
  }

  /** Closes the gate (video with a known keyframe format): forwarding restarts at a keyframe. */
  private gate(): void {
    if (this.isKeyframe) this.gated = true;
  }

  /** Gated path: opens the gate on a packet that starts a keyframe; otherwise drops and re-asks. */
  private passesGate(packet: Buffer, header: RtpHeader): boolean {
    const payload = packet.subarray(header.payloadOffset, header.payloadOffset + header.payloadLength);
    if ((this.isKeyframe as (payload: Uint8Array) => boolean)(payload)) {
      this.gated = false;
      return true;
    }
    this.counters.packetsGated++;
    this.internal.producer.requestKeyFrame(); // throttled there: covers a lost PLI
    return false;
  }

  /** The packet copied into the scratch buffer, through a cached view of its length. */
  private scratchCopy(packet: Buffer): Buffer {
    const scratch = this.scratch;
    if (packet.length > scratch.length) return Buffer.from(packet);
    let view = this.scratchViews[packet.length];
    if (!view) {
      view = scratch.subarray(0, packet.length);
      this.scratchViews[packet.length] = view;
    }
    packet.copy(view);
    return view;
  }

  private retransmit(seqs: readonly number[]): void {
    this.counters.nacksReceived++;
    if (!this.rtx || this.pausedValue) return;
    for (const seq of seqs) {
      const stored = this.rtx.get(seq);
      if (!stored) {
        this.counters.retransmissionMisses++;
        continue;
      }
      if (this.internal.send(stored)) this.counters.retransmitted++;
    }
  }

  private closeWith(reason: 'producerclose' | 'transportclose' | undefined): void {
    if (this.closedValue) return;
    this.closedValue = true;
    this.internal.producer.removeConsumer(this);
    this.rtx?.clear();
    if (reason) this.safeEmit(reason);
    this.safeEmit('@close');
    this.safeEmit('close');
  }
}
