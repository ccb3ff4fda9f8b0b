import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import type { BridgeConfig, BridgeOpenParams, BridgeOpenResult, BridgeTrack, WebrtcStatus } from '../../protocol/control/messages.js';
import { parseAvcDecoderConfig } from '../../protocol/codec/avc-config.js';
import { AU_CLOCK_RATE, type AccessUnit, type AudioTrackInfo, type TrackInfo, type VideoTrackInfo } from '../../protocol/media/access-unit.js';
import { parseRtcp } from '../../protocol/rtcp/parse.js';
import { isRtcpPacket } from '../../protocol/rtp/header.js';
import { rtpFormatFor, type RtpPacketizer } from '../../protocol/rtp-formats/index.js';
import { ParseError } from '../../protocol/errors.js';
import { randomInt } from 'node:crypto';
import type { Reader, ReaderItem } from '../hub/reader.js';
import type { Stream } from '../hub/stream.js';
import { AacToOpus } from '../transcode/aac-to-opus.js';
import { Backoff } from '../transcode/backoff.js';
import { H264Encoder } from '../transcode/h264-encoder.js';
import { AUDIO_MAX_LATE_MS, AudioPacer, PASSTHROUGH_AUDIO_DELAY_MS, TRANSCODED_AUDIO_DELAY_MS } from './audio-pacer.js';
import { detectBFrames } from './bframes.js';
import { CatchUpPacer } from './catch-up-pacer.js';
import { StreamWallClock } from './rtp-clock.js';
import { RtpTrackSender } from './rtp-sender.js';

/** RTCP Sender Report interval per track (RFC 3550 §6.2 suggests ≥ 5 s; WebRTC stacks send ~1 s for quick lip sync). */
export const SENDER_REPORT_INTERVAL_MS = 1_000;
/**
 * Units held while the bridge probes for B-frames and waits for `bridgeOpen`'s answer:
 * ~4 s of 25 fps video + audio. Past it the oldest go (video then restarts at a keyframe).
 */
export const MAX_PENDING_UNITS = 256;
/**
 * RTP timestamps of every track start from one random base (RFC 3550 §5.1: random initial
 * timestamps), taken in 90 kHz ticks below 2^30 and scaled to each clock rate: video RTP =
 * base + pts, audio RTP = (base + pts) × rate / 90 kHz. The tracks share one clock, so a
 * receiver can compare what it plays of each (the lip-sync bench reads them in the browser).
 */
export const RTP_BASE_RANGE = 2 ** 30;
/** First and last delay before asking `bridgeOpen` again after a failure (no handler yet, server busy). */
export const OPEN_RETRY_MIN_MS = 1_000;
export const OPEN_RETRY_MAX_MS = 30_000;

/** Where the bridge sends: the channel request and notifications it needs. */
export interface BridgeChannel {
  open(params: BridgeOpenParams): Promise<BridgeOpenResult>;
  closed(path: string, reason: string): void;
  status(path: string, webrtc: WebrtcStatus): void;
}

interface Plan {
  params: BridgeOpenParams;
  video?: VideoTrackInfo;
  audio?: AudioTrackInfo;
  transcodeVideo: boolean;
}

/** One sending track: its RTP sender and packetizer. */
interface Out {
  sender: RtpTrackSender;
  packetizer: RtpPacketizer;
}

/**
 * Carries one hub stream to the SFU as plain RTP (the bridge contract in
 * protocol/control/messages.ts): reads it with a bounded reader, probes the tracks and
 * B-frames, asks `bridgeOpen`, then packetizes H.264 (RFC 6184) as is or re-encoded, AAC
 * re-encoded to Opus (RFC 7587), Opus and G.711 as they are, and sends a Sender Report per
 * track every second. Every track is timed from the source's pts on one clock: RTP timestamps
 * on one base, Sender Reports from one pts → wall-clock mapping (StreamWallClock), and audio
 * sent at its pts' wall time + a fixed delay (AudioPacer), because the SFU re-anchors the
 * reports it sends viewers to its forwarding time: a browser lines the tracks up by when they
 * left here. Video goes on arrival (its cached GOP first, CatchUpPacer); audio never waits
 * behind that backlog. Ends with one `closed: <reason>` line and `bridgeClosed`.
 */
