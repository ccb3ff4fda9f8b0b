/**
 * WebRTC bridge benchmark: what RTMP → WebRTC (gateway bridge → plain RTP → SFU → WHEP viewer)
 * adds over the RTMP/HTTP-FLV path, how fast a WHEP viewer gets its first picture, and how many
 * WebRTC viewers of one bridged stream a core carries. Loopback; the shared measuring tools
 * (`../shared/tools/measure`) publish and read the burnt-in wall clock.
 *
 *   npx tsx bench/latency-webrtc.ts            (measure; ~10 min)
 *   npx tsx bench/latency-webrtc.ts --md-only  (rewrite the .md from the .json)
 *
 * Phases, one at a time (the machine has 2 shared cores):
 * 1. `latency_floor.sh`: publisher → pipe → decoder, no server.
 * 2. Estuary as a child (`npx tsx server/main.ts`, `ESTUARY_*` ports, HLS off, short bridge linger), published with
 *    `publish_rtmp.sh` (720p30 x264 veryfast zerolatency, PROFILE=baseline: no B-frames, so the
 *    bridge passes H.264 through), GOP 1 s, then again with GOP 2 s:
 *    - FLV reference: `wallclock_decode.py` on `/live/<name>.flv`, per-frame arrival − capture;
 *    - WebRTC: one node-datachannel WHEP viewer; H.264 RTP depacketized to Annex B and decoded
 *      by ffmpeg with the same strip filter and decoder options (strip-decoder.ts);
 *      bridge's added latency = WebRTC − FLV at p50 and p95 (same decoder on both);
 *    - join: fresh WHEP viewers at random GOP phases, POST → first keyframe RTP packet and
 *      → first decoded frame (ffmpeg start included), with the bridge running (warm) and, when
 *      bridges start on demand, with it stopped (cold);
 *    - (GOP 1 s) viewers per core: 10/50/100 viewers in a separate process (viewers.ts),
 *      server process tree CPU with `cpu_pct.sh --tree`, against the same with one viewer.
 * Writes bench/results/latency-webrtc.json and .md.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import {
  cpuPct,
  loadAverage,
  MEASURE,
  onStop,
  ROOT,
  run,
  sleep,
  startEstuary,
  startPublisher,
  stats,
  runBench,
  waitBridgeState,
  waitLive,
  wallclockLatencies,
  webrtcStatus,
  BRIDGE_LINGER_MS,
  type EstuaryChild,
  type Stats,
} from './latency-webrtc/harness.js';
import { nowMs, StripReceiver } from './latency-webrtc/strip-decoder.js';
import { WhepViewer } from './latency-webrtc/whep-viewer.js';

const RESULTS = path.join(ROOT, 'bench/results');
/** Seconds of each latency measurement and of each CPU window. */
const FLOOR_S = 10;
const LATENCY_S = 20;
const LATENCY_S_GOP2 = 15;
const CPU_S = 20;
const JOIN_TRIALS = 10;
const VIEWER_COUNTS = [10, 50, 100];
/** Frames skipped at the start of each latency read: FLV's GOP-cache burst, the WebRTC decoder's start. */
const SKIP_FRAMES = 60;
/** Decoder input options of the FLV reference, matching strip-decoder.ts's (single thread, low delay). */
const FLV_DECODER_IN = '-threads 1 -flags low_delay -probesize 32768 -analyzeduration 0';
/** A join trial gives up after this long without a decoded frame. */
const JOIN_TIMEOUT_MS = 8_000;
/** Seconds the publisher runs at most (it is stopped earlier); bounds it if this process dies. */
const PUBLISH_MAX_S = 600;
/** Target figures of the issue. */
const TARGET_ADDED_MS = 150;
const TARGET_JOIN_MS = 1000;

interface LatencyResult {
  flv: Stats | null;
  webrtc: Stats | null;
  addedP50: number | null;
  addedP95: number | null;
  /** WebRTC: last RTP packet of a frame in → its decoded row out (the decoder's own share). */
  webrtcDecodeMs: Stats | null;
  /** The bridge's Sender Report wall clock of a frame − its burnt-in capture time. */
  srClockMinusCaptureMs: Stats | null;
  undecodableRows: number;
  rtpPackets: number;
  /** Frames written to the decoder and rows out of it (equal: the FIFO pairing of the decode row is right). */
  unitsWritten: number;
  rowsOut: number;
  decoderNotes: string;
  connectErrors: string[];
}

