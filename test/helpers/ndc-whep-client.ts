/**
 * A WHEP viewer (draft-ietf-wish-whep-02 §4) on node-datachannel, for streams whose video is
 * H.264 (which @roamhq/wrtc cannot decode): offers recvonly H.264 video and Opus audio, POSTs
 * the offer, applies the answer, depacketizes the H.264 RTP (RFC 6184) and decodes it with an
 * ffmpeg child (Annex B on stdin, 8-bit grey frames on stdout), and counts Opus packets.
 *
 * Counts: `frames` (decoded by ffmpeg, of `width`x`height`), `keyframes` (depacketized IDRs),
 * `audioPackets` (Opus RTP); times (Date.now()) of the POST, the first keyframe, every audio
 * and video packet, for tests that look at gaps. `close()` is idempotent and kills the decoder,
 * closes the tracks and the peer connection, and DELETEs the session.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { isRtcpPacket, parseRtpHeader } from '../../protocol/rtp/header.js';
import { createH264Depacketizer } from '../../protocol/rtp-formats/index.js';
import { avccToAnnexB } from '../../protocol/codec/nal.js';
import { closeTrack, nodeDataChannel, releaseOnClose, type PeerConnection, type Track } from './ndc.js';

/** Payload types offered (Estuary answers with the offer's): the dynamic ones browsers use. */
const H264_PT = 102;
const OPUS_PT = 111;
/** Constrained Baseline 3.1, packetization-mode 1: what the bridge sends for a baseline source (RFC 6184 §8.1). */
const H264_FMTP = 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f';
/** Host candidates on loopback gather in milliseconds; this bounds a stuck gatherer. */
const GATHER_TIMEOUT_MS = 5_000;
/** Bound on the WHEP POST. */
const POST_TIMEOUT_MS = 10_000;
/** Decoded stderr kept to read the output geometry from. */
const MAX_STDERR_CHARS = 8_000;

export interface NdcWhepOptions {
  /** Bearer token for `Authorization`. */
  token?: string;
}

/** One WHEP viewer session. */
export class NdcWhepClient {
  /** Decoded video frames, and their size once ffmpeg reported it. */
  frames = 0;
  width = 0;
  height = 0;
  keyframes = 0;
  audioPackets = 0;
  videoPackets = 0;
  /** Date.now() of the offer POST, of the first depacketized keyframe. */
  postedAt = 0;
  firstKeyframeAt = 0;
  readonly audioArrivals: number[] = [];
  readonly videoArrivals: number[] = [];
  status = 0;
  location: string | null = null;
  private readonly pc: PeerConnection;
  private readonly tracks: Track[] = [];
  private readonly depacketizer = createH264Depacketizer();
  private readonly decoder: ChildProcessByStdio<Writable, Readable, Readable>;
  private decodedBytes = 0;
  private stderr = '';
  private closed = false;

