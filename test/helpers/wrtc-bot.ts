/**
 * A libwebrtc test peer (@roamhq/wrtc) for integration tests: publishes synthetic media and
 * counts what it receives.
 *
 * - Publisher: `addSyntheticVideo()` feeds I420 frames with a moving pattern (640x480 @ 30 fps by
 *   default) through `nonstandard.RTCVideoSource`; `addSyntheticAudio()` feeds a 440 Hz sine,
 *   48 kHz mono in 10 ms frames, through `RTCAudioSource`.
 * - Subscriber: every remote video track gets an `RTCVideoSink` counting decoded frames and
 *   remembering their size; audio is counted from `getStats()` (`inbound-rtp` packetsReceived).
 * - Signaling is plain SDP strings (non-trickle: `offer()`/`answer()` wait for ICE gathering).
 *
 * Every timer and wait is bounded; `close()` stops sources, sinks and the peer connection and is
 * idempotent, so tests can call it from `finally`/`after` unconditionally.
 */
import wrtc from '@roamhq/wrtc';

const { RTCPeerConnection, nonstandard } = wrtc;

/** Default synthetic video geometry and rate: the size tests assert on. */
export const BOT_VIDEO_WIDTH = 640;
export const BOT_VIDEO_HEIGHT = 480;
export const BOT_VIDEO_FPS = 30;
/** Audio: 48 kHz mono, 10 ms per frame (what RTCAudioSource expects per onData call). */
export const BOT_AUDIO_RATE = 48_000;
const AUDIO_FRAME_MS = 10;
const AUDIO_SAMPLES_PER_FRAME = (BOT_AUDIO_RATE * AUDIO_FRAME_MS) / 1000;
const SINE_HZ = 440;
/** Upper bound on waiting for ICE gathering (host candidates on loopback take milliseconds). */
const GATHER_TIMEOUT_MS = 5_000;

type PeerConnection = InstanceType<typeof RTCPeerConnection>;
type Track = ReturnType<InstanceType<typeof nonstandard.RTCVideoSource>['createTrack']>;

export interface ReceivedVideo {
  /** Decoded frames seen by the sink. */
  frames: number;
  width: number;
  height: number;
  /** The transceiver mid the track arrived on, and the MediaStream id (msid) it belongs to. */
  mid: string | null;
  streamId: string | null;
}

export interface WrtcBotOptions {
  /** Only loopback candidates are wanted in tests. */
  iceServers?: { urls: string | string[] }[];
  width?: number;
  height?: number;
  fps?: number;
}