interface JoinTrial {
  phaseDelayMs: number;
  postMs: number;
  /** Peer connection `connected` (ICE + DTLS). */
  connectedMs: number | null;
  firstRtpMs: number | null;
  firstKeyframeRtpMs: number | null;
  firstFrameMs: number | null;
  /** Age of the first picture: its decoded time − its capture time. */
  firstFrameAgeMs: number | null;
  /** Why the viewer could not negotiate, if it could not. */
  error?: string;
}

interface FanoutRow {
  viewers: number;
  connected: number;
  receivingVideo: number;
  serverCpuPct: number;
  perViewerCpuPct: number | null;
  viewersPerCore: number | null;
  videoDeliveryPct: number | null;
  audioDeliveryPct: number | null;
  maxVideoGapMs: number;
  viewersWithFreeze: number;
  clientCpuPct: number;
  connectMs: number;
  loadAvg: number[];
}

/** Connect attempts of the latency viewer (a failed negotiation is retried with a fresh peer). */
const CONNECT_ATTEMPTS = 3;

/** One WHEP viewer decoding for `seconds`; returns its receiver (closed) and the failed attempts. */
async function webrtcView(whepUrl: string, seconds: number): Promise<{ rx: StripReceiver; connectErrors: string[] }> {
  const connectErrors: string[] = [];
  for (let attempt = 1; ; attempt++) {
    const rx = new StripReceiver();
    onStop(() => rx.close());
    const viewer = new WhepViewer(`latency-${attempt}`, { audio: true, onVideo: (p, at) => rx.onPacket(p, at) });
    onStop(() => viewer.close());
    try {
      await viewer.connect(whepUrl);
      await sleep(seconds * 1000);
      return { rx, connectErrors };
    } catch (err) {
      connectErrors.push(err instanceof Error ? err.message : String(err));
      if (attempt >= CONNECT_ATTEMPTS) throw err;
    } finally {
      await viewer.close();
      await rx.close();
    }
  }
}

async function measureLatency(e: EstuaryChild, name: string, seconds: number, flvAll: readonly number[]): Promise<LatencyResult> {
  const flv = stats(flvAll.slice(SKIP_FRAMES));
  const { rx, connectErrors } = await webrtcView(`http://127.0.0.1:${e.http}/whep/live/${name}`, seconds);
  const frames = rx.frames.slice(SKIP_FRAMES);
  const ok = frames.filter((f): f is typeof f & { captureMs: number } => f.captureMs !== null);
  const webrtc = stats(ok.map((f) => f.arrivalMs - f.captureMs));
  const decode = stats(ok.flatMap((f) => (f.auCompleteMs === undefined ? [] : [f.arrivalMs - f.auCompleteMs])));
  const sr = stats(ok.flatMap((f) => (f.srMappedMs === undefined ? [] : [f.srMappedMs - f.captureMs])));
  return {
    flv,
    webrtc,
    addedP50: flv && webrtc ? webrtc.median - flv.median : null,
    addedP95: flv && webrtc ? webrtc.p95 - flv.p95 : null,
    webrtcDecodeMs: decode,
    srClockMinusCaptureMs: sr,
    undecodableRows: frames.length - ok.length,
    rtpPackets: rx.rtpPackets,
    unitsWritten: rx.units,
    rowsOut: rx.frames.length,
    decoderNotes: rx.stderr.trim().slice(0, 1000),
    connectErrors,
  };
}

/**
 * Fresh WHEP viewers joining at random GOP phases (each waits a random part of a GOP first).
 * `cold`: each first waits for the on-demand bridge to have stopped (no other viewer).
 */
