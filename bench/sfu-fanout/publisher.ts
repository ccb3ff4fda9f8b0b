/**
 * The benchmark's publisher: a node-datachannel peer with a VP8 and an Opus sendonly track,
 * fed by ffmpeg's RTP muxer (the driver runs `ffmpeg -re -stream_loop -1 -c copy -f rtp` into
 * the UDP ports this process binds). Each RTP packet gets the SSRC and payload type the offer
 * declared (RFC 3550 §5.1: SSRC at bytes 8-11, PT in the low 7 bits of byte 1) and goes out on its
 * track; ffmpeg's Sender Reports are re-labelled the same way and sent too, as a browser would.
 * Driven by ../sfu-fanout.ts over IPC (PublisherApi).
 */
import dgram from 'node:dgram';
import nodeDataChannel, { type PeerConnection, type Track } from 'node-datachannel';
import type { MediaKind, PublisherApi, PublisherReady, PublisherStats } from './api.js';
import { exitAfter, waitForGathering } from './child-helpers.js';
import { serveRpc, type Handlers } from './rpc.js';

/** What the offer declares per kind: the SFU's codec table uses 96 for VP8 and 111 for Opus. */
const MEDIA: Record<MediaKind, { mid: string; payloadType: number; ssrc: number }> = {
  video: { mid: '0', payloadType: 96, ssrc: 0x1234_5601 },
  audio: { mid: '1', payloadType: 111, ssrc: 0x1234_5602 },
};
const KINDS: readonly MediaKind[] = ['video', 'audio'];
const CNAME = 'bench-publisher';
/** RTCP packet types (RFC 3550 §12.1) whose first SSRC (bytes 4-7) names the sender: SR, SDES. */
const RTCP_SR = 200;
const RTCP_SDES = 202;

// The engine's warnings explain a peer connection that closes by itself (rare, under load).
nodeDataChannel.initLogger('Warning', (level, message) => console.error(`[publisher engine ${level}] ${message}`));

let pc: PeerConnection | undefined;
const tracks = new Map<MediaKind, Track>();
const counts: Pick<PublisherStats, 'fromFfmpeg' | 'sent'> = { fromFfmpeg: { video: 0, audio: 0 }, sent: { video: 0, audio: 0 } };
const sockets: dgram.Socket[] = [];

function bind(onMessage: (msg: Buffer) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    sockets.push(s);
    s.once('error', reject);
    s.on('message', onMessage);
    s.bind(0, '127.0.0.1', () => resolve(s.address().port));
  });
}

function send(kind: MediaKind, packet: Buffer): boolean {
  const track = tracks.get(kind);
  if (!track?.isOpen()) return false;
  try {
    return track.sendMessageBinary(packet);
  } catch {
    return false; // closed under us
  }
}

function onRtp(kind: MediaKind, packet: Buffer): void {
  if (packet.length < 12 || packet[0]! >> 6 !== 2) return;
  counts.fromFfmpeg[kind]++;
  const m = MEDIA[kind];
  packet[1] = (packet[1]! & 0x80) | m.payloadType;
  packet.writeUInt32BE(m.ssrc, 8);
  if (send(kind, packet)) counts.sent[kind]++;
}

/** Walks a compound RTCP packet (RFC 3550 §6.1) and relabels the sender SSRC of SR and SDES. */
function onRtcp(kind: MediaKind, packet: Buffer): void {
  let off = 0;
  while (off + 8 <= packet.length) {
    const len = (packet.readUInt16BE(off + 2) + 1) * 4;
    if (off + len > packet.length) return;
    const pt = packet[off + 1];
    if (pt === RTCP_SR || pt === RTCP_SDES) packet.writeUInt32BE(MEDIA[kind].ssrc, off + 4);
    off += len;
  }
  send(kind, packet);
}

const rtpPorts = { video: 0, audio: 0 };
const rtcpPorts = { video: 0, audio: 0 };
for (const kind of KINDS) {
  rtpPorts[kind] = await bind((msg) => onRtp(kind, msg));
  rtcpPorts[kind] = await bind((msg) => onRtcp(kind, msg));
}

function closeAll(): void {
  for (const s of sockets) s.close();
  sockets.length = 0;
  for (const t of tracks.values()) {
    try {
      t.close();
    } catch {
      // already closed
    }
  }
  pc?.close();
}

const handlers: Handlers<PublisherApi> = {
  async offer() {
    if (pc) throw new Error('offer() already called');
    const peer = new nodeDataChannel.PeerConnection('bench-publisher', { iceServers: [], bindAddress: '127.0.0.1', disableAutoNegotiation: true });
    pc = peer;
    const video = new nodeDataChannel.Video(MEDIA.video.mid, 'SendOnly');
    video.addVP8Codec(MEDIA.video.payloadType);
    video.addSSRC(MEDIA.video.ssrc, CNAME, 'bench-stream', 'bench-video');
    tracks.set('video', peer.addTrack(video));
    const audio = new nodeDataChannel.Audio(MEDIA.audio.mid, 'SendOnly');
    audio.addOpusCodec(MEDIA.audio.payloadType);
    audio.addSSRC(MEDIA.audio.ssrc, CNAME, 'bench-stream', 'bench-audio');
    tracks.set('audio', peer.addTrack(audio));
    peer.setLocalDescription('offer');
    await waitForGathering(peer);
    const local = peer.localDescription();
    if (!local) throw new Error('no local description');
    return { sdpOffer: local.sdp, mids: KINDS.map((kind) => ({ kind, mid: MEDIA[kind].mid })) };
  },

  answer({ sdpAnswer }) {
    if (!pc) throw new Error('answer() before offer()');
    try {
      pc.setRemoteDescription(sdpAnswer, 'answer');
    } catch (err) {
      const local = pc.localDescription()?.sdp ?? '';
      const state = `state ${pc.state()}, ice ${pc.iceState()}, gathering ${pc.gatheringState()}, signaling ${pc.signalingState()}, local candidates ${(local.match(/a=candidate:/g) ?? []).length}`;
      throw new Error(`${(err as Error).message} (${state})`);
    }
    return null;
  },

  stats() {
    let tracksOpen = 0;
    for (const t of tracks.values()) if (t.isOpen()) tracksOpen++;
    return { state: pc?.state() ?? 'new', tracksOpen, ...counts };
  },

  close() {
    exitAfter(closeAll);
    return null;
  },
};

const ready: PublisherReady = { pid: process.pid, rtpPorts, rtcpPorts };
serveRpc<PublisherApi>(handlers, ready, () => exitAfter(closeAll, 1));
