/**
 * A room participant for integration tests: the browser SDK's RoomClient (mediasoup-client with
 * its Chrome111 handler) driven in Node over @roamhq/wrtc, whose WebRTC classes are installed as
 * globals where mediasoup-client looks for them. It publishes the synthetic video/audio of a
 * WrtcBot (whose own peer connection is never negotiated: it only lends its tracks) and counts
 * decoded video frames and audio chunks per remote peer with libwebrtc sinks.
 */
import wrtc from '@roamhq/wrtc';
import { RoomClient, type RoomClientOptions } from '../../client/sdk/index.js';
import type { Consumer } from '../../client/sdk/index.js';
import { WrtcBot } from './wrtc-bot.js';

const { nonstandard } = wrtc;

/** Installs @roamhq/wrtc's WebRTC classes as globals (once), as a browser has them. */
export function installWrtcGlobals(): void {
  const g = globalThis as Record<string, unknown>;
  for (const name of ['RTCPeerConnection', 'RTCSessionDescription', 'RTCIceCandidate', 'MediaStream', 'MediaStreamTrack', 'RTCRtpSender', 'RTCRtpReceiver', 'RTCRtpTransceiver']) {
    const value = (wrtc as unknown as Record<string, unknown>)[name];
    if (value !== undefined && g[name] === undefined) g[name] = value;
  }
}

/** What one bot received from one remote peer. */
export interface ReceivedFrom {
  videoFrames: number;
  audioChunks: number;
  width: number;
  height: number;
}

export class RoomBot {
  readonly client: RoomClient;
  readonly received = new Map<string, ReceivedFrom>();
  /** Notifications seen, in order, for assertions on what the server pushed. */
  readonly peerLeft: string[] = [];
  readonly kicked: string[] = [];
  /** Background failures the client reported (auto-consume, rebuilds), for assertion messages. */
  readonly errors: string[] = [];
  private readonly media: WrtcBot;
  private readonly sinks: { stop(): void }[] = [];
  private closed = false;

  /** `video`: the synthetic camera's size (libwebrtc sends 3 simulcast layers from 960x540 up, 2 below). */
  constructor(options: Omit<RoomClientOptions, 'handlerName'> & { video?: { width: number; height: number } }) {
    installWrtcGlobals();
    this.media = new WrtcBot(options.video ?? {});
    this.client = new RoomClient({ ...options, handlerName: 'Chrome111' });
    this.client.on('consumer', (c) => this.count(c));
    this.client.on('peerLeft', (id) => this.peerLeft.push(id));
    this.client.on('kicked', (reason) => this.kicked.push(reason));
    this.client.on('error', (err) => this.errors.push(err.message));
  }

  /** Produces one synthetic video and one synthetic audio track. */
  async publish(): Promise<void> {
    const video = this.media.addSyntheticVideo().sender.track;
    const audio = this.media.addSyntheticAudio().sender.track;
    if (!video || !audio) throw new Error('wrtc bot gave no tracks');
    await this.client.produce(video, { source: 'camera' });
    await this.client.produce(audio, { source: 'mic' });
  }

  from(peerId: string): ReceivedFrom {
    let entry = this.received.get(peerId);
    if (!entry) this.received.set(peerId, (entry = { videoFrames: 0, audioChunks: 0, width: 0, height: 0 }));
    return entry;
  }

  /** Leaves (if still in) and stops every sink, source and connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.leave().catch(() => undefined);
    for (const s of this.sinks) s.stop();
    this.media.close();
  }

  private count(consumer: Consumer): void {
    const entry = this.from(consumer.peerId);
    if (consumer.kind === 'video') {
      const sink = new nonstandard.RTCVideoSink(consumer.track);
      sink.onframe = (e: { frame: { width: number; height: number } }) => {
        entry.videoFrames++;
        entry.width = e.frame.width;
        entry.height = e.frame.height;
      };
      this.sinks.push(sink);
    } else {
      const sink = new nonstandard.RTCAudioSink(consumer.track);
      sink.ondata = () => {
        entry.audioChunks++;
      };
      this.sinks.push(sink);
    }
  }
}