async function measureJoins(e: EstuaryChild, name: string, gopS: number, cold: boolean): Promise<JoinTrial[]> {
  const trials: JoinTrial[] = [];
  for (let i = 0; i < JOIN_TRIALS; i++) {
    if (cold && !(await waitBridgeState(e.http, `live/${name}`, false, BRIDGE_LINGER_MS + 10_000))) throw new Error('the on-demand bridge did not stop');
    const phaseDelayMs = Math.round(Math.random() * gopS * 1000);
    await sleep(phaseDelayMs);
    const t0 = nowMs();
    const rx = new StripReceiver(1);
    const viewer = new WhepViewer(`join-${i}`, { audio: true, onVideo: (p, at) => rx.onPacket(p, at) });
    let postMs = NaN;
    let error: string | undefined;
    try {
      await viewer.connect(`http://127.0.0.1:${e.http}/whep/live/${name}`);
      postMs = nowMs() - t0;
      await rx.waitFirstFrame(JOIN_TIMEOUT_MS);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    } finally {
      await viewer.close();
      await rx.close();
    }
    const rel = (t: number | undefined): number | null => (t === undefined ? null : Math.round(t - t0));
    const first = rx.frames[0];
    trials.push({
      phaseDelayMs,
      postMs: Number.isNaN(postMs) ? -1 : Math.round(postMs),
      connectedMs: rel(viewer.connectedAtMs),
      firstRtpMs: rel(rx.firstRtpMs),
      firstKeyframeRtpMs: rel(rx.firstKeyframeRtpMs),
      firstFrameMs: rel(rx.firstFrameMs),
      firstFrameAgeMs: first?.captureMs != null ? Math.round(first.arrivalMs - first.captureMs) : null,
      ...(error !== undefined ? { error } : {}),
    });
    console.log(`  ${cold ? 'cold' : 'warm'} join ${i + 1}/${JOIN_TRIALS}: ${JSON.stringify(trials[trials.length - 1])}`);
  }
  return trials;
}

/** Runs viewers.ts with `n` viewers; CPU of the server's process tree while they receive. */
async function measureFanout(e: EstuaryChild, name: string, n: number, idleCpu: number): Promise<FanoutRow> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/latency-webrtc/viewers.ts'), `http://127.0.0.1:${e.http}/whep/live/${name}`, String(n), String(CPU_S)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onStop(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines = readline.createInterface({ input: child.stdout });
  let ready: { connectMs: number } | undefined;
  let result: Record<string, number> | undefined;
  let cpu: Promise<{ pct: number }> | undefined;
  const deadline = setTimeout(() => child.kill('SIGKILL'), (CPU_S + 120) * 1000);
  for await (const line of lines) {
    if (line.startsWith('READY ')) {
      ready = JSON.parse(line.slice(6)) as { connectMs: number };
      cpu = cpuPct(e.pid, CPU_S);
    } else if (line.startsWith('RESULT ')) {
      result = JSON.parse(line.slice(7)) as Record<string, number>;
    }
  }
  clearTimeout(deadline);
  const load = loadAverage();
  if (!ready || !result || !cpu) throw new Error(`viewers.ts with ${n} viewers gave no result`);
  const { pct } = await cpu;
  const pctOf = (a: number, b: number): number | null => (b > 0 ? Math.round((1000 * a) / b) / 10 : null);
  const perViewer = (pct - idleCpu) / n;
  return {
    viewers: n,
    connected: result.connected ?? 0,
    receivingVideo: result.receivingVideo ?? 0,
    serverCpuPct: pct,
    perViewerCpuPct: Math.round(perViewer * 100) / 100,
    viewersPerCore: perViewer > 0 ? Math.round(100 / perViewer) : null,
    videoDeliveryPct: pctOf(result.videoPackets ?? 0, result.videoExpected ?? 0),
    audioDeliveryPct: pctOf(result.audioPackets ?? 0, result.audioExpected ?? 0),
    maxVideoGapMs: result.maxVideoGapMs ?? 0,
    viewersWithFreeze: result.viewersWithFreeze ?? 0,
    clientCpuPct: result.clientCpuPct ?? 0,
    connectMs: ready.connectMs,
    loadAvg: load,
  };
}

/** A viewer that only keeps the bridge running (and counts its video packets). */
async function openHolder(e: EstuaryChild, name: string): Promise<WhepViewer> {
  let packets = 0;
  const holder = new WhepViewer('holder', { onVideo: () => void packets++ });
  onStop(() => holder.close());
  await holder.connect(`http://127.0.0.1:${e.http}/whep/live/${name}`);
  for (let i = 0; i < 100 && packets === 0; i++) await sleep(100);
  if (packets === 0) throw new Error('the holder viewer got no video');
  return holder;
}