export class StreamBridge {
  readonly #stream: Stream;
  readonly #channel: BridgeChannel;
  readonly #config: BridgeConfig;
  readonly #log: Logger;
  readonly #reader: Reader;
  readonly #wall = new StreamWallClock();
  readonly #retry = new Backoff(OPEN_RETRY_MIN_MS, OPEN_RETRY_MAX_MS);
  readonly #rtpBase = randomInt(0, RTP_BASE_RANGE);
  #tracks: readonly TrackInfo[] = [];
  #pending: AccessUnit[] = [];
  /** Video units since the first keyframe, for B-frame detection. */
  #probe: { pts: number; dts: number }[] = [];
  #sawKeyframe = false;
  #state: 'probing' | 'opening' | 'open' | 'closed' = 'probing';
  #plan: Plan | null = null;
  #socket: Socket | null = null;
  #video: Out | null = null;
  #audio: Out | null = null;
  #encoder: H264Encoder | null = null;
  #aac: AacToOpus | null = null;
  /** Sends audio at its capture time + a fixed delay (see audio-pacer.ts: the SFU lines tracks up by send time). */
  #audioPacer: AudioPacer | null = null;
  /** Whether the AAC → Opus child has been given a frame (the stale backlog prefix is over). */
  #aacFed = false;
  #videoNeedsKeyframe = true;
  #timer: NodeJS.Timeout | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  /** Sends the video backlog (cached GOP + units held while opening) faster than real time, then live. */
  readonly #pacer = new CatchUpPacer((unit) => this.#send(unit));
  /** Waiters of `whenOpen()`. */
  #openWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  /** PLI received from the SFU (viewers joining): counted; pass-through video cannot act on them. */
  plis = 0;

