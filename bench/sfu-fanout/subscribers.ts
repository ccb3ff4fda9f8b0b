/**
 * The benchmark's subscribers: N node-datachannel peers in this one process, each a WHEP viewer
 * (draft-ietf-wish-whep-02 §4): it offers a recvonly VP8 and a recvonly Opus m-line, POSTs the
 * offer to the server's /whep/<path> and applies the answer. Light: no decoding and no RTCP
 * sent; each track counts RTP packets, bytes and loss from sequence numbers (RFC 3550 A.3:
 * extended highest − first + 1 − received). Every Track is kept in a Map: node-datachannel stops
 * calling back on a Track JS no longer references.
 * Driven by ../sfu-fanout.ts over IPC (SubscribersApi).
 */
import nodeDataChannel, { type PeerConnection, type Track } from 'node-datachannel';
import { isRtcpPacket } from '../../protocol/rtp/header.js';
import { seqDelta } from '../../protocol/rtp/sequence.js';
import type { MediaKind, SubscriberTotals, SubscribersApi } from './api.js';
import { exitAfter, processFigures, waitForGathering } from './child-helpers.js';
import { serveRpc, type Handlers } from './rpc.js';

/** SFU_BENCH_ENGINE_LOG=Warning (or Info, Debug...) prints libdatachannel's log, for diagnosis only. */
const engineLog = process.env.SFU_BENCH_ENGINE_LOG;
if (engineLog === 'Warning' || engineLog === 'Info' || engineLog === 'Debug' || engineLog === 'Error' || engineLog === 'Verbose') {
  nodeDataChannel.initLogger(engineLog, (level, message) => console.error(`[subscribers engine ${level}] ${message}`));
}

/** Payload types offered (the server answers, and sends, with the offer's own: ViewerRouters). */
const MEDIA: Record<MediaKind, { mid: string; payloadType: number }> = {
  video: { mid: '0', payloadType: 96 },
  audio: { mid: '1', payloadType: 111 },
};
/** Bound on one WHEP POST (the server sets up a transport and two consumers). */
const POST_TIMEOUT_MS = 15_000;

/** Receive counters of one track. */
class TrackCounter {
  packets = 0;
  bytes = 0;
  private started = false;
  private firstSeq = 0;
  /** Extended highest sequence number (cycles × 2^16 + seq). */
  private highest = 0;

  onPacket(packet: Buffer): void {
    if (packet.length < 12 || isRtcpPacket(packet)) return;
    const seq = packet.readUInt16BE(2);
    this.packets++;
    this.bytes += packet.length;
    if (!this.started) {
      this.started = true;
      this.firstSeq = seq;
      this.highest = seq;
      return;
    }
    const d = seqDelta(seq, this.highest & 0xffff);
    if (d > 0) this.highest += d;
  }

  /** RFC 3550 A.3 cumulative loss (negative with duplicates). */
  get lost(): number {
    return this.started ? this.highest - this.firstSeq + 1 - this.packets : 0;
  }
}

interface Subscriber {
  pc: PeerConnection;
  state: string;
  /** By kind; the Map is what keeps each Track (and its callbacks) alive. */
  tracks: Map<MediaKind, { track: Track; counter: TrackCounter }>;
  /** The WHEP session resource (DELETEd on close). */
  location: string | null;
}

const subscribers = new Map<string, Subscriber>();

function create(id: string): Subscriber {
  const pc = new nodeDataChannel.PeerConnection(id, { iceServers: [], bindAddress: '127.0.0.1', disableAutoNegotiation: true });
  const sub: Subscriber = { pc, state: 'new', tracks: new Map(), location: null };
  pc.onStateChange((s) => (sub.state = s));
  const video = new nodeDataChannel.Video(MEDIA.video.mid, 'RecvOnly');
  video.addVP8Codec(MEDIA.video.payloadType);
  const audio = new nodeDataChannel.Audio(MEDIA.audio.mid, 'RecvOnly');
  audio.addOpusCodec(MEDIA.audio.payloadType);
  for (const [kind, desc] of [['video', video], ['audio', audio]] as const) {
    const track = pc.addTrack(desc);
    const counter = new TrackCounter();
    track.onMessage((msg) => counter.onPacket(msg));
    sub.tracks.set(kind, { track, counter });
  }
  subscribers.set(id, sub);
  return sub;
}