async function phase(e: EstuaryChild, gopS: number, latencyS: number, fanout: boolean): Promise<Record<string, unknown>> {
  const name = `bench-gop${gopS}`;
  console.log(`GOP ${gopS} s: publishing live/${name}`);
  const stopPublisher = await startPublisher(`rtmp://127.0.0.1:${e.rtmp}/live/${name}`, PUBLISH_MAX_S, { PROFILE: 'baseline', GOP_S: String(gopS) });
  try {
    await waitLive(e.http, `live/${name}`);
    await sleep(3000);
    // A bridge running with no viewer: bridges start with the stream (bridge.mode always, or a
    // server without on-demand bridging); otherwise the first WHEP viewer starts it.
    const bridgeMode = (await webrtcStatus(e.http, `live/${name}`))?.bridged === true ? 'always' : 'on-demand';
    console.log(`  bridge mode: ${bridgeMode}`);
    const loadBefore = loadAverage();
    console.log(`  FLV reference, ${latencyS} s`);
    const flvAll = await wallclockLatencies(`http://127.0.0.1:${e.flv}/live/${name}.flv`, latencyS, FLV_DECODER_IN);
    const holder = await openHolder(e, name);
    let latency: LatencyResult;
    let warmJoins: JoinTrial[];
    let fan: { idleCpuPct: number; notBridgedCpuPct: number | null; rows: FanoutRow[] } | undefined;
    try {
      console.log(`  WebRTC viewer, ${latencyS} s (bridge warm: a second viewer holds it)`);
      latency = await measureLatency(e, name, latencyS, flvAll);
      console.log(`  latency: ${JSON.stringify(latency)}`);
      warmJoins = await measureJoins(e, name, gopS, false);
      if (fanout) {
        console.log(`  server CPU with the bridge running and 1 viewer, ${CPU_S} s`);
        const idle = (await cpuPct(e.pid, CPU_S)).pct;
        const rows: FanoutRow[] = [];
        for (const n of VIEWER_COUNTS) {
          console.log(`  ${n} more viewers`);
          const row = await measureFanout(e, name, n, idle);
          console.log(`  ${JSON.stringify(row)}`);
          rows.push(row);
          await sleep(2000);
        }
        fan = { idleCpuPct: idle, notBridgedCpuPct: null, rows };
      }
    } finally {
      await holder.close();
    }
    let coldJoins: JoinTrial[] = [];
    if (bridgeMode === 'on-demand') {
      if (fan && (await waitBridgeState(e.http, `live/${name}`, false, BRIDGE_LINGER_MS + 10_000))) {
        console.log(`  server CPU with no viewer (bridge stopped), ${CPU_S} s`);
        fan.notBridgedCpuPct = (await cpuPct(e.pid, CPU_S)).pct;
      }
      coldJoins = await measureJoins(e, name, gopS, true);
    }
    return { gopS, bridgeMode, loadBefore, loadAfter: loadAverage(), latency, warmJoins, coldJoins, fanout: fan };
  } finally {
    await stopPublisher();
  }
}

function joinSummary(trials: readonly JoinTrial[]): { post: Stats | null; connected: Stats | null; firstRtp: Stats | null; firstKeyframeRtp: Stats | null; firstFrame: Stats | null; firstFrameAge: Stats | null; failed: number } {
  const pick = (f: (t: JoinTrial) => number | null): number[] => trials.flatMap((t) => (f(t) === null ? [] : [f(t) as number]));
  return {
    post: stats(pick((t) => (t.postMs < 0 ? null : t.postMs))),
    connected: stats(pick((t) => t.connectedMs)),
    firstRtp: stats(pick((t) => t.firstRtpMs)),
    firstKeyframeRtp: stats(pick((t) => t.firstKeyframeRtpMs)),
    firstFrame: stats(pick((t) => t.firstFrameMs)),
    firstFrameAge: stats(pick((t) => t.firstFrameAgeMs)),
    failed: trials.filter((t) => t.firstFrameMs === null).length,
  };
}