/** A wrtc peer connection that publishes synthetic media and/or counts received media. */
export class WrtcBot {
  readonly pc: PeerConnection;
  /** Per received video track id. */
  readonly receivedVideo = new Map<string, ReceivedVideo>();
  readonly remoteTracks: Track[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly sinks: { stop(): void }[] = [];
  private readonly localTracks: Track[] = [];
  private readonly width: number;
  private readonly height: number;
  private readonly fps: number;
  private closed = false;

  constructor(options: WrtcBotOptions = {}) {
    this.pc = new RTCPeerConnection({ iceServers: options.iceServers ?? [] });
    this.width = options.width ?? BOT_VIDEO_WIDTH;
    this.height = options.height ?? BOT_VIDEO_HEIGHT;
    this.fps = options.fps ?? BOT_VIDEO_FPS;
    this.pc.ontrack = (ev) => {
      const track = ev.track as Track;
      this.remoteTracks.push(track);
      if (track.kind !== 'video') return;
      const entry: ReceivedVideo = { frames: 0, width: 0, height: 0, mid: ev.transceiver?.mid ?? null, streamId: ev.streams[0]?.id ?? null };
      this.receivedVideo.set(track.id, entry);
      const sink = new nonstandard.RTCVideoSink(track);
      sink.onframe = (e: { frame: { width: number; height: number } }) => {
        entry.frames++;
        entry.width = e.frame.width;
        entry.height = e.frame.height;
      };
      this.sinks.push(sink);
    };
  }

  /** Adds a sendonly transceiver fed with a moving I420 pattern; returns it (its mid after the offer). */
  addSyntheticVideo(): RTCRtpTransceiver {
    const source = new nonstandard.RTCVideoSource();
    const track = source.createTrack();
    this.localTracks.push(track);
    const { width, height } = this;
    const lumaSize = width * height;
    const data = new Uint8Array(lumaSize * 1.5);
    let n = 0;
    const tick = (): void => {
      // A diagonal gradient that moves 4 px per frame, over mid-grey chroma: every frame differs.
      for (let y = 0; y < height; y++) {
        const row = y * width;
        for (let x = 0; x < width; x++) data[row + x] = (x + y + n * 4) & 0xff;
      }
      data.fill(128, lumaSize);
      n++;
      source.onFrame({ width, height, data });
    };
    this.timers.push(setInterval(tick, Math.round(1000 / this.fps)));
    return this.pc.addTransceiver(track, { direction: 'sendonly' }) as unknown as RTCRtpTransceiver;
  }

  /** Adds a sendonly transceiver fed with a 440 Hz sine (48 kHz, mono, 10 ms frames). */
  addSyntheticAudio(): RTCRtpTransceiver {
    const source = new nonstandard.RTCAudioSource();
    const track = source.createTrack();
    this.localTracks.push(track);
    const samples = new Int16Array(AUDIO_SAMPLES_PER_FRAME);
    let phase = 0;
    const step = (2 * Math.PI * SINE_HZ) / BOT_AUDIO_RATE;
    const tick = (): void => {
      for (let i = 0; i < samples.length; i++) {
        samples[i] = Math.round(Math.sin(phase) * 8000);
        phase += step;
      }
      phase %= 2 * Math.PI;
      source.onData({ samples, sampleRate: BOT_AUDIO_RATE, bitsPerSample: 16, channelCount: 1, numberOfFrames: AUDIO_SAMPLES_PER_FRAME });
    };
    this.timers.push(setInterval(tick, AUDIO_FRAME_MS));
    return this.pc.addTransceiver(track, { direction: 'sendonly' }) as unknown as RTCRtpTransceiver;
  }

  /** Creates an offer, applies it and returns it with the gathered candidates. */
  async offer(): Promise<string> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    await this.gathered();
    return this.localSdp();
  }

  /** Applies the remote answer to our last offer. */
  async applyAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /** Applies a remote offer and returns our answer with the gathered candidates. */
  async answer(sdp: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    await this.gathered();
    return this.localSdp();
  }

  /** Total decoded video frames over every received video track. */
  videoFrames(): number {
    let n = 0;
    for (const v of this.receivedVideo.values()) n += v.frames;
    return n;
  }

  /** inbound-rtp packetsReceived per kind, summed over tracks. */
  async inboundPackets(): Promise<{ audio: number; video: number }> {
    const out = { audio: 0, video: 0 };
    const report = await this.pc.getStats();
    report.forEach((s: { type: string; kind?: string; mediaType?: string; packetsReceived?: number }) => {
      if (s.type !== 'inbound-rtp') return;
      const kind = s.kind ?? s.mediaType;
      if (kind === 'audio' || kind === 'video') out[kind] += s.packetsReceived ?? 0;
    });
    return out;
  }

  /** outbound-rtp packetsSent per kind (publisher side). */
  async outboundPackets(): Promise<{ audio: number; video: number }> {
    const out = { audio: 0, video: 0 };
    const report = await this.pc.getStats();
    report.forEach((s: { type: string; kind?: string; mediaType?: string; packetsSent?: number }) => {
      if (s.type !== 'outbound-rtp') return;
      const kind = s.kind ?? s.mediaType;
      if (kind === 'audio' || kind === 'video') out[kind] += s.packetsSent ?? 0;
    });
    return out;
  }

  /** Stops every source, sink and timer and closes the peer connection. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const s of this.sinks) s.stop();
    for (const t of this.localTracks) t.stop();
    this.pc.close();
  }

  private localSdp(): string {
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new Error('wrtc bot has no local description');
    return sdp;
  }

  private gathered(): Promise<void> {
    if (this.pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, GATHER_TIMEOUT_MS);
      const pc = this.pc;
      function done(): void {
        clearTimeout(timer);
        pc.removeEventListener('icegatheringstatechange', check);
        resolve();
      }
      function check(): void {
        if (pc.iceGatheringState === 'complete') done();
      }
      pc.addEventListener('icegatheringstatechange', check);
    });
  }
}

/** Polls `predicate` every `intervalMs` until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return predicate();
}
