import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { ParseError } from '../../protocol/errors.js';
import { isH264KeyframePayload } from '../../protocol/rtp-formats/index.js';
import { buildReceiverReport, parseRtcp, type ReportBlock } from '../../protocol/rtcp/index.js';
import { isRtcpPacket, parseRtpHeader } from '../../protocol/rtp/index.js';
import { EnhancedEventEmitter } from '../lib/EnhancedEventEmitter.js';
import { ConflictError, InvalidStateError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { Consumer } from './Consumer.js';
import type { MediaKind, RtpCodec } from './ortc.js';
import { Producer } from './Producer.js';
import { RtpGopCache } from './RtpGopCache.js';
import type { TransportInternal } from './WebRtcTransport.js';

const log = logger.child({ mod: 'sfu-plain' });

/** Receiver Reports toward the remote sender, RFC 3550 §6.2 (a fixed 1 s: loopback, few sources). */
export const RTCP_REPORT_INTERVAL_MS = 1_000;
/** Smallest datagram that can be RTP (RFC 3550 §5.1 fixed header) or RTCP (§6.4 header + SSRC). */
const MIN_PACKET_LENGTH = 8;
/** Largest datagram read: above any RTP packet a sane sender emits on a 1500-byte MTU path, with margin. */
export const MAX_DATAGRAM_LENGTH = 1_500 * 4;
/** Producers per plain transport: one video and one audio in practice; a bound on SSRC state. */
export const MAX_PLAIN_PRODUCERS = 16;
/** RFC 3550 Appendix A.1: a sequence jump beyond this restarts the receive statistics. */
const MAX_DROPOUT = 3000;

export interface PlainRtpTuple {
  localIp: string;
  localPort: number;
  remoteIp: string | undefined;
  remotePort: number | undefined;
}

export interface PlainRtpTransportStats {
  bytesReceived: number;
  bytesSent: number;
  packetsReceived: number;
  /** Datagrams that were neither valid RTP nor RTCP, came from a foreign address, or named an unknown SSRC. */
  packetsDiscarded: number;
  rtcpReceived: number;
  producers: number;
  consumers: number;
}

export interface PlainRtpTransportOptions {
  listenIp: string;
  /** Local UDP port; 0 (default) lets the OS pick one. */
  port?: number;
  /** Learn the remote address from the first valid datagram (mediasoup's `comedia`). */
  comedia?: boolean;
  /** The remote address to send to (a gateway ingest port); also settable later with connect(). */
  remote?: { ip: string; port: number };
  appData?: Record<string, unknown>;
}

/** Per producer SSRC receive statistics for Receiver Reports (RFC 3550 Appendix A.1, A.3). */
interface ReceiveState {
  producer: Producer;
  baseSeq: number;
  maxSeq: number;
  cycles: number;
  received: number;
  expectedPrior: number;
  receivedPrior: number;
  /** Middle 32 bits of the last SR's NTP time, and when it arrived (ms, performance clock). */
  lastSr: number;
  lastSrAt: number;
  started: boolean;
}

/**
 * Plain RTP over one UDP socket, RTP and RTCP multiplexed (RFC 3550, RFC 5761), after
 * mediasoup's PlainTransport: the door for sources that are not WebRTC peers (the gateway's
 * RTMP/RTSP streams) and for sending SFU producers out to them (rooms and WHIP → HLS).
 * Incoming RTP is demultiplexed by SSRC to producers; RTCP goes to every producer (Sender
 * Reports) and consumer (PLI, FIR, NACK); garbage is counted, never thrown.
 */
export class PlainRtpTransport extends EnhancedEventEmitter<{
  close: [];
  tuple: [PlainRtpTuple];
  '@close': [];
  '@newproducer': [Producer];
}> {
  readonly id = randomUUID();
  readonly appData: Record<string, unknown>;
  readonly producers = new Map<string, Producer>();
  readonly consumers = new Map<string, Consumer>();
  private readonly internal: Omit<TransportInternal, 'direction'>;
  private readonly socket: dgram.Socket;
  private readonly comedia: boolean;
  private readonly receiving = new Map<number, ReceiveState>();
  private readonly rtcpSenderSsrc: number;
  private readonly reportTimer: NodeJS.Timeout;
  private remote: { ip: string; port: number } | undefined;
  private closedValue = false;
  private nextMid = 0;
  private readonly counters = { bytesReceived: 0, bytesSent: 0, packetsReceived: 0, packetsDiscarded: 0, rtcpReceived: 0 };

  /** @internal Created by Router.createPlainRtpTransport() once the socket is bound. */
  constructor(internal: Omit<TransportInternal, 'direction'>, socket: dgram.Socket, options: PlainRtpTransportOptions) {
    super();
    this.internal = internal;
    this.appData = internal.appData;
    this.socket = socket;
    this.comedia = options.comedia ?? false;
    this.remote = options.remote ? { ...options.remote } : undefined;
    this.rtcpSenderSsrc = internal.allocateSsrc();
    socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    socket.on('error', (err) => {
      log.warn({ err: err.message, transportId: this.id }, 'plain rtp socket error; closing');
      this.close();
    });
    this.reportTimer = setInterval(() => this.sendReceiverReports(), RTCP_REPORT_INTERVAL_MS);
    this.reportTimer.unref();
  }

  /** Binds a UDP socket on `listenIp:port` (port 0: any free one). */
  static async bindSocket(listenIp: string, port = 0): Promise<dgram.Socket> {
    const socket = dgram.createSocket({ type: listenIp.includes(':') ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, listenIp, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return socket;
  }

  get closed(): boolean {
    return this.closedValue;
  }

  get tuple(): PlainRtpTuple {
    const a = this.socket.address();
    return { localIp: a.address, localPort: a.port, remoteIp: this.remote?.ip, remotePort: this.remote?.port };
  }

  /** Sets the remote address RTP and RTCP are sent to. */
  connect(remote: { ip: string; port: number }): void {
    this.assertOpen();
    if (!Number.isInteger(remote.port) || remote.port < 1 || remote.port > 65535) throw new TypeError('remote port must be 1-65535');
    this.remote = { ...remote };
    this.safeEmit('tuple', this.tuple);
  }

  /**
   * A producer fed by RTP with this SSRC and payload type arriving on the socket. A second
   * producer with the same SSRC rejects with ConflictError.
   */
  produce(options: { kind: MediaKind; codec: RtpCodec; ssrc: number; appData?: Record<string, unknown> }): Producer {
    this.assertOpen();
    const { kind, codec, ssrc } = options;
    if (kind !== 'audio' && kind !== 'video') throw new TypeError('kind must be audio or video');
    if (!Number.isInteger(ssrc) || ssrc < 0 || ssrc > 0xffff_ffff) throw new TypeError('ssrc must be a uint32');
    if (!Number.isInteger(codec.payloadType) || codec.payloadType < 0 || codec.payloadType > 127) throw new TypeError('payloadType must be 0-127');
    if (this.receiving.has(ssrc)) throw new ConflictError(`ssrc ${ssrc} already has a producer`);
    if (this.receiving.size >= MAX_PLAIN_PRODUCERS) throw new InvalidStateError(`at most ${MAX_PLAIN_PRODUCERS} producers per plain transport`);
    const producer = new Producer({
      kind,
      mid: `plain-${this.nextMid++}`,
      codec,
      ssrc,
      paused: false,
      appData: options.appData ?? {},
      rtcpSenderSsrc: this.rtcpSenderSsrc,
      sendRtcp: (packet) => this.send(packet),
      // A plain-RTP source (the gateway bridge of an RTMP/RTSP stream) cannot make a keyframe
      // when a viewer joins: its GOP is cached and replayed instead.
      ...(kind === 'video' && codec.mimeType.toLowerCase() === 'video/h264' ? { gopCache: new RtpGopCache(isH264KeyframePayload) } : {}),
    });
    this.producers.set(producer.id, producer);
    this.receiving.set(ssrc, { producer, baseSeq: 0, maxSeq: 0, cycles: 0, received: 0, expectedPrior: 0, receivedPrior: 0, lastSr: 0, lastSrAt: 0, started: false });
    producer.once('@close', () => {
      this.producers.delete(producer.id);
      if (this.receiving.get(ssrc)?.producer === producer) this.receiving.delete(ssrc);
    });
    this.safeEmit('@newproducer', producer);
    log.debug({ transportId: this.id, producerId: producer.id, ssrc, codec: codec.mimeType }, 'plain producer created');
    return producer;
  }

  /**
   * Sends `producer` to the remote: a consumer with its own SSRC and the producer's codec
   * (payload type and parameters unchanged). Starts resumed unless `paused`, so the first
   * keyframe request goes out at once.
   */
  consume(options: { producer: Producer; paused?: boolean; appData?: Record<string, unknown> }): Consumer {
    this.assertOpen();
    const { producer } = options;
    if (producer.closed) throw new InvalidStateError('producer closed');
    const codec: RtpCodec = { ...producer.codec, parameters: { ...producer.codec.parameters }, rtcpFeedback: [...(producer.codec.rtcpFeedback ?? [])] };
    const consumer = new Consumer({
      producer,
      codec,
      ssrc: this.internal.allocateSsrc(),
      cname: `estuary-${this.id.slice(0, 8)}`,
      mid: `plain-${this.nextMid++}`,
      paused: true,
      appData: options.appData ?? {},
      send: (packet) => this.send(packet),
    });
    this.consumers.set(consumer.id, consumer);
    consumer.once('@close', () => {
      this.consumers.delete(consumer.id);
      this.internal.releaseSsrc(consumer.ssrc);
    });
    if (!options.paused) consumer.resume();
    return consumer;
  }

  getStats(): PlainRtpTransportStats {
    return { ...this.counters, producers: this.producers.size, consumers: this.consumers.size };
  }

  /** Closes the socket and every producer and consumer on it. Idempotent. */
  close(): void {
    if (this.closedValue) return;
    this.closedValue = true;
    clearInterval(this.reportTimer);
    for (const p of [...this.producers.values()]) p.close();
    for (const c of [...this.consumers.values()]) c.transportClosed();
    this.receiving.clear();
    this.internal.releaseSsrc(this.rtcpSenderSsrc);
    try {
      this.socket.close();
    } catch {
      // already closed after a socket error
    }
    this.safeEmit('@close');
    this.safeEmit('close');
  }

  /** Sends one RTP or RTCP packet to the remote; false while the remote is unknown (comedia) or closed. */
  private send(packet: Uint8Array): boolean {
    const remote = this.remote;
    if (this.closedValue || !remote) return false;
    // dgram may send after this returns: the consumer reuses its buffers, so hand over a copy.
    const copy = Buffer.from(packet);
    this.counters.bytesSent += copy.length;
    this.socket.send(copy, remote.port, remote.ip, (err) => {
      if (err) log.debug({ err: err.message, transportId: this.id }, 'plain rtp send failed');
    });
    return true;
  }

  private onDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closedValue) return;
    if (msg.length < MIN_PACKET_LENGTH || msg.length > MAX_DATAGRAM_LENGTH) {
      this.counters.packetsDiscarded++;
      return;
    }
    if (this.remote) {
      // Only the remote's host may feed us; its port may differ from the one we send to (RTCP
      // from another socket, or one sender socket per track as ffmpeg's RTP muxer has).
      if (rinfo.address !== this.remote.ip) {
        this.counters.packetsDiscarded++;
        return;
      }
    }
    if (isRtcpPacket(msg)) this.onRtcp(msg, rinfo);
    else this.onRtp(msg, rinfo);
  }

  private onRtp(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let ssrc: number;
    let seq: number;
    try {
      const header = parseRtpHeader(msg);
      ssrc = header.ssrc;
      seq = header.sequenceNumber;
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.counters.packetsDiscarded++;
      return;
    }
    const state = this.receiving.get(ssrc);
    if (!state) {
      this.counters.packetsDiscarded++;
      return;
    }
    this.latchRemote(rinfo);
    this.counters.packetsReceived++;
    this.counters.bytesReceived += msg.length;
    updateSequence(state, seq);
    state.producer.receive(msg);
  }

  private onRtcp(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let packets;
    try {
      packets = parseRtcp(msg);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.counters.packetsDiscarded++;
      return;
    }
    this.latchRemote(rinfo);
    this.counters.rtcpReceived++;
    const now = performance.now();
    for (const p of packets) {
      if (p.type !== 'sr') continue;
      const state = this.receiving.get(p.ssrc);
      if (!state) continue;
      // RFC 3550 §6.4.1 LSR: the middle 32 bits of the NTP timestamp.
      state.lastSr = (((p.ntpSeconds & 0xffff) * 0x10000) + (p.ntpFraction >>> 16)) >>> 0;
      state.lastSrAt = now;
    }
    for (const producer of this.producers.values()) producer.receive(msg);
    for (const consumer of this.consumers.values()) consumer.receive(msg);
  }

  private latchRemote(rinfo: dgram.RemoteInfo): void {
    if (this.remote || !this.comedia) return;
    this.remote = { ip: rinfo.address, port: rinfo.port };
    log.debug({ transportId: this.id, remote: `${rinfo.address}:${rinfo.port}` }, 'comedia: remote learnt');
    this.safeEmit('tuple', this.tuple);
  }

  /** RFC 3550 §6.4.2: one RR with a report block per producer that has received packets. */
  private sendReceiverReports(): void {
    if (this.closedValue || !this.remote) return;
    const now = performance.now();
    const blocks: ReportBlock[] = [];
    for (const [ssrc, s] of this.receiving) {
      if (!s.started) continue;
      const extendedMax = s.cycles + s.maxSeq;
      const expected = extendedMax - s.baseSeq + 1;
      const lost = expected - s.received;
      const expectedInterval = expected - s.expectedPrior;
      const lostInterval = expectedInterval - (s.received - s.receivedPrior);
      s.expectedPrior = expected;
      s.receivedPrior = s.received;
      const fractionLost = expectedInterval > 0 && lostInterval > 0 ? Math.floor((lostInterval * 256) / expectedInterval) : 0;
      // DLSR in 1/65536 s units (§6.4.1).
      const delaySinceLastSr = s.lastSrAt > 0 ? Math.floor(((now - s.lastSrAt) / 1000) * 65536) >>> 0 : 0;
      blocks.push({
        ssrc,
        fractionLost: Math.min(255, fractionLost),
        packetsLost: Math.max(-0x800000, Math.min(0x7fffff, lost)),
        highestSequence: extendedMax >>> 0,
        jitter: 0,
        lastSr: s.lastSr,
        delaySinceLastSr,
      });
      if (blocks.length === 31) break; // §6.4: the RC field holds at most 31 blocks
    }
    if (blocks.length > 0) this.send(buildReceiverReport(this.rtcpSenderSsrc, blocks));
  }

  private assertOpen(): void {
    if (this.closedValue) throw new InvalidStateError('transport closed');
  }
}

/** RFC 3550 Appendix A.1, simplified: extended highest sequence number with wrap cycles. */
function updateSequence(s: ReceiveState, seq: number): void {
  s.received++;
  if (!s.started) {
    s.started = true;
    s.baseSeq = seq;
    s.maxSeq = seq;
    return;
  }
  const delta = (seq - s.maxSeq + 0x10000) % 0x10000;
  if (delta === 0 || delta >= 0x8000) return; // duplicate or reordered
  if (delta < MAX_DROPOUT) {
    if (seq < s.maxSeq) s.cycles += 0x10000;
    s.maxSeq = seq;
    return;
  }
  // A jump this large is a restarted sender: start the statistics over.
  Object.assign(s, { baseSeq: seq, maxSeq: seq, cycles: 0, received: 1, expectedPrior: 0, receivedPrior: 0 });
}