const fmt = (s: Stats | null | undefined): string => (s ? `${s.median} / ${s.p95} (max ${s.max}, n=${s.n})` : '—');
const verdict = (ok: boolean | null): string => (ok === null ? '?' : ok ? 'met' : 'NOT met');

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const loadStart = loadAverage();
  console.log('chain floor (no server)');
  const floor = (await run(path.join(MEASURE, 'latency_floor.sh'), [String(FLOOR_S)], { timeout: (FLOOR_S + 40) * 1000 })).stdout.trim();
  console.log(floor);
  const e = await startEstuary();
  const gop1 = await phase(e, 1, LATENCY_S, true);
  const gop2 = await phase(e, 2, LATENCY_S_GOP2, false);
  await e.stop();
  const runs = [gop1, gop2].map((r) => ({ ...r, warmJoinSummary: joinSummary(r.warmJoins as JoinTrial[]), coldJoinSummary: joinSummary(r.coldJoins as JoinTrial[]) }));
  const git = async (...args: string[]): Promise<string> => (await run('git', args, { cwd: ROOT }).catch(() => ({ stdout: '?' }))).stdout.trim();
  const commit = await git('rev-parse', '--short', 'HEAD');
  const dirty = (await git('status', '--porcelain', '--untracked-files=no')).split('\n').filter(Boolean).length;
  const result = {
    date,
    code: { commit, modifiedTrackedFiles: dirty },
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAvgStart: loadStart, loadAvgEnd: loadAverage(), note: 'loopback; 2 cores shared with other engineers running tests' },
    publisher: 'publish_rtmp.sh: testsrc2 1280x720@30, x264 veryfast zerolatency PROFILE=baseline, ~2.5 Mb/s, AAC 128k; GOP_S=1 and GOP_S=2',
    server: `npx tsx server/main.ts, 1 gateway worker, HLS and RTSP off, bridge defaults (H.264 passed through, AAC→Opus ffmpeg) with bridge.lingerMs ${BRIDGE_LINGER_MS}`,
    floor,
    targets: { addedLatencyMs: TARGET_ADDED_MS, joinToFirstFrameMs: TARGET_JOIN_MS },
    runs,
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(path.join(RESULTS, 'latency-webrtc.json'), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(path.join(RESULTS, 'latency-webrtc.md'), markdown(result));
  console.log(markdown(result));
}

type Result = {
  date: string;
  machine: { cpus: number; model: string | undefined; loadAvgStart: number[]; loadAvgEnd: number[] };
  publisher: string;
  floor: string;
  runs: (Record<string, unknown> & { warmJoinSummary: ReturnType<typeof joinSummary>; coldJoinSummary: ReturnType<typeof joinSummary> })[];
};

