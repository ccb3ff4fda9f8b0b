/**
 * Lip sync of the watch page in Chromium, from the timestamps the browser plays: the bridge
 * puts both tracks' RTP time on one base (gateway/bridge/stream-bridge.ts RTP_BASE_RANGE:
 * video RTP = base + pts at 90 kHz, Opus RTP = (base + pts) × 48/90), and the SFU passes RTP
 * timestamps through. In the page, every presented frame gives its RTP timestamp and display
 * time (requestVideoFrameCallback), and the audio receiver's getSynchronizationSources() the
 * RTP timestamp and time of the audio played out last. Per frame: audio late by
 * (audio played − its source time) − (frame shown − its source time), source times in ms of
 * the shared base, so the unknown base cancels.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, sleep, startPublisher, stats, waitLive, type EstuaryChild, type Stats } from './harness.js';

/** Seconds the page records. */
const LISTEN_S = 20;
/** After the page opens: the replayed GOP and the jitter buffers' start are left out. */
const WARMUP_MS = 4_000;
const PUBLISH_MAX_S = 120;
/** Windows of the offset timeline. */
const TIMELINE_WINDOW_MS = 2_000;

export interface LipSyncResult {
  gopS: number;
  frames: number;
  /** Audio playout − video display, each against its source time, ms (positive: audio late). */
  offsetMs: Stats | null;
  /** p95 of |offset|. */
  absP95: number | null;
  /** Median offset of each successive TIMELINE_WINDOW_MS of the recording, ms. */
  timeline?: number[];
  /** Chromium's inbound-rtp figures at the end: mean jitter buffer delay and its target, ms. */
  jitterBuffers?: Record<string, { meanDelayMs: number; targetDelayMs: number }>;
  error?: string;
}

type Row = [displayEpochMs: number, videoRtp: number, audioPlayEpochMs: number, audioRtp: number];

/** Runs in the page: one row per presented frame with the audio receiver's last played source. */
function pageProbe(seconds: number): Promise<{ rows: Row[]; err?: string }> {
  return new Promise((resolve) => {
    const out: { rows: Row[]; err?: string } = { rows: [] };
    const video = document.querySelector('video') as HTMLVideoElement;
    const pcs = (globalThis as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
    const audio = pcs.flatMap((pc) => pc.getReceivers()).find((r) => r.track.kind === 'audio');
    if (!audio) {
      resolve({ rows: [], err: 'no audio receiver' });
      return;
    }
    const toEpoch = (t: number): number => (t > 1e12 ? t : performance.timeOrigin + t);
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata): void => {
      video.requestVideoFrameCallback(onFrame);
      const a = audio.getSynchronizationSources()[0];
      if (meta.rtpTimestamp === undefined || !a) return;
      out.rows.push([performance.timeOrigin + meta.expectedDisplayTime, meta.rtpTimestamp, toEpoch(a.timestamp), a.rtpTimestamp]);
    };
    video.requestVideoFrameCallback(onFrame);
    setTimeout(() => resolve(out), seconds * 1000);
  });
}

/** Runs in the page: mean jitter buffer delay (and target) of each inbound track, from getStats. */
async function jitterBuffers(): Promise<Record<string, { meanDelayMs: number; targetDelayMs: number }>> {
  const out: Record<string, { meanDelayMs: number; targetDelayMs: number }> = {};
  for (const pc of (globalThis as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
    (await pc.getStats()).forEach((s: { type: string; kind?: string; jitterBufferDelay?: number; jitterBufferEmittedCount?: number; jitterBufferTargetDelay?: number }) => {
      if (s.type !== 'inbound-rtp' || !s.kind || !s.jitterBufferEmittedCount) return;
      const n = s.jitterBufferEmittedCount;
      out[s.kind] = { meanDelayMs: Math.round(((s.jitterBufferDelay ?? 0) / n) * 1000), targetDelayMs: Math.round(((s.jitterBufferTargetDelay ?? 0) / n) * 1000) };
    });
  }
  return out;
}

/** Offsets from the page's rows: source times in ms of the shared RTP base (90 kHz video, 48 kHz Opus). */
export function lipSyncFrom(gopS: number, rows: readonly Row[]): LipSyncResult {
  const offsets = rows.map(([shown, rv, played, ra]) => played - ra / 48 - (shown - rv / 90));
  const abs = stats(offsets.map(Math.abs));
  const timeline: number[] = [];
  const start = rows[0]?.[0] ?? 0;
  offsets.forEach((o, i) => {
    const w = Math.floor((rows[i]![0] - start) / TIMELINE_WINDOW_MS);
    ((timeline as unknown as number[][])[w] ??= []).push(o);
  });
  return { gopS, frames: rows.length, offsetMs: stats(offsets), absP95: abs ? abs.p95 : null, timeline: (timeline as unknown as number[][]).map((w) => stats(w ?? [])?.median ?? NaN) };
}

/** Publishes (publish_rtmp.sh), plays the stream in the watch page, and returns the offsets. */
export async function measureLipSync(e: EstuaryChild, gopS: number): Promise<LipSyncResult> {
  const name = `lipsync-gop${gopS}`;
  const stop = await startPublisher(`rtmp://127.0.0.1:${e.rtmp}/live/${name}`, PUBLISH_MAX_S, { PROFILE: 'baseline', GOP_S: String(gopS) });
  const pw = path.join(createRequire(path.join(ROOT, 'package.json')).resolve('playwright-core/package.json'), '..', 'index.mjs');
  const { chromium } = (await import(pathToFileURL(pw).href)) as typeof import('playwright-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required'],
  });
  try {
    await waitLive(e.http, `live/${name}`);
    await sleep(3000);
    const page = await browser.newPage();
    // tsx keeps function names with a `__name` helper that the page does not have; the page's
    // peer connections are kept reachable for its receivers and getStats.
    await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
    await page.addInitScript({ content: 'const O = RTCPeerConnection; globalThis.__pcs = []; globalThis.RTCPeerConnection = function (...a) { const pc = new O(...a); globalThis.__pcs.push(pc); return pc; }; globalThis.RTCPeerConnection.prototype = O.prototype;' });
    await page.goto(`http://127.0.0.1:${e.http}/watch/live/${name}`, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => document.body.dataset.transport === 'webrtc', undefined, { timeout: 30_000 });
    await sleep(WARMUP_MS);
    const r = await page.evaluate(pageProbe, LISTEN_S);
    const res = { ...lipSyncFrom(gopS, r.rows), jitterBuffers: await page.evaluate(jitterBuffers) };
    return r.err ? { ...res, error: r.err } : res;
  } catch (err) {
    return { gopS, frames: 0, offsetMs: null, absP95: null, error: err instanceof Error ? err.message.split('\n')[0]! : String(err) };
  } finally {
    await browser.close().catch(() => undefined);
    await stop();
  }
}