  private constructor() {
    this.pc = new nodeDataChannel.PeerConnection('whep-client', { iceServers: [], bindAddress: '127.0.0.1', disableAutoNegotiation: true });
    this.decoder = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-probesize', '32768', '-analyzeduration', '0', '-f', 'h264', '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.decoder.stdin.on('error', () => undefined);
    this.decoder.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-MAX_STDERR_CHARS);
      if (this.width === 0) {
        // "Output #0, rawvideo ... Stream #0:0: Video: rawvideo (Y800 ...), gray, 320x240, ..."
        const m = /Output #0[\s\S]*?Video: rawvideo[^\n]*?, (\d+)x(\d+)/.exec(this.stderr);
        if (m) {
          this.width = Number(m[1]);
          this.height = Number(m[2]);
        }
      }
      this.countFrames();
    });
    this.decoder.stdout.on('data', (d: Buffer) => {
      this.decodedBytes += d.length;
      this.countFrames();
    });
  }

  /** Offers, POSTs to `url` (…/whep/<path>) and applies a 201's answer; other statuses are left in `status`. */
  static async connect(url: string, options: NdcWhepOptions = {}): Promise<NdcWhepClient> {
    const client = new NdcWhepClient();
    try {
      await client.negotiate(url, options);
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  /** Milliseconds from the POST to the first decodable keyframe (0 before it). */
  get joinToKeyframeMs(): number {
    return this.firstKeyframeAt === 0 ? 0 : this.firstKeyframeAt - this.postedAt;
  }

  /** The decoder's stderr tail, for failure messages. */
  get decoderLog(): string {
    return this.stderr;
  }

  /** Ends the session: DELETE (not awaited), tracks, peer connection, decoder. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.location) void fetch(this.location, { method: 'DELETE', signal: AbortSignal.timeout(POST_TIMEOUT_MS) }).catch(() => undefined);
    for (const t of this.tracks) closeTrack(t);
    const pc = this.pc;
    // As server/sfu/WebRtcTransport.ts does: the tracks' onClosed (which releases their hold on
    // the event loop, engine.ts releaseOnClose) is delivered before the peer connection goes.
    setImmediate(() => {
      try {
        pc.close();
      } catch {
        // already closed
      }
    });
    this.decoder.stdin.end();
    this.decoder.kill('SIGKILL');
  }

  private async negotiate(url: string, options: NdcWhepOptions): Promise<void> {
    const video = new nodeDataChannel.Video('0', 'RecvOnly');
    video.addH264Codec(H264_PT, H264_FMTP);
    const audio = new nodeDataChannel.Audio('1', 'RecvOnly');
    audio.addOpusCodec(OPUS_PT);
    const videoTrack = releaseOnClose(this.pc.addTrack(video));
    const audioTrack = releaseOnClose(this.pc.addTrack(audio));
    this.tracks.push(videoTrack, audioTrack);
    videoTrack.onMessage((msg) => this.onVideo(msg));
    audioTrack.onMessage((msg) => this.onAudio(msg));
    this.pc.setLocalDescription('offer');
    const deadline = Date.now() + GATHER_TIMEOUT_MS;
    while (this.pc.gatheringState() !== 'complete' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const local = this.pc.localDescription()?.sdp;
    if (!local) throw new Error('no local offer');
    // Engine trap: Estuary answers `a=setup:active` (RFC 5763 §5), and with our candidates in the
    // offer its ICE reaches us and its DTLS ClientHello arrives before we hold the answer's
    // fingerprint; libdatachannel then fails the handshake ("unknown CA") and closes the peer
    // connection. Offering no candidates (trickle ICE, RFC 8838 §4.1) lets the server learn our
    // address from our own checks (peer-reflexive, RFC 8445 §7.3.1.3), which start after the answer.
    const offer = local.split('\r\n').filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates').join('\r\n');
    const headers: Record<string, string> = { 'Content-Type': 'application/sdp' };
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    this.postedAt = Date.now();
    const res = await fetch(url, { method: 'POST', body: offer, headers, signal: AbortSignal.timeout(POST_TIMEOUT_MS) });
    this.status = res.status;
    const body = await res.text();
    if (res.status !== 201) return;
    const location = res.headers.get('location');
    if (location) this.location = new URL(location, url).toString();
    this.pc.setRemoteDescription(body, 'answer');
  }

  private onVideo(msg: Buffer): void {
    if (this.closed || isRtcpPacket(msg)) return;
    this.videoPackets++;
    this.videoArrivals.push(Date.now());
    const h = parseRtpHeader(msg);
    const { units } = this.depacketizer.push({ payload: msg.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength), sequenceNumber: h.sequenceNumber, timestamp: h.timestamp, marker: h.marker });
    for (const unit of units) {
      if (unit.keyframe) {
        this.keyframes++;
        if (this.firstKeyframeAt === 0) this.firstKeyframeAt = Date.now();
      }
      this.decoder.stdin.write(avccToAnnexB(unit.data));
    }
  }

  private onAudio(msg: Buffer): void {
    if (this.closed || isRtcpPacket(msg)) return;
    this.audioPackets++;
    this.audioArrivals.push(Date.now());
  }

  private countFrames(): void {
    if (this.width > 0) this.frames = Math.floor(this.decodedBytes / (this.width * this.height));
  }
}