function markdown(r: Result): string {
  const lines = [
    '# Latency: RTMP → WebRTC bridge (loopback)',
    '',
    `${r.date}; ${r.machine.cpus} CPUs (${r.machine.model ?? '?'}), shared with other engineers' tests: load average ${r.machine.loadAvgStart.join(' / ')} at the start, ${r.machine.loadAvgEnd.join(' / ')} at the end.`,
    `Publisher: ${r.publisher}. Chain floor (no server): ${r.floor}.`,
    '',
    '| measure (ms: median / p95) | GOP 1 s | GOP 2 s | target |',
    '|---|---|---|---|',
  ];
  const lat = r.runs.map((x) => x.latency as LatencyResult);
  const js = r.runs.map((x) => x.warmJoinSummary);
  const cs = r.runs.map((x) => x.coldJoinSummary);
  const row = (label: string, cells: string[], target = ''): void => void lines.push(`| ${label} | ${cells.join(' | ')} | ${target} |`);
  row('HTTP-FLV capture → decoded frame (reference)', lat.map((l) => fmt(l.flv)));
  row('WebRTC (WHEP) capture → decoded frame', lat.map((l) => fmt(l.webrtc)));
  row('**added by the bridge** (WebRTC − FLV), p50 / p95', lat.map((l) => `**${l.addedP50 ?? '—'} / ${l.addedP95 ?? '—'}**`), `< ${TARGET_ADDED_MS}: ${lat.map((l) => verdict(l.addedP95 === null ? null : l.addedP95 < TARGET_ADDED_MS)).join(', ')}`);
  row('WebRTC: last RTP packet of a frame → decoded row', lat.map((l) => fmt(l.webrtcDecodeMs)));
  row('warm join (bridge running): WHEP POST → 201 answer', js.map((j) => fmt(j.post)));
  row('join: → peer connection connected (ICE + DTLS)', js.map((j) => fmt(j.connected)));
  row('join: → first RTP packet', js.map((j) => fmt(j.firstRtp)));
  row('join: → first keyframe RTP packet', js.map((j) => fmt(j.firstKeyframeRtp)));
  row('**join: → first decoded frame** (ffmpeg start included)', js.map((j) => `**${fmt(j.firstFrame)}**${j.failed ? `, ${j.failed} failed` : ''}`), `< ${TARGET_JOIN_MS}: ${js.map((j) => verdict(j.firstFrame ? j.firstFrame.p95 < TARGET_JOIN_MS : null)).join(', ')} (p95)`);
  row('join: age of the first picture (decoded − captured)', js.map((j) => fmt(j.firstFrameAge)));
  if (cs.some((c) => c.firstFrame)) {
    row('cold join (bridge stopped, on-demand): POST → 201 answer', cs.map((j) => fmt(j.post)));
    row('cold join: → peer connection connected', cs.map((j) => fmt(j.connected)));
    row('cold join: → first keyframe RTP packet', cs.map((j) => fmt(j.firstKeyframeRtp)));
    row('**cold join: → first decoded frame**', cs.map((j) => `**${fmt(j.firstFrame)}**${j.failed ? `, ${j.failed} failed` : ''}`), `< ${TARGET_JOIN_MS}: ${cs.map((j) => verdict(j.firstFrame ? j.firstFrame.p95 < TARGET_JOIN_MS : null)).join(', ')} (p95)`);
    row('cold join: age of the first picture', cs.map((j) => fmt(j.firstFrameAge)));
  }
  row("bridge's SR wall clock − burnt-in capture", lat.map((l) => fmt(l.srClockMinusCaptureMs)));
  const fan = r.runs[0]?.fanout as { idleCpuPct: number; notBridgedCpuPct: number | null; rows: FanoutRow[] } | undefined;
  if (fan) {
    lines.push(
      '',
      `## WebRTC viewers of one bridged stream (GOP 1 s)`,
      '',
      `Server tree = npx + tsx + server + gateway worker + AAC→Opus ffmpeg. Baseline: ${fan.idleCpuPct}% of a core with the bridge running and one viewer (the "holder"); ${fan.notBridgedCpuPct ?? '—'}% with no viewer and the on-demand bridge stopped (stream published, ingest only). The N viewers come on top of the holder.`,
      '',
      '| extra viewers | connected / receiving video | server CPU % of a core | CPU % per viewer (above idle) | viewers per core (extrapolated) | video / audio delivery % | max video gap ms, viewers with a > 250 ms gap | viewers process CPU % | load avg |',
      '|---|---|---|---|---|---|---|---|---|',
    );
    for (const f of fan.rows) {
      lines.push(`| ${f.viewers} | ${f.connected} / ${f.receivingVideo} | ${f.serverCpuPct} | ${f.perViewerCpuPct ?? '—'} | ${f.viewersPerCore ?? '—'} | ${f.videoDeliveryPct ?? '—'} / ${f.audioDeliveryPct ?? '—'} | ${f.maxVideoGapMs}, ${f.viewersWithFreeze} | ${f.clientCpuPct} | ${f.loadAvg.join(' / ')} |`);
    }
  }
  lines.push('', METHOD, '');
  return lines.join('\n');
}

