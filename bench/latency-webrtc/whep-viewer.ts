/**
 * A minimal WHEP viewer on node-datachannel (draft-ietf-wish-whep §4): a recvonly offer with
 * H.264 (packetization-mode=1) and Opus, POSTed as `application/sdp`, the 201 answer applied,
 * DELETE of the `Location` on close. Every RTP/RTCP packet of a track reaches `onVideo` /
 * `onAudio` (no RtcpReceivingSession is chained, so Sender Reports arrive too).
 * The Tracks are held by this object: node-datachannel stops calling back on a Track JS no
 * longer references (ARCHITECTURE.md, Media engine); `releaseOnClose` lets the event loop go
 * once they close. (test/helpers/ndc-whep-client.ts decodes whole frames and keeps no per-packet
 * timing hooks, so the benchmark keeps this small client of its own.)
 */
import { closeTrack, nodeDataChannel, releaseOnClose, type PeerConnection, type Track } from '../../test/helpers/ndc.js';

/** Host candidates on 127.0.0.1 gather within milliseconds; this bounds a stuck gatherer. */
export const GATHER_TIMEOUT_MS = 5_000;
/** Longest wait for the WHEP POST (the server gathers its own candidates before answering). */
export const POST_TIMEOUT_MS = 10_000;
/** Payload types offered: any dynamic ones do; the answer echoes them. */
const H264_PT = 102;
const OPUS_PT = 111;
/** Constrained Baseline 3.1, packetization-mode 1 (RFC 6184 §8.1), what the bridge sends for a baseline source. */
const H264_FMTP = 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1';

export interface WhepViewerOptions {
  /** Called with every packet of the video track (RTP and RTCP, demuxed by the caller). */
  onVideo?: (packet: Buffer, atMs: number) => void;
  onAudio?: (packet: Buffer, atMs: number) => void;
  /** Offer audio too (default true). */
  audio?: boolean;
}

export class WhepViewer {
  readonly pc: PeerConnection;
  readonly video: Track;
  readonly audio: Track | undefined;
  /** The WHEP session resource (absolute URL), once the POST succeeded. */
  location: string | undefined;
  state = 'new';
  /** When the peer connection reached `connected` (ICE + DTLS done), epoch ms. */
  connectedAtMs: number | undefined;
  private closed = false;

  constructor(name: string, options: WhepViewerOptions = {}) {
    this.pc = new nodeDataChannel.PeerConnection(name, { iceServers: [], bindAddress: '127.0.0.1', disableAutoNegotiation: true });
    this.pc.onStateChange((s) => {
      this.state = s;
      if (s === 'connected') this.connectedAtMs ??= performance.timeOrigin + performance.now();
    });
    const video = new nodeDataChannel.Video('0', 'RecvOnly');
    video.addH264Codec(H264_PT, H264_FMTP);
    this.video = releaseOnClose(this.pc.addTrack(video));
    const onVideo = options.onVideo;
    if (onVideo) this.video.onMessage((msg) => onVideo(msg, performance.timeOrigin + performance.now()));
    if (options.audio ?? true) {
      const audio = new nodeDataChannel.Audio('1', 'RecvOnly');
      audio.addOpusCodec(OPUS_PT, 'minptime=10;useinbandfec=1');
      this.audio = releaseOnClose(this.pc.addTrack(audio));
      const onAudio = options.onAudio;
      if (onAudio) this.audio.onMessage((msg) => onAudio(msg, performance.timeOrigin + performance.now()));
    }
  }

  /** Creates the offer, POSTs it to `url` and applies the answer. Throws on a non-201 answer. */
  async connect(url: string): Promise<void> {
    this.pc.setLocalDescription('offer');
    await this.gathered();
    const offer = this.pc.localDescription();
    if (!offer) throw new Error('no local offer');
    const res = await fetch(url, { method: 'POST', body: offer.sdp, headers: { 'Content-Type': 'application/sdp' }, signal: AbortSignal.timeout(POST_TIMEOUT_MS) });
    const body = await res.text();
    if (res.status !== 201) throw new Error(`WHEP POST ${url}: ${res.status} ${body.slice(0, 200)}`);
    const loc = res.headers.get('location');
    if (loc) this.location = new URL(loc, url).toString();
    if (this.closed) return;
    this.pc.setRemoteDescription(body, 'answer');
  }

  /** Resolves once ICE gathering completed, or after GATHER_TIMEOUT_MS. */
  private gathered(): Promise<void> {
    return new Promise((resolve) => {
      const deadline = Date.now() + GATHER_TIMEOUT_MS;
      const poll = (): void => {
        if (this.pc.gatheringState() === 'complete' || Date.now() > deadline) resolve();
        else setTimeout(poll, 2);
      };
      poll();
    });
  }

  /** Ends the session: DELETE on the server (best effort), then the peer connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.location) await fetch(this.location, { method: 'DELETE', signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    closeTrack(this.video);
    if (this.audio) closeTrack(this.audio);
    try {
      this.pc.close();
    } catch {
      // already closed
    }
  }
}
