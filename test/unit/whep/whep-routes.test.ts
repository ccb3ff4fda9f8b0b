import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SignJWT } from 'jose';
import type { EstuaryServer } from '../../../server/server.js';
import { exitWithoutTeardown, postSdp, startStreamsServer, whepView } from '../../helpers/webrtc-streams.js';
import { waitFor, WrtcBot } from '../../helpers/wrtc-bot.js';

/**
 * WHEP request handling (draft-ietf-wish-whep) on a real server: a @roamhq/wrtc WHIP publisher
 * (VP8 + Opus) makes `live/cam`; wrtc WHEP viewers decode it. 201 + Location + answer, 404,
 * 400, 415, DELETE, CORS, auth 401.
 */

const SECRET = 'whep-test-secret-0123456789';
const MIN_FRAMES = 20;
const MEDIA_TIMEOUT_MS = 20_000;
let server: EstuaryServer & { url: string };
let authed: EstuaryServer & { url: string };

async function publish(base: string, path: string, headers: Record<string, string> = {}): Promise<WrtcBot> {
  const bot = new WrtcBot({ width: 320, height: 240, fps: 25 });
  bot.addSyntheticVideo();
  bot.addSyntheticAudio();
  const res = await postSdp(`${base}/whip/${path}`, await bot.offer(), headers);
  assert.equal(res.status, 201);
  await bot.applyAnswer(await res.text());
  return bot;
}

before(async () => {
  server = await startStreamsServer();
  authed = await startStreamsServer({ auth: { secret: SECRET } });
});

after(() => exitWithoutTeardown());

test('unknown stream → 404; malformed offer → 400; an offer without a codec of the stream → 415', async () => {
  const viewer = new WrtcBot();
  viewer.pc.addTransceiver('video', { direction: 'recvonly' });
  const offer = await viewer.offer();
  assert.equal((await postSdp(`${server.url}/whep/live/nobody`, offer)).status, 404);
  await publish(server.url, 'live/codec');
  const malformed = await postSdp(`${server.url}/whep/live/codec`, 'v=0\r\nm=video\r\n');
  assert.equal(malformed.status, 400);
  // Only VP9 offered: the stream's VP8 cannot be sent.
  const vp9Only = offer.replace(/^m=video (\d+) (\S+) .*$/m, 'm=video $1 $2 98');
  const res = await postSdp(`${server.url}/whep/live/codec`, vp9Only);
  assert.equal(res.status, 415);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unsupported');
});

test('a WHEP viewer of a WHIP stream gets 201 + Location + sendonly answer, decodes video and receives audio; DELETE ends it', async () => {
  await publish(server.url, 'live/cam');
  const started = Date.now();
  const { bot, res, answer } = await whepView(`${server.url}/whep/live/cam`, { Origin: 'https://x.example' });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  const location = res.headers.get('location') ?? '';
  assert.match(location, /^\/whep\/sessions\/[\w-]+$/);
  assert.match(answer, /a=sendonly/);
  assert.match(answer, /a=ssrc:\d+ cname:/);
  assert.match(answer, /a=rtcp-fb:\d+ nack pli\r\n/);
  const ok = await waitFor(async () => bot.videoFrames() >= MIN_FRAMES && (await bot.inboundPackets()).audio > 0, MEDIA_TIMEOUT_MS);
  assert.ok(ok, `frames ${bot.videoFrames()}, packets ${JSON.stringify(await bot.inboundPackets())}`);
  const [video] = [...bot.receivedVideo.values()];
  assert.equal(video?.width, 320);
  assert.equal(video?.streamId, 'live-cam', 'msid stream id from the path');
  console.log(`# join → ${MIN_FRAMES} frames: ${Date.now() - started} ms`);
  assert.equal((await fetch(`${server.url}${location}`, { method: 'DELETE' })).status, 200);
  assert.equal((await fetch(`${server.url}${location}`, { method: 'DELETE' })).status, 404);
  assert.ok(await waitFor(() => bot.pc.connectionState !== 'connected', 10_000), 'the viewer sees the session end');
});

test('with auth.secret: no token → 401; a token for another stream → 401; a { stream } token → 201', async () => {
  const key = (claims: Record<string, unknown>): Promise<string> => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
  await publish(authed.url, 'live/cam', { Authorization: `Bearer ${await key({ stream: 'live/cam', publish: true })}` });
  const none = await whepView(`${authed.url}/whep/live/cam`);
  assert.equal(none.res.status, 401);
  const other = await whepView(`${authed.url}/whep/live/cam`, { Authorization: `Bearer ${await key({ stream: 'live/other' })}` });
  assert.equal(other.res.status, 401);
  const ok = await whepView(`${authed.url}/whep/live/cam`, { Authorization: `Bearer ${await key({ stream: 'live/cam' })}` });
  assert.equal(ok.res.status, 201);
});