const METHOD = `## Method

- Both paths are read through the same instrument: ffmpeg decodes the picture single-threaded (\`-threads 1 -flags low_delay\`), crops the 31-cell wall-clock strip that \`publish_rtmp.sh\` burns in (\`crop=992:32:0:688,scale=31:1:flags=area\`, 31 gray bytes per frame) and the cells are read as \`wallclock_decode.py\` does (white/black references, 28 bits of UTC ms since midnight, even parity). Latency of a frame = when its row leaves ffmpeg − the capture time in the strip. The first ${SKIP_FRAMES} frames of each read are skipped (FLV's GOP-cache burst; decoder start).
- FLV reference: \`wallclock_decode.py http://127.0.0.1:<flv>/live/<name>.flv\` (\`--in "${FLV_DECODER_IN}"\`).
- WebRTC: a WHEP viewer on node-datachannel (\`bench/latency-webrtc/whep-viewer.ts\`: recvonly H.264 packetization-mode=1 + Opus offer, POST, answer). Video RTP from \`track.onMessage\` → \`createH264Depacketizer\` (RFC 6184) → Annex B (\`avccToAnnexB\`) → stdin of \`ffmpeg -f h264 -i pipe:0\` with the same filter (\`strip-decoder.ts\`). An access unit delimiter is written after each frame so ffmpeg's raw H.264 parser releases a frame without waiting for the next one's bytes (without it: one extra frame, ~33 ms). With that, ffmpeg holds a frame about one frame interval after its last byte in both paths (checked off-line by pacing a recorded stream at 30 fps into each demuxer: FLV 34.8 ms, Annex B + AUD 34.5 ms median), so the difference WebRTC − FLV is what the bridge adds: gateway → RTP packetization → loopback UDP → SFU (SSRC/seq/ts rewrite, SRTP) → viewer, minus the FLV muxer/HTTP path. The "last RTP packet → decoded row" row shows the decoder's share on the WebRTC side.
- A browser adds its own jitter buffer and render/vsync delay on top of these figures; the node-datachannel viewer has none, so these are the server's share. The watch page's overlay estimate (jitter buffer + RTT/2 from getStats, \`jitterBufferDelay/jitterBufferEmittedCount\`) would show it in Chromium; not measured here (time).
- Join: ${JOIN_TRIALS} fresh viewers per GOP length, each after a random wait of 0–1 GOP; time from creating the offer (ICE gathering, POST, answer) to \`connected\`, the first RTP packet, the first one starting a keyframe, and the first row out of a freshly started ffmpeg. *Warm*: the bridge is running (another viewer holds it). *Cold*: with on-demand bridges (\`bridge.mode: on-demand\`, here \`lingerMs\` ${BRIDGE_LINGER_MS}) each trial first waits until the API reports the bridge stopped, so the POST starts it. H.264 is passed through, so a PLI cannot make the publisher send an IDR; the SFU replays its cached GOP to a new consumer instead (keyframe first), so the first picture can be up to a GOP old ("age of the first picture") and the stream then runs that much behind live until the viewer's player catches up (this viewer plays every frame as it comes).
- Viewers per core: N node-datachannel WHEP viewers in one separate process (\`viewers.ts\`, no decoding; packets, sequence-number loss and gaps counted); \`cpu_pct.sh <server pid> ${CPU_S} --tree\` (npx → tsx → server → gateway worker → ffmpeg) while they receive; per viewer = (CPU with the holder + N − CPU with the holder alone) / N; viewers per core = 100 / that (linear extrapolation). The viewers' process runs on the same 2 cores and competes with the server. Delivery % = packets received / expected from sequence numbers over the window.
- Findings of the run of the first session's final tree: (1) the bridge adds nothing measurable on loopback at p50/p95 (0…+3 ms). (2) Joins: every viewer is \`connected\` 60–100 ms after the offer and decodes its first frame 86–134 ms (p50–p95) after it, warm or cold, GOP 1 s or 2 s. An earlier run had a third of joins at ~1 s: the engine started ICE checks toward the viewer's candidates while the viewer still waited for the answer; the server no longer applies the client's candidates (it answers the client's checks, as an ICE-lite server would). (3) The replayed GOP makes the first picture up to a GOP old (p95 ≈ 1 s at GOP 1 s, 2 s at GOP 2 s); a player then catches up. (4) The bridge's Sender Reports are anchored to the gateway's arrival time (last row).
- The bridge's Sender Reports map RTP time to the wall clock at which the gateway received the stream's first unit (gateway/bridge/rtp-clock.ts), not the encoder's capture clock; the last row shows that offset (encode + RTMP + the anchor's jitter).
`;

/** `--md-only`: rewrites the .md from the last .json (after editing the text), without measuring. */
async function rewriteMarkdown(): Promise<void> {
  const result = JSON.parse(readFileSync(path.join(RESULTS, 'latency-webrtc.json'), 'utf8')) as Result;
  writeFileSync(path.join(RESULTS, 'latency-webrtc.md'), markdown(result));
}

runBench(main, rewriteMarkdown);