  constructor(stream: Stream, channel: BridgeChannel, config: BridgeConfig, log: Logger) {
    this.#stream = stream;
    this.#channel = channel;
    this.#config = config;
    this.#log = log.child({ path: stream.path });
    this.#reader = stream.subscribe('webrtc', '127.0.0.1', { onReadable: () => this.#drain(), onClose: (reason) => this.close(reason) });
    // The reader starts with the stream's cached GOP (gateway/hub): it is sent first, at
    // CATCH_UP_SPEED × real time, so the SFU has a keyframe at once instead of after the
    // publisher's next one (which a PLI cannot hasten for an RTMP source). The wall clock is
    // anchored at the newest cached unit, which was captured about now.
    const initial: ReaderItem[] = [];
    for (let item = this.#reader.shift(); item; item = this.#reader.shift()) initial.push(item);
    const newest = initial.findLast((i) => i.kind === 'unit');
    if (newest?.kind === 'unit') this.#wall.capture(newest.unit.pts);
    for (const item of initial) this.#take(item);
  }

  /** Resolves once the bridge is open (`bridgeOpen` answered); rejects if it closes first. */
  whenOpen(): Promise<void> {
    if (this.#state === 'open') return Promise.resolve();
    if (this.#state === 'closed') return Promise.reject(new Error('bridge closed'));
    return new Promise((resolve, reject) => this.#openWaiters.push({ resolve, reject }));
  }

  /** The running children (for tests and stats). */
  get audioTranscoder(): AacToOpus | null {
    return this.#aac;
  }

  get videoEncoder(): H264Encoder | null {
    return this.#encoder;
  }

  get state(): string {
    return this.#state;
  }

  /** Stops everything. Idempotent; tells the server when a bridge was open. */
  close(reason: string): void {
    if (this.#state === 'closed') return;
    const wasOpen = this.#state === 'open';
    this.#state = 'closed';
    if (this.#timer) clearInterval(this.#timer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#pacer.close();
    this.#audioPacer?.close();
    this.#reader.close(reason);
    this.#encoder?.close();
    this.#aac?.close();
    this.#socket?.close();
    this.#socket = null;
    this.#pending = [];
    if (wasOpen) this.#channel.closed(this.#stream.path, reason.slice(0, 200));
    for (const w of this.#openWaiters.splice(0)) w.reject(new Error(`bridge closed: ${reason}`));
    this.#log.info({ plis: this.plis, audioLate: this.#audioPacer?.dropped ?? 0, videoPackets: this.#video?.sender.packets ?? 0, audioPackets: this.#audio?.sender.packets ?? 0 }, `closed: ${reason}`);
  }

  #drain(): void {
    for (let item = this.#reader.shift(); item && this.#state !== 'closed'; item = this.#reader.shift()) this.#take(item);
  }

  #take(item: ReaderItem): void {
    if (item.kind === 'tracks') this.#onTracks(item.tracks);
    else this.#onUnit(item.unit);
  }

  #onTracks(tracks: readonly TrackInfo[]): void {
    this.#tracks = tracks;
    const video = tracks.find((t): t is VideoTrackInfo => t.type === 'video');
    if (this.#state !== 'open' || !video?.config || video.codec !== 'h264' || !this.#video) return;
    // New SPS/PPS (a new sequence header): in-band before the next IDR from now on.
    if (this.#encoder) this.#encoder.setConfig(video.config);
    else this.#video.packetizer = rtpFormatFor('h264')!.createPacketizer(video, this.#timestampOptions(AU_CLOCK_RATE));
  }

  #onUnit(unit: AccessUnit): void {
    this.#wall.capture(unit.pts);
    if (this.#state === 'open') {
      // Audio is never held behind the video backlog: it goes live, on its own clock.
      if (unit.type === 'audio' || !this.#pacer.push(unit)) this.#send(unit);
      return;
    }
    if (unit.type === 'video') {
      if (!this.#sawKeyframe && !unit.keyframe) return;
      this.#sawKeyframe = true;
      this.#probe.push({ pts: unit.pts, dts: unit.dts });
    }
    this.#pending.push(unit);
    if (this.#pending.length > MAX_PENDING_UNITS) this.#pending.shift();
    if (this.#state === 'probing') this.#tryPlan();
  }

  /** Decides the tracks once the probe allows it, then opens. */
  #tryPlan(): void {
    const video = this.#tracks.find((t): t is VideoTrackInfo => t.type === 'video' && t.codec === 'h264' && t.config !== undefined);
    const audio = this.#tracks.find((t): t is AudioTrackInfo => t.type === 'audio' && ['aac', 'opus', 'pcma', 'pcmu'].includes(t.codec) && (t.codec !== 'aac' || t.config !== undefined));
    if (!video && !audio) return;
    let transcodeVideo = false;
    if (video) {
      if (!this.#sawKeyframe) return;
      const verdict = detectBFrames(video.config, this.#probe);
      if (verdict === 'unknown') return;
      transcodeVideo = verdict === 'present' && this.#config.bframes === 'transcode';
      if (verdict === 'present') this.#log.info({ transcode: transcodeVideo }, 'B-frames found in H.264');
    }
    const tracks: BridgeTrack[] = [];
    if (video) tracks.push({ kind: 'video', codec: 'h264', clockRate: 90000, fmtp: h264BridgeFmtp(video.config, transcodeVideo) });
    if (audio) {
      if (audio.codec === 'pcma' || audio.codec === 'pcmu') tracks.push({ kind: 'audio', codec: audio.codec, clockRate: 8000, channels: 1 });
      else tracks.push({ kind: 'audio', codec: 'opus', clockRate: 48000, channels: 2 });
    }
    this.#plan = { params: { path: this.#stream.path, tracks }, ...(video ? { video } : {}), ...(audio ? { audio } : {}), transcodeVideo };
    this.#open();
  }

  #open(): void {
    const plan = this.#plan;
    if (!plan || this.#state === 'closed') return;
    this.#state = 'opening';
    this.#channel.open(plan.params).then(
      (result) => this.#opened(plan, result),
      (err: unknown) => {
        if (this.#state === 'closed') return;
        const delay = this.#retry.next();
        const reason = err instanceof Error ? err.message : String(err);
        this.#log.warn({ reason, retryInMs: delay }, 'bridgeOpen failed');
        this.#channel.status(this.#stream.path, { bridged: false, videoTranscoded: false, reason: `bridgeOpen failed: ${reason}`.slice(0, 200) });
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = null;
          this.#open();
        }, delay);
      },
    );
  }

  #opened(plan: Plan, result: BridgeOpenResult): void {
    if (this.#state === 'closed') return;
    const socket = createSocket('udp4');
    this.#socket = socket;
    socket.on('error', (err) => this.#log.warn({ err }, 'bridge socket error'));
    socket.on('message', (msg) => this.#onRtcp(msg));
    socket.bind(0, '127.0.0.1');
    plan.params.tracks.forEach((t, i) => {
      const assigned = result.tracks[i];
      if (!assigned) return;
      const sender = new RtpTrackSender(socket, result.host, result.port, { ssrc: assigned.ssrc, payloadType: assigned.payloadType });
      if (t.kind === 'video' && plan.video) {
        this.#video = { sender, packetizer: rtpFormatFor('h264')!.createPacketizer(plan.transcodeVideo ? { ...plan.video, config: undefined } : plan.video, this.#timestampOptions(t.clockRate)) };
        if (plan.transcodeVideo) {
          this.#encoder = new H264Encoder({ codec: 'h264', ...(plan.video.config ? { config: plan.video.config } : {}) }, this.#log.child({ child: 'x264' }), (unit) => this.#sendVideo(unit));
        }
      } else if (t.kind === 'audio' && plan.audio) {
        const codec = t.codec;
        const track: AudioTrackInfo = codec === 'opus' ? { type: 'audio', codec: 'opus', sampleRate: 48000, channels: 2 } : plan.audio;
        this.#audio = { sender, packetizer: rtpFormatFor(codec)!.createPacketizer(track, this.#timestampOptions(t.clockRate)) };
        const transcoded = plan.audio.codec === 'aac';
        const pacer = new AudioPacer({ send: (unit) => this.#sendAudio(unit), unixMsOf: (pts) => this.#wall.unixMsOf(pts), delayMs: transcoded ? TRANSCODED_AUDIO_DELAY_MS : PASSTHROUGH_AUDIO_DELAY_MS });
        this.#audioPacer = pacer;
        if (transcoded) this.#aac = new AacToOpus(plan.audio, this.#log.child({ child: 'aac-opus' }), (unit) => pacer.push(unit), this.#config.opusBitrate);
      }
    });
    this.#state = 'open';
    this.#retry.reset();
    this.#timer = setInterval(() => this.#reports(), SENDER_REPORT_INTERVAL_MS);
    this.#channel.status(this.#stream.path, { bridged: true, videoTranscoded: plan.transcodeVideo });
    this.#log.info({ port: result.port, tracks: plan.params.tracks.map((t) => t.codec), videoTranscoded: plan.transcodeVideo }, 'bridge open');
    for (const w of this.#openWaiters.splice(0)) w.resolve();
    const pending = this.#pending;
    this.#pending = [];
    this.#pacer.start(pending.filter((u) => u.type === 'video'));
    for (const unit of pending) if (unit.type === 'audio') this.#send(unit);
  }

  /** The packetizer option that puts a track's RTP time on the stream's shared base (RTP_BASE_RANGE). */
  #timestampOptions(clockRate: number): { timestampOffset: number } {
    return { timestampOffset: Math.round((this.#rtpBase * clockRate) / AU_CLOCK_RATE) >>> 0 };
  }

  #send(unit: AccessUnit): void {
    if (unit.type === 'video') {
      if (!this.#video) return;
      if (this.#encoder) this.#encoder.push(unit);
      else this.#sendVideo(unit);
      return;
    }
    if (this.#aac) {
      // Audio of the backlog would come out of the transcoder too late to be sent (AudioPacer):
      // not transcoded at all, so that live audio is not queued behind it in the child. Only
      // a prefix is skipped: the transcoder maps its output to input pts by counting samples
      // (MediaClock), so a frame left out later would shift every later packet's pts.
      if (!this.#aacFed && this.#wall.unixMsOf(unit.pts) + TRANSCODED_AUDIO_DELAY_MS < Date.now() - AUDIO_MAX_LATE_MS) return;
      this.#aacFed = true;
      this.#aac.push(unit);
    } else this.#audioPacer?.push(unit);
  }

  #sendVideo(unit: AccessUnit): void {
    if (!this.#video) return;
    if (this.#videoNeedsKeyframe && !unit.keyframe) return;
    this.#videoNeedsKeyframe = false;
    this.#packetize(this.#video, unit);
  }

  #sendAudio(unit: AccessUnit): void {
    if (this.#audio) this.#packetize(this.#audio, unit);
  }

  #packetize(out: Out, unit: AccessUnit): void {
    if (this.#state !== 'open') return;
    try {
      out.sender.send(out.packetizer.packetize(unit), this.#wall.unixMsOf(unit.pts));
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.#log.debug({ reason: err.reason }, 'unit not packetized');
    }
  }

  #reports(): void {
    const cname = `estuary:${this.#stream.path}`;
    this.#video?.sender.sendReport(cname);
    this.#audio?.sender.sendReport(cname);
  }

  #onRtcp(msg: Buffer): void {
    if (!isRtcpPacket(msg)) return;
    try {
      for (const p of parseRtcp(msg)) if (p.type === 'pli' || p.type === 'fir') this.plis++;
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
    }
  }
}

/**
 * The fmtp of the bridged H.264 track (RFC 6184 §8.1): the source's profile-level-id, or
 * Constrained Baseline (42e0) at the source's level when re-encoded. Parameter sets go in-band.
 */
export function h264BridgeFmtp(config: Uint8Array | undefined, transcoded: boolean): string {
  let pli = '42e01f';
  if (config) {
    try {
      const c = parseAvcDecoderConfig(config);
      const hex = (b: number): string => b.toString(16).padStart(2, '0');
      pli = transcoded ? `42e0${hex(c.levelIdc)}` : `${hex(c.profileIdc)}${hex(c.constraintFlags)}${hex(c.levelIdc)}`;
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
    }
  }
  return `level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=${pli}`;
}
