import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import type { EstuaryServer } from '../../server/server.js';
import { exitWithoutTeardown, postSdp, startStreamsServer } from '../helpers/webrtc-streams.js';
import { WrtcBot } from '../helpers/wrtc-bot.js';

/**
 * The watch page plays over WebRTC (WHEP from the browser) and falls back to HLS with
 * `?mode=hls`. Source: a wrtc WHIP publisher (VP8 + Opus) — the RTMP source needs the gateway
 * half's bridge; with it, the same page plays `live/<rtmp stream>` the same way.
 */

const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required', '--allow-loopback-in-peer-connection', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const PLAY_TIMEOUT_MS = 15_000;

let server: EstuaryServer & { url: string };
let browser: Browser | undefined;

before(async () => {
  await promisify(execFile)('node', ['scripts/build-client.mjs'], { timeout: 60_000 });
  server = await startStreamsServer();
  const bot = new WrtcBot({ width: 320, height: 240, fps: 25 });
  bot.addSyntheticVideo();
  bot.addSyntheticAudio();
  const res = await postSdp(`${server.url}/whip/live/demo`, await bot.offer());
  assert.equal(res.status, 201);
  await bot.applyAnswer(await res.text());
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 30_000 });
});

after(async () => {
  await browser?.close();
  exitWithoutTeardown();
});

test('the watch page plays a live stream over WebRTC: video playing, an audio track attached, data-transport=webrtc, overlay figures', async () => {
  const page = await (browser as Browser).newPage();
  const started = Date.now();
  await page.goto(`${server.url}/watch/live/demo`);
  await page.waitForFunction(() => {
    const v = document.querySelector<HTMLVideoElement>('[data-testid="watch-video"]');
    return document.body.dataset.transport === 'webrtc' && v !== null && v.videoWidth > 0 && v.currentTime > 0.5;
  }, undefined, { timeout: PLAY_TIMEOUT_MS });
  const joinMs = Date.now() - started;
  const audioPackets = await page.evaluate(async () => {
    // The page's peer connection is module-scoped: read the stats through the video's stream tracks instead.
    const v = document.querySelector<HTMLVideoElement>('[data-testid="watch-video"]');
    const stream = v?.srcObject as MediaStream | null;
    return stream?.getAudioTracks().length ?? 0;
  });
  assert.ok(audioPackets > 0, 'an audio track is attached');
  await page.waitForFunction(() => /kb\/s/.test(document.getElementById('bitrate')?.textContent ?? ''), undefined, { timeout: 5_000 });
  const overlay = await page.evaluate(() => ({ transport: document.getElementById('transport')?.textContent, latency: document.getElementById('latency')?.textContent }));
  assert.match(overlay.transport ?? '', /WebRTC/);
  assert.match(overlay.latency ?? '', /estimate/);
  console.log(`# page load → playing over WebRTC: ${joinMs} ms; overlay ${JSON.stringify(overlay)}`);
  await page.close();
});

test('?mode=hls skips WebRTC and uses the HLS player', async () => {
  const page = await (browser as Browser).newPage();
  const whep: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/whep/')) whep.push(r.url());
  });
  await page.goto(`${server.url}/watch/live/demo?mode=hls`);
  await page.waitForFunction(() => document.body.dataset.transport === 'hls', undefined, { timeout: 5_000 });
  assert.deepEqual(whep, [], 'no WHEP request');
  await page.close();
});
