import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import { exitWhenDone, startRoomServer } from '../helpers/room-server.js';

/** Chromium with fake camera/mic, loopback ICE allowed, nothing that phones home. */
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--allow-loopback-in-peer-connection',
];
const PARTICIPANTS = ['Ann', 'Ben', 'Cat'];
/** Three fake cameras on two shared cores: generous, but bounded. */
const MEDIA_TIMEOUT_MS = 30_000;
const POLL_MS = 200;
/** The promise for a departure. */
const TILE_GONE_MS = 2_000;

let server: Awaited<ReturnType<typeof startRoomServer>>;
let browser: Browser | undefined;

before(async () => {
  execFileSync(process.execPath, ['scripts/build-client.mjs'], { stdio: 'ignore' });
  server = await startRoomServer();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await server?.close();
  exitWhenDone();
});

interface VideoState {
  peerId: string;
  width: number;
  time: number;
}

function remoteVideos(page: Page): Promise<VideoState[]> {
  return page.$$eval('.tile.remote', (tiles) =>
    tiles.map((t) => {
      const v = t.querySelector('video');
      return { peerId: (t as HTMLElement).dataset.peerId ?? '', width: v?.videoWidth ?? 0, time: v?.currentTime ?? 0 };
    }),
  );
}

/** Polls until every page shows `count` remote videos with frames whose playback advances. */
async function waitForPlaying(pages: Page[], count: number): Promise<string> {
  const deadline = Date.now() + MEDIA_TIMEOUT_MS;
  const last = new Map<Page, VideoState[]>();
  let report = '';
  while (Date.now() < deadline) {
    let all = true;
    const lines: string[] = [];
    for (const page of pages) {
      const now = await remoteVideos(page);
      const before = last.get(page) ?? [];
      const playing = now.filter((v) => v.width > 0 && v.time > (before.find((b) => b.peerId === v.peerId)?.time ?? Infinity));
      lines.push(`${PARTICIPANTS[pages.indexOf(page)]}: ${now.length} tiles, ${playing.length} playing ${JSON.stringify(now)}`);
      if (now.length !== count || playing.length !== count) all = false;
      last.set(page, now);
    }
    report = lines.join('\n');
    if (all) return report;
    await new Promise((r) => setTimeout(r, POLL_MS * 3));
  }
  throw new Error(`videos not playing within ${MEDIA_TIMEOUT_MS} ms:\n${report}`);
}

test('three browsers in one room each play the two others, and a leaver tile goes within 2 s', async () => {
  assert.ok(browser);
  const pages: Page[] = [];
  for (const name of PARTICIPANTS) {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (err) => console.error(`[${name}] page error`, err));
    await page.goto(`${server.url}/room/e2e?name=${name}`);
    pages.push(page);
  }
  await waitForPlaying(pages, 2);
  for (const page of pages) {
    const names = await page.$$eval('.tile.remote .tile-name', (els) => els.map((e) => e.textContent).sort());
    const own = PARTICIPANTS[pages.indexOf(page)];
    assert.deepEqual(names, PARTICIPANTS.filter((n) => n !== own));
  }
  if (process.env.ROOM_SCREENSHOT) await pages[0]!.screenshot({ path: process.env.ROOM_SCREENSHOT });

  const [ann, ben, cat] = pages as [Page, Page, Page];
  const catId = (await ann.$$eval('.tile.remote', (tiles) => tiles.map((t) => [(t as HTMLElement).dataset.peerId, t.querySelector('.tile-name')?.textContent]))).find(([, n]) => n === 'Cat')?.[0];
  assert.ok(catId, 'Ann sees a tile for Cat');
  const leftAt = Date.now();
  await cat.click('#leave');
  for (const page of [ann, ben]) {
    await page.waitForSelector(`.tile.remote[data-peer-id="${catId}"]`, { state: 'detached', timeout: TILE_GONE_MS + 500 });
  }
  const elapsed = Date.now() - leftAt;
  assert.ok(elapsed <= TILE_GONE_MS, `tile removed after ${elapsed} ms`);
  assert.equal((await remoteVideos(ann)).length, 1);
  assert.equal((await remoteVideos(ben)).length, 1);
});
