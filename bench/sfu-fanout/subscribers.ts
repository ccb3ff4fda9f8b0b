/**
 * The benchmark's subscribers: N node-datachannel peers in this one process, answering the SFU's
 * offers (the engine's own answer: the SFU's offer already carries only what it sends). Light:
 * no decoding and no RTCP sent; each track counts RTP packets, bytes and loss from sequence
 * numbers (RFC 3550 A.3: extended highest − first + 1 − received). Every Track is kept in a Map:
 * node-datachannel stops calling back on a Track JS no longer references.
 * Driven by ../sfu-fanout.ts over IPC (SubscribersApi).
 */
import nodeDataChannel, { type PeerConnection, type Track } from 'node-datachannel';
import { isRtcpPacket } from '../../protocol/rtp/header.js';
import { seqDelta } from '../../protocol/rtp/sequence.js';
import type { MediaKind, SubscriberTotals, SubscribersApi } from './api.js';
import { exitAfter, processFigures, waitForGathering } from './child-helpers.js';
import { serveRpc, type Handlers } from './rpc.js';

/** A renegotiated answer appears within a few ms; this bounds the wait for it. */
const ANSWER_TIMEOUT_MS = 3_000;

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
  /** The SFU's candidates, held back until the SFU has our answer (see `answer`). */
  pendingCandidates: { candidate: string; mid: string }[] | undefined;
  state: string;
  /** By mid; the Map is what keeps each Track (and its callbacks) alive. */
  tracks: Map<string, { track: Track; kind: MediaKind; counter: TrackCounter }>;
}

const subscribers = new Map<string, Subscriber>();

function kindOf(track: Track): MediaKind {
  return track.type() === 'audio' ? 'audio' : 'video';
}

function create(id: string): Subscriber {
  const pc = new nodeDataChannel.PeerConnection(id, { iceServers: [], bindAddress: '127.0.0.1' });
  const sub: Subscriber = { pc, pendingCandidates: undefined, state: 'new', tracks: new Map() };
  pc.onStateChange((s) => (sub.state = s));
  pc.onTrack((track) => {
    const counter = new TrackCounter();
    sub.tracks.set(track.mid(), { track, kind: kindOf(track), counter });
    track.onMessage((msg) => counter.onPacket(msg));
  });
  subscribers.set(id, sub);
  return sub;
}

/** The engine answers by itself (auto-negotiation); waits until its answer covers every offered mid. */
async function localAnswer(pc: PeerConnection, offer: string): Promise<string> {
  const mids = [...offer.matchAll(/^a=mid:(\S+)/gm)].map((m) => m[1]);
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  for (;;) {
    const local = pc.localDescription();
    if (local && local.type === 'answer' && mids.every((mid) => local.sdp.includes(`a=mid:${mid}\r\n`))) return local.sdp;
    if (Date.now() > deadline) throw new Error(`no answer covering mids ${mids.join(',')}`);
    await new Promise((r) => setTimeout(r, 5));
  }
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
    const has = { video: false, audio: false };
    for (const { kind, counter } of sub.tracks.values()) {
      t.packets[kind] += counter.packets;
      t.bytes[kind] += counter.bytes;
      t.lost[kind] += counter.lost;
      if (counter.packets > 0) has[kind] = true;
    }
    if (has.video) t.receiving.video++;
    if (has.audio) t.receiving.audio++;
  }
  return t;
}

function closeAll(): void {
  for (const sub of subscribers.values()) {
    for (const { track } of sub.tracks.values()) {
      try {
        track.close();
      } catch {
        // already closed
      }
    }
    sub.pc.close();
  }
}

/** Splits an SDP into the text without candidate lines and the candidates with their m-line's mid. */
function withoutCandidates(sdp: string): { sdp: string; candidates: { candidate: string; mid: string }[] } {
  const candidates: { candidate: string; mid: string }[] = [];
  const kept: string[] = [];
  const sections = sdp.split(/\r\n(?=m=)/);
  for (const section of sections) {
    const mid = /^a=mid:(\S+)/m.exec(section)?.[1] ?? '0';
    for (const line of section.split('\r\n')) {
      if (line.startsWith('a=candidate:')) candidates.push({ candidate: line.slice(2), mid });
      else if (line !== 'a=end-of-candidates') kept.push(line);
    }
  }
  return { sdp: kept.join('\r\n'), candidates };
}

const handlers: Handlers<SubscribersApi> = {
  /**
   * The SFU's candidates are held back until `connect`: with them in the offer this peer starts
   * ICE and then its DTLS handshake at once, and when that reaches the SFU before our answer does,
   * libdatachannel checks our certificate against a remote description it does not have yet,
   * fails the handshake ("unknown CA") and closes the peer connection. Seen here under load.
   */
  async answer({ id, sdpOffer }) {
    const sub = subscribers.get(id) ?? create(id);
    const { sdp, candidates } = withoutCandidates(sdpOffer);
    sub.pendingCandidates ??= candidates;
    sub.pc.setRemoteDescription(sdp, 'offer');
    await waitForGathering(sub.pc);
    return { sdpAnswer: await localAnswer(sub.pc, sdpOffer) };
  },

  connect({ id }) {
    const sub = subscribers.get(id);
    if (!sub) throw new TypeError(`no subscriber ${id}`);
    for (const c of sub.pendingCandidates ?? []) sub.pc.addRemoteCandidate(c.candidate, c.mid);
    sub.pendingCandidates = [];
    return null;
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
