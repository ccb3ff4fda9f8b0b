import { randomUUID } from 'node:crypto';
import { ParseError } from '../../protocol/errors.js';
import { buildRemb } from '../../protocol/rtcp/index.js';
import {
  getCandidates,
  getTransportParameters,
  parseSdp,
  writeSdp,
  type SessionDescription,
} from '../../protocol/sdp/index.js';
import { EnhancedEventEmitter } from '../lib/EnhancedEventEmitter.js';
import { ConflictError, InvalidStateError, UnsupportedError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { Consumer } from './Consumer.js';
import { closeTrack, nodeDataChannel, rtcConfig, releaseOnClose, sendOnTrack, waitForGathering, type EngineSettings, type PeerConnection, type Track } from './engine.js';
import {
  announceCandidates,
  announceSdp,
  buildAnswer,
  consumerCodec,
  negotiateOffer,
  rewriteOfferForEngine,
  type ConsumerMediaParameters,
  type RtpCodec,
} from './ortc.js';
import { buildSendAnswer, negotiateConsumeOffer, toNegotiated, type SendParameters } from './ortc-consume.js';
import { Producer } from './Producer.js';

const log = logger.child({ mod: 'sfu-transport' });

/** REMB toward publishers every 500 ms (what Chrome expects; ARCHITECTURE.md, Media engine). */
export const REMB_INTERVAL_MS = 500;
/** libdatachannel reports a new remote track asynchronously; this bounds the wait for it. */
export const TRACK_WAIT_TIMEOUT_MS = 3_000;

export type TransportState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';
const STATES: readonly TransportState[] = ['new', 'connecting', 'connected', 'disconnected', 'failed', 'closed'];

export interface TransportStats {
  bytesSent: number;
  bytesReceived: number;
  state: TransportState;
  producers: number;
  consumers: number;
}

/** @internal What the router gives a transport. */
export interface TransportInternal {
  direction: 'send' | 'recv';
  appData: Record<string, unknown>;
  engine: EngineSettings;
  announcedIp: string | null;
  maxIncomingBitrate: number;
  /** Unique SSRC for a consumer or our RTCP sender, from the Sfu's pool. */
  allocateSsrc(): number;
  releaseSsrc(ssrc: number): void;
}

/**
 * One WebRTC peer connection (ICE, DTLS-SRTP) carrying either a client's producers (`send`: the
 * client offers) or its consumers (`recv`: Estuary offers and the transport grows by
 * renegotiation). After mediasoup's WebRtcTransport; the engine is node-datachannel.
 */
export class WebRtcTransport extends EnhancedEventEmitter<{
  connectionstatechange: [TransportState];
  close: [];
  '@close': [];
  '@newproducer': [Producer];
}> {
  readonly id = randomUUID();
  readonly direction: 'send' | 'recv';
  readonly appData: Record<string, unknown>;
  readonly producers = new Map<string, Producer>();
  readonly consumers = new Map<string, Consumer>();
  private readonly internal: TransportInternal;
  private readonly pc: PeerConnection;
  /** Every engine Track, by mid: the JS reference keeps its callbacks alive (engine trap). */
  private readonly tracks = new Map<string, Track>();
  private readonly trackWaiters = new Map<string, () => void>();
  private readonly producersByMid = new Map<string, Producer>();
  private readonly rtcpSenderSsrc: number;
  private state: TransportState = 'new';
  private closedValue = false;
  private negotiating = false;
  private nextMid = 0;
  private sessionVersion = 0;
  private readonly sessionId = String(Math.floor(Math.random() * 2 ** 52));
  private rembTimer: NodeJS.Timeout | undefined;

  /** @internal Created by Router.createWebRtcTransport(). */
  constructor(internal: TransportInternal) {
    super();
    this.internal = internal;
    this.direction = internal.direction;
    this.appData = internal.appData;
    this.rtcpSenderSsrc = internal.allocateSsrc();
    this.pc = new nodeDataChannel.PeerConnection(this.id, rtcConfig(internal.engine));
    this.pc.onStateChange((s) => this.onEngineState(s));
    if (this.direction === 'send') {
      this.pc.onTrack((track) => this.onRemoteTrack(track));
      this.rembTimer = setInterval(() => this.sendRemb(), REMB_INTERVAL_MS);
      this.rembTimer.unref();
    }
  }

  get closed(): boolean {
    return this.closedValue;
  }

  get connectionState(): TransportState {
    return this.state;
  }

  /**
   * Send transports: applies the client's offer (its earlier m-lines plus the new sender's, named
   * by `mid`), creates the Producer and returns Estuary's answer. Malformed SDP → TypeError;
   * no usable codec on that m-line → UnsupportedError; a mid already producing → ConflictError.
   */
  async produce(options: { kind: 'audio' | 'video'; mid: string; sdpOffer: string; paused?: boolean; appData?: Record<string, unknown> }): Promise<{ producer: Producer; sdpAnswer: string }> {
    this.assertUsable('send');
    const { kind, mid } = options;
    if (this.producersByMid.has(mid)) throw new ConflictError(`mid ${mid} already has a producer`);
    const offer = parseDescription(options.sdpOffer);
    const negotiated = negotiateOffer(offer);
    const target = negotiated.find((n) => n.mid === mid);
    if (!target) throw new TypeError(`the offer has no m-line with mid ${mid}`);
    if (target.kind !== kind) throw new TypeError(`m-line ${mid} is ${target.kind}, not ${kind}`);
    if (!target.accepted) throw new UnsupportedError(`m-line ${mid}: ${target.reason}`);
    this.negotiating = true;
    try {
      this.applyEngine(() => {
        this.pc.setRemoteDescription(rewriteOfferForEngine(offer, negotiated), 'offer');
        this.pc.setLocalDescription('answer');
      });
      await waitForGathering(this.pc, () => this.closedValue);
      const track = await this.waitForTrack(mid);
      this.assertOpen();
      if (!track) throw new InvalidStateError(`the engine created no track for mid ${mid}`);
      const sdpAnswer = buildAnswer(offer, negotiated, this.localParameters());
      const producer = this.addProducer(kind, mid, target.codec, target.ssrc, track, options.paused ?? false, options.appData ?? {});
      return { producer, sdpAnswer };
    } finally {
      this.negotiating = false;
    }
  }

  /**
   * Recv transports: adds a paused (by default) consumer of `producer` as a new sendonly m-line
   * and returns Estuary's new offer. The client's answer comes through setRemoteAnswer(); a
   * second consume() before it rejects with InvalidStateError.
   */
  async consume(options: { producer: Producer; paused?: boolean; appData?: Record<string, unknown> }): Promise<{ consumer: Consumer; sdpOffer: string; mid: string }> {
    this.assertUsable('recv');
    const { producer } = options;
    if (producer.closed) throw new InvalidStateError('producer closed');
    const codec = consumerCodec(producer.codec);
    const mid = String(this.nextMid++);
    const peerId = producer.appData.peerId;
    const streamId = typeof peerId === 'string' && /^[\w.:-]{1,64}$/.test(peerId) ? peerId : producer.id;
    const params: ConsumerMediaParameters = { mid, kind: producer.kind, codec, ssrc: this.internal.allocateSsrc(), cname: `estuary-${streamId}`, streamId, trackId: producer.id };
    this.negotiating = true;
    let consumer: Consumer | undefined;
    try {
      const track = releaseOnClose(this.applyEngine(() => this.pc.addTrack(mediaDescription(params))));
      this.tracks.set(mid, track);
      consumer = this.addConsumer(producer, params, track, options.paused ?? true, options.appData ?? {});
      const c = consumer;
      this.applyEngine(() => this.pc.setLocalDescription('offer'));
      await waitForGathering(this.pc, () => this.closedValue);
      this.assertOpen();
      const sdpOffer = this.localSdp();
      return { consumer: c, sdpOffer, mid };
    } catch (err) {
      consumer?.close();
      this.negotiating = false;
      throw err;
    }
  }

  /**
   * Send transports, one-shot (WHIP, RFC 9725 §4.2): applies the client's whole offer at once
   * and creates a producer for every accepted m-line (audio and video). Malformed SDP →
   * TypeError; no accepted m-line → UnsupportedError.
   */
  async produceOffer(options: { sdpOffer: string; appData?: Record<string, unknown> }): Promise<{ producers: Producer[]; sdpAnswer: string }> {
    this.assertUsable('send');
    if (this.producers.size > 0) throw new InvalidStateError('produceOffer() is for a fresh send transport');
    const offer = parseDescription(options.sdpOffer);
    const negotiated = negotiateOffer(offer);
    const accepted = negotiated.filter((n): n is Extract<typeof n, { accepted: true }> => n.accepted);
    if (accepted.length === 0) throw new UnsupportedError(`no usable m-line: ${negotiated.map((n) => (n.accepted ? '' : n.reason)).join('; ')}`);
    this.negotiating = true;
    try {
      this.applyEngine(() => {
        this.pc.setRemoteDescription(rewriteOfferForEngine(offer, negotiated), 'offer');
        this.pc.setLocalDescription('answer');
      });
      await waitForGathering(this.pc, () => this.closedValue);
      const tracks = await Promise.all(accepted.map((n) => this.waitForTrack(n.mid)));
      this.assertOpen();
      const missing = accepted.filter((_n, i) => !tracks[i]);
      if (missing.length > 0) throw new InvalidStateError(`the engine created no track for mid ${missing.map((n) => n.mid).join(', ')}`);
      const sdpAnswer = buildAnswer(offer, negotiated, this.localParameters());
      const producers = accepted.map((n, i) => this.addProducer(n.kind, n.mid, n.codec, n.ssrc, tracks[i] as Track, false, options.appData ?? {}));
      return { producers, sdpAnswer };
    } finally {
      this.negotiating = false;
    }
  }

  /**
   * Recv transports, one-shot (WHEP, draft-ietf-wish-whep §4.2): answers a viewer's offer with
   * one sendonly track per offered m-line that a producer can fill (the viewer's payload type,
   * our SSRC), m-lines nobody fills rejected with port 0. Consumers start paused: resume them
   * once the transport is connected. Malformed SDP → TypeError; nothing matched → UnsupportedError.
   */
  async consumeOffer(options: { sdpOffer: string; producers: readonly Producer[]; streamId?: string; appData?: Record<string, unknown> }): Promise<{ consumers: Consumer[]; sdpAnswer: string }> {
    this.assertUsable('recv');
    if (this.nextMid > 0) throw new InvalidStateError('consumeOffer() is for a fresh recv transport');
    const offer = parseDescription(options.sdpOffer);
    const live = options.producers.filter((p) => !p.closed);
    const matches = negotiateConsumeOffer(offer, live);
    const accepted = matches.filter((m): m is Extract<typeof m, { accepted: true }> => m.accepted);
    if (accepted.length === 0) throw new UnsupportedError(`nothing to send: ${matches.map((m) => (m.accepted ? '' : m.reason)).join('; ')}`);
    const streamId = options.streamId !== undefined && /^[\w.:-]{1,64}$/.test(options.streamId) ? options.streamId : this.id;
    this.negotiating = true;
    this.nextMid = offer.media.length;
    const consumers: Consumer[] = [];
    try {
      const sends: SendParameters[] = [];
      for (const m of accepted) {
        const producer = live.find((p) => p.id === m.sourceId) as Producer;
        const params: ConsumerMediaParameters = { mid: m.mid, kind: m.kind, codec: m.codec, ssrc: this.internal.allocateSsrc(), cname: `estuary-${streamId}`, streamId, trackId: producer.id };
        const track = releaseOnClose(this.applyEngine(() => this.pc.addTrack(mediaDescription(params))));
        this.tracks.set(m.mid, track);
        const consumer = this.addConsumer(producer, params, track, true, options.appData ?? {});
        consumers.push(consumer);
        sends.push(params);
      }
      this.applyEngine(() => {
        this.pc.setRemoteDescription(rewriteOfferForEngine(offer, toNegotiated(matches)), 'offer');
        this.pc.setLocalDescription('answer');
      });
      await waitForGathering(this.pc, () => this.closedValue);
      this.assertOpen();
      return { consumers, sdpAnswer: buildSendAnswer(offer, matches, this.localParameters(), sends) };
    } catch (err) {
      for (const c of consumers) c.close();
      throw err;
    } finally {
      this.negotiating = false;
    }
  }

  /** Adds a remote ICE candidate (trickle ICE, RFC 8838; WHIP/WHEP PATCH). Bad candidates → TypeError. */
  addRemoteCandidate(candidate: string, mid: string): void {
    this.assertOpen();
    this.applyEngine(() => this.pc.addRemoteCandidate(candidate, mid));
  }

  /** Recv transports: the client's answer to the last offer. */
  async setRemoteAnswer(sdpAnswer: string): Promise<void> {
    this.assertOpen();
    if (this.direction !== 'recv') throw new InvalidStateError('setRemoteAnswer() is for recv transports');
    if (!this.negotiating) throw new InvalidStateError('no offer is waiting for an answer');
    const answer = parseDescription(sdpAnswer);
    try {
      this.applyEngine(() => this.pc.setRemoteDescription(writeSdp(answer), 'answer'));
    } finally {
      this.negotiating = false;
    }
  }

  getStats(): TransportStats {
    let bytesSent = 0;
    let bytesReceived = 0;
    for (const p of this.producers.values()) bytesReceived += p.getStats().bytesReceived;
    for (const c of this.consumers.values()) bytesSent += c.getStats().bytesSent;
    return { bytesSent, bytesReceived, state: this.state, producers: this.producers.size, consumers: this.consumers.size };
  }

  /** Closes the peer connection and every producer and consumer on it. Idempotent. */
  close(): void {
    if (this.closedValue) return;
    this.closedValue = true;
    if (this.rembTimer) clearInterval(this.rembTimer);
    for (const p of [...this.producers.values()]) p.close();
    for (const c of [...this.consumers.values()]) c.transportClosed();
    for (const resolve of this.trackWaiters.values()) resolve();
    this.trackWaiters.clear();
    this.internal.releaseSsrc(this.rtcpSenderSsrc);
    const pc = this.pc;
    const tracks = [...this.tracks.values()];
    // Closing from inside an engine callback is allowed but deferring keeps teardown out of it;
    // the tracks stay referenced until the peer connection is gone.
    setImmediate(() => {
      for (const track of tracks) closeTrack(track);
      try {
        pc.close();
      } catch (err) {
        log.warn({ err, transportId: this.id }, 'peer connection close failed');
      }
      tracks.length = 0;
    });
    this.tracks.clear();
    this.setState('closed');
    this.safeEmit('@close');
    this.safeEmit('close');
  }

  /** The one wiring of a new producer on an engine track: owned, indexed by mid, announced. */
  private addProducer(kind: 'audio' | 'video', mid: string, codec: RtpCodec, ssrc: number | undefined, track: Track, paused: boolean, appData: Record<string, unknown>): Producer {
    const producer = new Producer({
      kind,
      mid,
      codec,
      ssrc,
      paused,
      appData,
      rtcpSenderSsrc: this.rtcpSenderSsrc,
      sendRtcp: (packet) => sendOnTrack(track, packet),
    });
    this.producers.set(producer.id, producer);
    this.producersByMid.set(mid, producer);
    producer.once('@close', () => {
      this.producers.delete(producer.id);
      if (this.producersByMid.get(mid) === producer) this.producersByMid.delete(mid);
    });
    this.safeEmit('@newproducer', producer);
    log.debug({ transportId: this.id, producerId: producer.id, mid, codec: codec.mimeType, ssrc }, 'producer created');
    return producer;
  }

  /** The one wiring of a new consumer on an engine track: RTCP from the viewer in, owned, SSRC released on close. */
  private addConsumer(producer: Producer, params: ConsumerMediaParameters, track: Track, paused: boolean, appData: Record<string, unknown>): Consumer {
    const consumer = new Consumer({ producer, codec: params.codec, ssrc: params.ssrc, cname: params.cname, mid: params.mid, paused, appData, send: (packet) => sendOnTrack(track, packet), canSend: () => track.isOpen() });
    track.onMessage((msg) => consumer.receive(msg));
    this.consumers.set(consumer.id, consumer);
    consumer.once('@close', () => {
      this.consumers.delete(consumer.id);
      this.internal.releaseSsrc(consumer.ssrc);
    });
    return consumer;
  }

  private onEngineState(s: string): void {
    if (this.closedValue) return;
    const state = (STATES as readonly string[]).includes(s) ? (s as TransportState) : undefined;
    if (state && state !== 'closed') this.setState(state);
    else if (state === 'closed') this.setState('disconnected');
  }

  private setState(state: TransportState): void {
    if (this.state === state) return;
    this.state = state;
    log.debug({ transportId: this.id, state }, 'transport state');
    this.safeEmit('connectionstatechange', state);
  }

  private onRemoteTrack(track: Track): void {
    releaseOnClose(track);
    if (this.closedValue) {
      closeTrack(track);
      return;
    }
    const mid = track.mid();
    this.tracks.set(mid, track);
    track.onMessage((msg) => this.producersByMid.get(mid)?.receive(msg));
    this.trackWaiters.get(mid)?.();
  }

  private waitForTrack(mid: string): Promise<Track | undefined> {
    const existing = this.tracks.get(mid);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.trackWaiters.delete(mid);
        resolve(this.tracks.get(mid));
      };
      const timer = setTimeout(done, TRACK_WAIT_TIMEOUT_MS);
      this.trackWaiters.set(mid, done);
    });
  }

  /** draft-alvestrand-rmcat-remb: the bitrate cap for every video stream of this publisher. */
  private sendRemb(): void {
    if (this.closedValue || this.state !== 'connected') return;
    const video = [...this.producers.values()].filter((p) => p.kind === 'video' && p.ssrc !== undefined);
    const first = video[0];
    if (!first) return;
    const track = this.tracks.get(first.mid);
    if (!track) return;
    sendOnTrack(track, buildRemb(this.rtcpSenderSsrc, this.internal.maxIncomingBitrate, video.map((p) => p.ssrc as number)));
  }

  private localParameters(): Parameters<typeof buildAnswer>[2] {
    const local = this.pc.localDescription();
    if (!local) throw new InvalidStateError('the engine has no local description');
    const desc = parseSdp(local.sdp);
    const first = desc.media[0];
    const params = getTransportParameters(first?.lines ?? [], desc.lines);
    if (!params.iceUfrag || !params.icePwd || !params.fingerprint) throw new InvalidStateError('the engine answer lacks ICE or DTLS parameters');
    const setup = params.setup === 'passive' ? 'passive' : 'active';
    const candidates = desc.media.flatMap((m) => getCandidates(m.lines));
    return {
      iceUfrag: params.iceUfrag,
      icePwd: params.icePwd,
      fingerprint: params.fingerprint,
      setup,
      candidates: announceCandidates(candidates, this.internal.announcedIp),
      sessionId: this.sessionId,
      sessionVersion: this.sessionVersion++,
    };
  }

  private localSdp(): string {
    const local = this.pc.localDescription();
    if (!local) throw new InvalidStateError('the engine has no local description');
    const desc = announceSdp(parseSdp(local.sdp), this.internal.announcedIp);
    return writeSdp(desc);
  }

  private assertOpen(): void {
    if (this.closedValue) throw new InvalidStateError('transport closed');
  }

  private assertUsable(direction: 'send' | 'recv'): void {
    this.assertOpen();
    if (this.direction !== direction) throw new InvalidStateError(`not a ${direction} transport`);
    if (this.negotiating) throw new InvalidStateError('a negotiation is already in progress');
  }

  /** Runs an engine call; its errors (libdatachannel rejects SDP it cannot apply) become TypeError. */
  private applyEngine<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw new TypeError(`the engine refused the description: ${(err as Error).message}`);
    }
  }
}

