import { randomInt } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import type { BridgeConfig, IngestOpenParams, IngestTrack } from '../../protocol/control/messages.js';
import { buildAvcDecoderConfig } from '../../protocol/codec/avc-config.js';
import { H264NalType } from '../../protocol/codec/h264.js';
import { splitAvcc } from '../../protocol/codec/nal.js';
import { ParseError } from '../../protocol/errors.js';
import { AU_CLOCK_RATE, type AccessUnit, type TrackInfo } from '../../protocol/media/access-unit.js';
import { buildPli } from '../../protocol/rtcp/build.js';
import { parseRtcp } from '../../protocol/rtcp/parse.js';
import { isRtcpPacket, parseRtpHeader } from '../../protocol/rtp/header.js';
import { tsDelta } from '../../protocol/rtp/sequence.js';
import { rtpFormatFor, type RtpDepacketizer } from '../../protocol/rtp-formats/index.js';
import type { Hub } from '../hub/hub.js';
import type { Stream } from '../hub/stream.js';
import { withDimensions } from '../hub/track-summary.js';
import { H264Encoder } from '../transcode/h264-encoder.js';
import { OpusToAac } from '../transcode/opus-to-aac.js';
import { TrackGate } from './track-gate.js';

/** No RTP for this long ends the ingest (the SFU side went away without `ingestClose`). */
export const INGEST_IDLE_TIMEOUT_MS = 10_000;
/** Shortest interval between two PLIs for one track: a keyframe takes a round trip to arrive. */
export const PLI_MIN_INTERVAL_MS = 500;
/** How often the idle check runs. */
const IDLE_CHECK_MS = 1_000;
/**
 * A WebRTC publisher (browser, OBS, a room participant) sends a keyframe only when asked; HLS
 * cuts segments and FLV/RTMP readers start at keyframes, so the ingest asks for one this often
 * (one PLI through the SFU to the publisher: the GOP of the re-encoded H.264 follows the
 * source's keyframes). 2 s: two HLS segments of the default 1 s target.
 */
export const KEYFRAME_REQUEST_INTERVAL_MS = 2_000;

/** One incoming track: depacketizer, clock mapping (from the SFU's Sender Reports), and its last output. */
interface InTrack {
  spec: IngestTrack;
  depacketizer: RtpDepacketizer;
  /** RTP timestamp of the first packet (depacketizer pts 0) and its arrival (Unix ms). */
  firstRtp?: number;
  firstArrivalMs?: number;
  /** The last Sender Report: RTP timestamp ↔ wall clock (Unix ms), RFC 3550 §6.4.1. */
  sr?: { rtp: number; unixMs: number };
  lastPts: number;
  lastPliAt: number;
}

/**
 * One SFU producer set published into the hub (the `ingestOpen` side of the bridge contract):
 * a UDP socket on 127.0.0.1 taking RTP and RTCP muxed (RFC 5761), depacketized per SSRC with
 * protocol/rtp-formats, placed on one clock by the Sender Reports the SFU forwards, and
 * published with origin `room`/`whip` once both tracks' configs are known (TrackGate: HLS and
 * FLV start with video and audio together, not video alone). VP8 is re-encoded to H.264 and Opus to AAC (ffmpeg
 * children) so HLS, HTTP-FLV and RTMP can carry it. VP8 is re-encoded whenever
 * `bridge.transcodeVp8` is on, readers or not: the hub's readers come and go faster than an
 * encoder starts (the HLS packager is always one), so waiting for one would cost the first
 * seconds of every viewer.
 */
export class RtpIngest {
  readonly path: string;
  readonly #hub: Hub;
  readonly #log: Logger;
  readonly #socket: Socket;
  readonly #tracks = new Map<number, InTrack>();
  readonly #stream: Stream;
  readonly #gate: TrackGate;
  readonly #ourSsrc = randomInt(1, 0xffff_ffff);
  readonly #idleTimer: NodeJS.Timeout;
  #vp8: H264Encoder | null = null;
  #opus: OpusToAac | null = null;
  #h264Config: Uint8Array | undefined;
  #source: RemoteInfo | null = null;
  #lastPacketAt = Date.now();
  #wallBase: number | undefined;
  /**
   * Local Unix ms minus the Sender Reports' NTP ms, fixed at the first SR. mediasoup stamps its
   * SRs from its own monotonic clock, not the Unix epoch: what they give is the alignment between
   * tracks (one clock for all of them), which this offset puts on the arrival-time scale.
   */
  #srClockOffset: number | undefined;
  #closed = false;
  #onClosed: (ingest: RtpIngest) => void;
  packets = 0;
  badPackets = 0;

