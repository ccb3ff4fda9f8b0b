/**
 * The watch page of an RTMP stream in Chromium: ffmpeg publishes H.264 + AAC over RTMP, the
 * page plays it over WebRTC (WHEP; the gateway bridges H.264 as is and AAC as Opus) with video
 * advancing and audio packets arriving, and over HLS with `?mode=hls`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { getJson, killChildren, publish, startTestServer, waitFor, type TestServer } from '../integration/gateway-helpers.js';

const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required', '--allow-loopback-in-peer-connection', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** Page load → playing: WHEP, a bridge started on demand, the next keyframe; HLS needs segments. */
const PLAY_TIMEOUT_MS = 20_000;
const HLS_DIR = `tmp/hls-watch-rtmp-${process.pid}`;

let t: TestServer;
let browser: Browser | undefined;

before(async () => {
  await promisify(execFile)('node', ['scripts/build-client.mjs'], { timeout: 60_000 });
  t = await startTestServer({ hls: { enabled: true, dir: HLS_DIR } });
  publish(`${t.rtmp}/live/rtmp-cam`, 120, ['-profile:v', 'baseline', '-bf', '0']);
  await waitFor('live/rtmp-cam live', async () => (await getJson(`${t.http}/api/v1/streams/live/rtmp-cam`)).status === 200, 15_000);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 30_000 });
});

after(async () => {
  await browser?.close();
  killChildren();
  await t?.server.close();
  rmSync(HLS_DIR, { recursive: true, force: true });
});

/** Waits until the page's video has frames and its clock has passed `seconds`. */
async function playing(page: Page, transport: string, seconds: number): Promise<void> {
  await page.waitForFunction(([tr, s]) => {
    const v = document.querySelector<HTMLVideoElement>('[data-testid="watch-video"]');
    return document.body.dataset.transport === tr && v !== null && v.videoWidth > 0 && v.currentTime > (s as number);
  }, [transport, seconds] as const, { timeout: PLAY_TIMEOUT_MS });
}

function currentTime(page: Page): Promise<number> {
  return page.evaluate(() => document.querySelector<HTMLVideoElement>('[data-testid="watch-video"]')?.currentTime ?? 0);
}

test('the watch page plays an RTMP stream over WebRTC: video advancing, data-transport=webrtc, audio packets growing', async () => {
  const page = await (browser as Browser).newPage();
  // The page keeps its peer connection to itself: record every one it creates to read getStats().
  await page.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const pcs: RTCPeerConnection[] = [];
    (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = pcs;
    window.RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) {
        super(config);
        pcs.push(this);
      }
    };
  });
  const started = Date.now();
  await page.goto(`${t.http}/watch/live/rtmp-cam`);
  await playing(page, 'webrtc', 0.5);
  const joinMs = Date.now() - started;
  const audioPackets = (): Promise<number> => page.evaluate(async () => {
    let n = 0;
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      (await pc.getStats()).forEach((s: { type: string; kind?: string; packetsReceived?: number }) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio') n += s.packetsReceived ?? 0;
      });
    }
    return n;
  });
  const t0 = await currentTime(page);
  const a0 = await audioPackets();
  await new Promise((r) => setTimeout(r, 1_500));
  const t1 = await currentTime(page);
  const a1 = await audioPackets();
  assert.ok(t1 > t0 + 0.5, `currentTime advanced ${t0} → ${t1}`);
  assert.ok(a1 > a0 + 20, `audio packetsReceived grew ${a0} → ${a1}`);
  console.log(`# RTMP watch page: load → playing over WebRTC ${joinMs} ms; audio packets +${a1 - a0} in 1.5 s`);
  await page.close();
});

test('?mode=hls plays the RTMP stream over HLS: currentTime advancing', async () => {
  const page = await (browser as Browser).newPage();
  await page.goto(`${t.http}/watch/live/rtmp-cam?mode=hls`);
  await playing(page, 'hls', 0.2);
  const t0 = await currentTime(page);
  await new Promise((r) => setTimeout(r, 1_500));
  const t1 = await currentTime(page);
  assert.ok(t1 > t0 + 0.5, `currentTime advanced ${t0} → ${t1}`);
  await page.close();
});

test('a page joining a running 2 s-GOP stream shows video within 1 s (the catch-up track), then switches to the live track', async () => {
  publish(`${t.rtmp}/live/gop2`, 120, ['-profile:v', 'baseline', '-bf', '0', '-x264-params', 'keyint=50:min-keyint=50:scenecut=0']);
  await waitFor('live/gop2 live', async () => (await getJson(`${t.http}/api/v1/streams/live/gop2`)).status === 200, 15_000);
  // A first viewer starts the bridge (cold: the gateway's cached GOP) and keeps it warm.
  const warm = await (browser as Browser).newPage();
  await warm.goto(`${t.http}/watch/live/gop2`);
  await playing(warm, 'webrtc', 0.5);
  const joins: number[] = [];
  for (let i = 0; i < 3; i++) {
    // Joins land anywhere in the GOP: spread them over it.
    await new Promise((r) => setTimeout(r, 700));
    const page = await (browser as Browser).newPage();
    await page.addInitScript(() => {
      const nativeFetch = window.fetch.bind(window);
      window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
        if (String(input).includes('/whep/') && init?.method === 'POST') (window as unknown as { __whepAt: number }).__whepAt = performance.now();
        return nativeFetch(input, init);
      };
    });
    await page.goto(`${t.http}/watch/live/gop2`);
    const handle = await page.waitForFunction(() => {
      const v = document.querySelector<HTMLVideoElement>('[data-testid="watch-video"]');
      const at = (window as unknown as { __whepAt?: number }).__whepAt;
      return at !== undefined && v !== null && v.videoWidth > 0 && v.currentTime > 0 ? performance.now() - at : false;
    }, undefined, { timeout: PLAY_TIMEOUT_MS, polling: 20 });
    joins.push(Math.round(Number(await handle.jsonValue())));
    // The live track takes over at the source's next keyframe (at most a GOP later).
    await page.waitForFunction(() => document.body.dataset.catchup === 'done', undefined, { timeout: 5_000 });
    const t0 = await currentTime(page);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.ok((await currentTime(page)) > t0 + 0.3, 'the live track plays after the switch');
    await page.close();
  }
  console.log(`# warm joins, WHEP POST → first frame shown: ${joins.join(', ')} ms (2 s GOP)`);
  for (const ms of joins) assert.ok(ms < 1_000, `first frame ${ms} ms after the WHEP POST`);
  await warm.close();
});