function totals(): SubscriberTotals {
  const t: SubscriberTotals = {
    packets: { video: 0, audio: 0 },
    bytes: { video: 0, audio: 0 },
    lost: { video: 0, audio: 0 },
    receiving: { video: 0, audio: 0 },
    states: {},
  };
  for (const sub of subscribers.values()) {
    t.states[sub.state] = (t.states[sub.state] ?? 0) + 1;
    for (const [kind, { counter }] of sub.tracks) {
      t.packets[kind] += counter.packets;
      t.bytes[kind] += counter.bytes;
      t.lost[kind] += counter.lost;
      if (counter.packets > 0) t.receiving[kind]++;
    }
  }
  return t;
}

/** Ends one subscriber: DELETE its WHEP session (not awaited), its tracks, its peer connection. */
function end(sub: Subscriber): void {
  if (sub.location) void fetch(sub.location, { method: 'DELETE', signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
  for (const { track } of sub.tracks.values()) {
    try {
      track.close();
    } catch {
      // already closed
    }
  }
  try {
    sub.pc.close();
  } catch {
    // already closed
  }
}

function closeAll(): void {
  for (const sub of subscribers.values()) end(sub);
}

/** Creates subscriber `id` (replacing a previous one in place: the Map keeps its order) and POSTs its offer. */
async function view(id: string, url: string): Promise<void> {
  const previous = subscribers.get(id);
  if (previous) end(previous);
  const sub = create(id);
  sub.pc.setLocalDescription('offer');
  await waitForGathering(sub.pc);
  const local = sub.pc.localDescription()?.sdp;
  if (!local) throw new Error(`subscriber ${id}: no local offer`);
  const offer = local.split('\r\n').filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates').join('\r\n');
  const res = await fetch(url, { method: 'POST', body: offer, headers: { 'Content-Type': 'application/sdp' }, signal: AbortSignal.timeout(POST_TIMEOUT_MS) });
  const body = await res.text();
  if (res.status !== 201) throw new Error(`subscriber ${id}: WHEP answered ${res.status}: ${body.slice(0, 200)}`);
  const location = res.headers.get('location');
  if (location) sub.location = new URL(location, url).toString();
  sub.pc.setRemoteDescription(body, 'answer');
}

const handlers: Handlers<SubscribersApi> = {
  /**
   * The offer goes without candidates: Estuary answers `a=setup:active` (RFC 5763 §5), and with
   * our candidates its ICE and then its DTLS ClientHello can reach us before we hold the answer's
   * fingerprint; libdatachannel then fails the handshake ("unknown CA"). Without them the server
   * learns our address from our own checks (peer-reflexive, RFC 8445 §7.3.1.3), sent after the
   * answer is applied.
   */
  async view({ id, url }) {
    if (subscribers.has(id)) throw new TypeError(`subscriber ${id} exists`);
    await view(id, url);
    return { status: 201 };
  },

  async rejoinFailed({ url }) {
    const failed = [...subscribers].filter(([, sub]) => sub.state === 'failed' || sub.state === 'closed').map(([id]) => id);
    for (const id of failed) await view(id, url);
    return { rejoined: failed.length };
  },

  snapshot() {
    const perSubscriber: number[] = [];
    for (const sub of subscribers.values()) {
      let n = 0;
      for (const { counter } of sub.tracks.values()) n += counter.packets;
      perSubscriber.push(n);
    }
    return { ...processFigures(), totals: totals(), perSubscriber };
  },

  close() {
    exitAfter(closeAll);
    return null;
  },
};

serveRpc<SubscribersApi>(handlers, { pid: process.pid }, () => exitAfter(closeAll, 1));