  private constructor(params: IngestOpenParams, hub: Hub, config: BridgeConfig, log: Logger, socket: Socket, onClosed: (ingest: RtpIngest) => void) {
    this.path = params.path;
    this.#hub = hub;
    this.#log = log.child({ path: params.path });
    this.#socket = socket;
    this.#onClosed = onClosed;
    let vp8Passthrough = false;
    const expected = new Set<TrackInfo['type']>();
    for (const spec of params.tracks) {
      const format = rtpFormatFor(spec.codec);
      if (!format) continue;
      if (spec.codec === 'h264' || spec.codec === 'vp8' || spec.codec === 'opus') expected.add(spec.kind === 'video' ? 'video' : 'audio');
      const info: TrackInfo = spec.kind === 'video' ? { type: 'video', codec: spec.codec as 'h264' | 'vp8' } : { type: 'audio', codec: 'opus', sampleRate: spec.clockRate, channels: spec.channels ?? 2 };
      this.#tracks.set(spec.ssrc, { spec, depacketizer: format.createDepacketizer(info), lastPts: -1, lastPliAt: 0 });
      if (spec.codec === 'vp8') {
        if (config.transcodeVp8) this.#vp8 = new H264Encoder({ codec: 'vp8' }, this.#log.child({ child: 'vp8-h264' }), (unit, avcc) => this.#publishVideo(unit, avcc));
        else vp8Passthrough = true;
      }
      if (spec.codec === 'opus') this.#opus = new OpusToAac(this.#log.child({ child: 'opus-aac' }), (unit, asc) => this.#publishAudio(unit, asc));
    }
    try {
      this.#stream = hub.publish(params.path, params.origin, { remoteAddress: '127.0.0.1', close: (reason) => this.close(reason) }, { takeover: true });
    } catch (err) {
      this.#vp8?.close();
      this.#opus?.close();
      throw err;
    }
    this.#gate = new TrackGate(this.#stream, expected);
    if (vp8Passthrough) this.#gate.setTrack({ type: 'video', codec: 'vp8' });
    socket.on('message', (msg, rinfo) => this.#onPacket(msg, rinfo));
    socket.on('error', (err) => this.#log.warn({ err }, 'ingest socket error'));
    let sinceKeyframeRequest = 0;
    this.#idleTimer = setInterval(() => {
      if (Date.now() - this.#lastPacketAt > INGEST_IDLE_TIMEOUT_MS) this.close(`no RTP for ${INGEST_IDLE_TIMEOUT_MS / 1000} s`);
      sinceKeyframeRequest += IDLE_CHECK_MS;
      if (sinceKeyframeRequest < KEYFRAME_REQUEST_INTERVAL_MS) return;
      sinceKeyframeRequest = 0;
      for (const track of this.#tracks.values()) if (track.spec.kind === 'video') this.#requestKeyframe(track);
    }, IDLE_CHECK_MS);
  }

  /** Binds the socket and publishes the stream; resolves once the port is known. */
  static async open(params: IngestOpenParams, hub: Hub, config: BridgeConfig, log: Logger, onClosed: (ingest: RtpIngest) => void): Promise<{ ingest: RtpIngest; port: number }> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    try {
      const ingest = new RtpIngest(params, hub, config, log, socket, onClosed);
      return { ingest, port: socket.address().port };
    } catch (err) {
      socket.close();
      throw err;
    }
  }

  /** Unpublishes and frees everything. Idempotent; one `closed:` line. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#idleTimer);
    this.#gate.close();
    this.#vp8?.close();
    this.#opus?.close();
    this.#socket.close();
    this.#hub.unpublish(this.#stream, reason);
    this.#onClosed(this);
    this.#log.info({ packets: this.packets, badPackets: this.badPackets, source: this.#source ? `${this.#source.address}:${this.#source.port}` : null }, `closed: ${reason}`);
  }

  #onPacket(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.#closed) return;
    this.#source = rinfo;
    this.#lastPacketAt = Date.now();
    if (isRtcpPacket(msg)) {
      this.#onRtcp(msg);
      return;
    }
    let h: ReturnType<typeof parseRtpHeader>;
    try {
      h = parseRtpHeader(msg);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.badPackets++;
      return;
    }
    const track = this.#tracks.get(h.ssrc) ?? [...this.#tracks.values()].find((t) => t.spec.payloadType === h.payloadType);
    if (!track || h.payloadType !== track.spec.payloadType) {
      this.badPackets++;
      return;
    }
    this.packets++;
    track.firstRtp ??= h.timestamp;
    track.firstArrivalMs ??= Date.now();
    const result = track.depacketizer.push({ payload: msg.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength), sequenceNumber: h.sequenceNumber, timestamp: h.timestamp, marker: h.marker });
    if (result.error) this.badPackets++;
    if (track.depacketizer.waitingForKeyframe) this.#requestKeyframe(track);
    for (const unit of result.units) this.#onUnit(track, unit);
  }

  #onRtcp(msg: Buffer): void {
    try {
      for (const p of parseRtcp(msg)) {
        if (p.type !== 'sr') continue;
        const track = this.#tracks.get(p.ssrc);
        if (!track) continue;
        const ntpMs = ntpToUnixMs(p.ntpSeconds, p.ntpFraction);
        this.#srClockOffset ??= Date.now() - ntpMs;
        track.sr = { rtp: p.rtpTimestamp, unixMs: ntpMs + this.#srClockOffset };
      }
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.badPackets++;
    }
  }

  /** PLI (RFC 4585 §6.3.1) to the packets' source, at most every PLI_MIN_INTERVAL_MS per track. */
  #requestKeyframe(track: InTrack): void {
    const now = Date.now();
    if (!this.#source || now - track.lastPliAt < PLI_MIN_INTERVAL_MS) return;
    track.lastPliAt = now;
    this.#socket.send(buildPli(this.#ourSsrc, track.spec.ssrc), this.#source.port, this.#source.address);
  }

  /**
   * The unit's pts on the stream's clock: its wall time from the track's last SR (else from
   * the first packet's arrival) minus the stream's first unit's, in 90 kHz; never backwards.
   */
  #streamPts(track: InTrack, unit: AccessUnit): number {
    const clock = track.spec.clockRate;
    let wall: number;
    if (track.sr && track.firstRtp !== undefined) {
      const rtp = (track.firstRtp + Math.round((unit.pts * clock) / AU_CLOCK_RATE)) >>> 0;
      wall = track.sr.unixMs + (tsDelta(rtp, track.sr.rtp) * 1000) / clock;
    } else {
      wall = (track.firstArrivalMs ?? Date.now()) + (unit.pts * 1000) / AU_CLOCK_RATE;
    }
    this.#wallBase ??= wall;
    const pts = Math.max(0, Math.round(((wall - this.#wallBase) * AU_CLOCK_RATE) / 1000), track.lastPts + 1);
    track.lastPts = pts;
    return pts;
  }

  #onUnit(track: InTrack, unit: AccessUnit): void {
    const pts = this.#streamPts(track, unit);
    const timed: AccessUnit = { ...unit, pts, dts: pts };
    switch (track.spec.codec) {
      case 'h264':
        this.#publishVideo(timed, this.#inBandConfig(timed));
        return;
      case 'vp8':
        if (this.#vp8) this.#vp8.push(timed);
        else this.#gate.pushUnit(timed);
        return;
      case 'opus':
        this.#opus?.push(timed);
        return;
    }
  }

  /** An avcC from SPS/PPS carried in-band before an IDR, when they changed. */
  #inBandConfig(unit: AccessUnit): Uint8Array | undefined {
    if (!unit.keyframe) return undefined;
    let sps: Uint8Array | undefined;
    let pps: Uint8Array | undefined;
    for (const n of splitAvcc(unit.data)) {
      const type = (n[0] as number) & 0x1f;
      if (type === H264NalType.Sps) sps = n;
      else if (type === H264NalType.Pps) pps = n;
    }
    if (!sps || !pps) return undefined;
    const config = buildAvcDecoderConfig({ sps: [sps], pps: [pps] });
    if (this.#h264Config && config.length === this.#h264Config.length && config.every((b, i) => b === this.#h264Config![i])) return undefined;
    this.#h264Config = config;
    return config;
  }

  #publishVideo(unit: AccessUnit, config: Uint8Array | undefined): void {
    if (this.#closed) return;
    if (config) this.#gate.setTrack(withDimensions({ type: 'video', codec: 'h264', config }));
    if (!this.#gate.has('video')) return; // FLV/HLS need the SPS/PPS first
    this.#gate.pushUnit(unit);
  }

  #publishAudio(unit: AccessUnit, asc: Uint8Array | undefined): void {
    if (this.#closed) return;
    if (asc) this.#gate.setTrack({ type: 'audio', codec: 'aac', config: asc, sampleRate: 48_000, channels: 2 });
    this.#gate.pushUnit(unit);
  }
}

/** Unix ms of an NTP timestamp (RFC 3550 §4; NTP era 0). */
export function ntpToUnixMs(ntpSeconds: number, ntpFraction: number): number {
  return (ntpSeconds - 2_208_988_800) * 1000 + (ntpFraction / 0x1_0000_0000) * 1000;
}
