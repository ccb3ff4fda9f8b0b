/**
 * N WHEP viewers on node-datachannel in one process, for the viewers-per-core figure: no
 * decoding, each track counts RTP packets, loss from sequence numbers (RFC 3550 A.3) and the
 * longest gap between video packets. Prints `READY <json>` once every viewer connected (or the
 * connect deadline passed), then measures for SECONDS and prints `RESULT <json>`; exits by
 * itself after closing every viewer.
 *
 *   node --import tsx bench/latency-webrtc/viewers.ts WHEP_URL N SECONDS
 */
import { isRtcpPacket } from '../../protocol/rtp/header.js';
import { seqDelta } from '../../protocol/rtp/sequence.js';
import { WhepViewer } from './whep-viewer.js';

/** Viewers connecting at once: the server gathers and answers each in a few ms. */
const CONNECT_CONCURRENCY = 10;
/** Longest wait for all viewers to be connected and receiving. */
const CONNECT_DEADLINE_MS = 20_000;
/** A video packet gap above this counts as a freeze (30 fps video sends every ~33 ms). */
const GAP_FREEZE_MS = 250;
/** Grace for the engine to close its peers before the process exits anyway. */
const EXIT_GRACE_MS = 1_500;

class Counter {
  packets = 0;
  /** Extended sequence numbers: first and highest. */
  private first = -1;
  private highest = 0;
  private lastAt = 0;
  maxGapMs = 0;
  freezes = 0;

  onPacket(p: Buffer, at: number): void {
    if (p.length < 12 || isRtcpPacket(p)) return;
    const seq = p.readUInt16BE(2);
    this.packets++;
    if (this.first < 0) {
      this.first = seq;
      this.highest = seq;
    } else {
      const d = seqDelta(seq, this.highest & 0xffff);
      if (d > 0) this.highest += d;
      const gap = at - this.lastAt;
      if (gap > this.maxGapMs) this.maxGapMs = gap;
      if (gap > GAP_FREEZE_MS) this.freezes++;
    }
    this.lastAt = at;
  }

  /** Packets expected so far (RFC 3550 A.3). */
  get expected(): number {
    return this.first < 0 ? 0 : this.highest - this.first + 1;
  }

  snapshot(): { packets: number; expected: number } {
    return { packets: this.packets, expected: this.expected };
  }

  resetGaps(): void {
    this.maxGapMs = 0;
    this.freezes = 0;
  }
}

async function main(): Promise<void> {
  const [url, nArg, secondsArg] = process.argv.slice(2);
  const n = Number(nArg);
  const seconds = Number(secondsArg);
  if (!url || !(n > 0) || !(seconds > 0)) throw new TypeError('usage: viewers.ts WHEP_URL N SECONDS');
  const viewers: { viewer: WhepViewer; video: Counter; audio: Counter }[] = [];
  const t0 = Date.now();
  let failed = 0;
  try {
    for (let i = 0; i < n; i += CONNECT_CONCURRENCY) {
      const batch = [];
      for (let j = i; j < Math.min(n, i + CONNECT_CONCURRENCY); j++) {
        const video = new Counter();
        const audio = new Counter();
        const viewer = new WhepViewer(`viewer-${j}`, { onVideo: (p, at) => video.onPacket(p, at), onAudio: (p, at) => audio.onPacket(p, at) });
        viewers.push({ viewer, video, audio });
        batch.push(viewer.connect(url).catch(() => void failed++));
      }
      await Promise.all(batch);
      if (Date.now() - t0 > CONNECT_DEADLINE_MS) break;
    }
    // Every viewer receiving video (its first keyframe can be up to a GOP away).
    while (Date.now() - t0 < CONNECT_DEADLINE_MS && viewers.some((v) => v.video.packets === 0)) await new Promise((r) => setTimeout(r, 100));
    const connectMs = Date.now() - t0;
    process.stdout.write(`READY ${JSON.stringify({ viewers: viewers.length, failed, connectMs })}\n`);
    for (const v of viewers) {
      v.video.resetGaps();
      v.audio.resetGaps();
    }
    const before = viewers.map((v) => ({ video: v.video.snapshot(), audio: v.audio.snapshot() }));
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - w0;
    const per = viewers.map((v, i) => {
      const b = before[i]!;
      return {
        video: v.video.packets - b.video.packets,
        videoExpected: v.video.expected - b.video.expected,
        audio: v.audio.packets - b.audio.packets,
        audioExpected: v.audio.expected - b.audio.expected,
        maxVideoGapMs: Math.round(v.video.maxGapMs),
        videoFreezes: v.video.freezes,
        state: v.viewer.state,
      };
    });
    const sum = (f: (x: (typeof per)[number]) => number): number => per.reduce((a, x) => a + f(x), 0);
    const result = {
      viewers: viewers.length,
      failed,
      connected: per.filter((p) => p.state === 'connected').length,
      receivingVideo: per.filter((p) => p.video > 0).length,
      videoPackets: sum((p) => p.video),
      videoExpected: sum((p) => p.videoExpected),
      audioPackets: sum((p) => p.audio),
      audioExpected: sum((p) => p.audioExpected),
      videoPacketsPerViewer: { min: Math.min(...per.map((p) => p.video)), max: Math.max(...per.map((p) => p.video)) },
      maxVideoGapMs: Math.max(...per.map((p) => p.maxVideoGapMs)),
      viewersWithFreeze: per.filter((p) => p.videoFreezes > 0).length,
      clientCpuPct: Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 1000) / 10,
      wallMs: Math.round(wallMs),
    };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } finally {
    await Promise.all(viewers.map((v) => v.viewer.close().catch(() => undefined)));
  }
}

main().then(
  () => setTimeout(() => process.exit(0), EXIT_GRACE_MS),
  (err: unknown) => {
    console.error(err);
    setTimeout(() => process.exit(1), EXIT_GRACE_MS);
  },
);