/** SDP text → model; a malformed one is the caller's error (TypeError with the parser's reason). */
function parseDescription(sdp: string): SessionDescription {
  try {
    return parseSdp(sdp);
  } catch (err) {
    if (err instanceof ParseError) throw new TypeError(`malformed SDP (${err.reason}): ${err.message}`);
    throw err;
  }
}

/** The engine's media description for a consumer m-line (codec, feedback, SSRC with cname and msid). */
function mediaDescription(p: ConsumerMediaParameters): InstanceType<typeof nodeDataChannel.Video> | InstanceType<typeof nodeDataChannel.Audio> {
  const pt = p.codec.payloadType;
  const fmtp = Object.entries(p.codec.parameters)
    .map(([k, v]) => `${k}=${v}`)
    .join(';');
  let media;
  if (p.kind === 'video') {
    const video = new nodeDataChannel.Video(p.mid, 'SendOnly');
    if (p.codec.mimeType === 'video/H264') video.addH264Codec(pt, fmtp);
    else if (p.codec.mimeType === 'video/VP8') video.addVP8Codec(pt);
    else throw new UnsupportedError(`no engine mapping for ${p.codec.mimeType}`);
    // addVP8Codec/addH264Codec add nack, nack pli and goog-remb; FIR is ours to add.
    video.parseSdpLine(`a=rtcp-fb:${pt} ccm fir`);
    media = video;
  } else {
    const audio = new nodeDataChannel.Audio(p.mid, 'SendOnly');
    const mime = p.codec.mimeType.toLowerCase();
    if (mime === 'audio/opus') audio.addOpusCodec(pt, fmtp);
    else if (mime === 'audio/pcma' || mime === 'audio/pcmu') audio.addAudioCodec(pt, `${mime === 'audio/pcma' ? 'PCMA' : 'PCMU'}/${p.codec.clockRate}`);
    else throw new UnsupportedError(`no engine mapping for ${p.codec.mimeType}`);
    media = audio;
  }
  media.addSSRC(p.ssrc, p.cname, p.streamId, p.trackId);
  return media;
}
