import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SignJWT } from 'jose';
import { buildConfig } from '../../../server/config.js';
import { startServer, type EstuaryServer } from '../../../server/server.js';
import { exitWithoutTeardown, postSdp } from '../../helpers/webrtc-streams.js';
import { waitFor, WrtcBot } from '../../helpers/wrtc-bot.js';

/**
 * WHIP request handling (RFC 9725) on a real server (gateway off) with @roamhq/wrtc publishers:
 * 201 + Location + ETag + answer, 400/415/409/404/401, OPTIONS/CORS, trickle PATCH, DELETE.
 */

const SECRET = 'whip-test-secret-0123456789';
const MEDIA_TIMEOUT_MS = 15_000;
let open: EstuaryServer & { url: string };
let authed: EstuaryServer & { url: string };

async function start(extra: Record<string, unknown>): Promise<EstuaryServer & { url: string }> {
  const port = 50_000 + Math.floor(Math.random() * 10_000);
  const config = buildConfig({ http: { host: '127.0.0.1', corsOrigins: ['https://app.example'] }, webrtc: { listenIp: '127.0.0.1', port }, gateway: { enabled: false }, ...extra }, {});
  config.http.port = 0;
  const server = await startServer(config);
  return Object.assign(server, { url: `http://127.0.0.1:${server.port}` });
}

async function publisherOffer(): Promise<{ bot: WrtcBot; offer: string }> {
  const bot = new WrtcBot({ width: 320, height: 240, fps: 15 });
  bot.addSyntheticVideo();
  bot.addSyntheticAudio();
  return { bot, offer: await bot.offer() };
}

function post(base: string, path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return postSdp(`${base}${path}`, body, headers);
}

const VP9_ONLY = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0', 'm=video 9 UDP/TLS/RTP/SAVPF 98', 'c=IN IP4 0.0.0.0', 'a=mid:0', 'a=sendonly', 'a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuvwx', 'a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF', 'a=setup:actpass', 'a=rtcp-mux', 'a=rtpmap:98 VP9/90000', ''].join('\r\n');

before(async () => {
  open = await start({});
  authed = await start({ auth: { secret: SECRET } });
});

after(() => exitWithoutTeardown());

test('OPTIONS preflight answers 204 with the allowed methods, headers and exposed Location/ETag/Link', async () => {
  const res = await fetch(`${open.url}/whip/live/cam`, { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' } });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST.*PATCH.*DELETE/);
  assert.match(res.headers.get('access-control-allow-headers') ?? '', /Authorization/);
  assert.match(res.headers.get('access-control-expose-headers') ?? '', /Location.*ETag.*Link/);
  assert.equal(res.headers.get('accept-post'), 'application/sdp');
  const other = await fetch(`${open.url}/whip/live/cam`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example' } });
  assert.equal(other.headers.get('access-control-allow-origin'), null);
});

test('a body that is not application/sdp → 415; malformed SDP → 400 with a reason; no usable codec → 415', async () => {
  const wrongType = await fetch(`${open.url}/whip/live/cam`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
  assert.equal(wrongType.status, 415);
  const malformed = await post(open.url, '/whip/live/cam', 'hello');
  assert.equal(malformed.status, 400);
  assert.match(((await malformed.json()) as { error: { message: string } }).error.message, /malformed SDP/);
  const vp9 = await post(open.url, '/whip/live/cam', VP9_ONLY);
  assert.equal(vp9.status, 415);
  assert.equal(((await vp9.json()) as { error: { code: string } }).error.code, 'unsupported');
  const badPath = await post(open.url, '/whip/live/b@d', VP9_ONLY);
  assert.equal(badPath.status, 400);
});

test('POST an offer → 201 with Location, ETag and an answer the publisher applies; media flows; a second publish → 409', async () => {
  const { bot, offer } = await publisherOffer();
  const res = await post(open.url, '/whip/live/cam', offer, { Origin: 'https://app.example' });
  assert.equal(res.status, 201);
  assert.match(res.headers.get('content-type') ?? '', /^application\/sdp/);
  const location = res.headers.get('location') ?? '';
  assert.match(location, /^\/whip\/sessions\/[\w-]+$/);
  assert.match(res.headers.get('etag') ?? '', /^".+"$/);
  const answer = await res.text();
  assert.match(answer, /m=video 9 .*\r\n[\s\S]*a=recvonly/);
  assert.match(answer, /m=audio 9 /);
  // Feedback is answered so that NACK and PLI flow (and mediasoup's TWCC estimate toward the publisher).
  assert.match(answer, /a=rtcp-fb:\d+ nack\r\n/);
  assert.match(answer, /a=rtcp-fb:\d+ nack pli\r\n/);
  await bot.applyAnswer(answer);
  assert.ok(await waitFor(async () => (await bot.outboundPackets()).video > 20, MEDIA_TIMEOUT_MS), 'the publisher sends video');

  const { offer: offer2 } = await publisherOffer();
  const conflict = await post(open.url, '/whip/live/cam', offer2);
  assert.equal(conflict.status, 409);

  // Trickle ICE: a candidate with If-Match → 204; no If-Match → 412; an ICE restart → 200 with new server credentials and a new ETag.
  const etag = res.headers.get('etag') ?? '';
  const frag = 'a=mid:0\r\na=candidate:1 1 UDP 2122260223 127.0.0.1 50999 typ host\r\n';
  const patch = (body: string, headers: Record<string, string>): Promise<Response> => fetch(`${open.url}${location}`, { method: 'PATCH', body, headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', ...headers } });
  assert.equal((await patch(frag, { 'If-Match': etag })).status, 204);
  assert.equal((await patch(frag, {})).status, 412);
  assert.equal((await patch(frag, { 'If-Match': '"other"' })).status, 412);
  const restart = await patch('a=ice-ufrag:newu\r\na=ice-pwd:newpasswordnewpassword12\r\n' + frag, { 'If-Match': '*' });
  assert.equal(restart.status, 200);
  assert.equal(restart.headers.get('content-type'), 'application/trickle-ice-sdpfrag; charset=utf-8');
  const restartFrag = await restart.text();
  const serverUfrag = /a=ice-ufrag:(\S+)/.exec(answer)?.[1];
  const newUfrag = /a=ice-ufrag:(\S+)/.exec(restartFrag)?.[1];
  assert.ok(newUfrag && newUfrag !== serverUfrag, restartFrag);
  assert.match(restartFrag, /a=candidate:.* typ host/);
  assert.notEqual(restart.headers.get('etag'), etag);
  // The same ufrag again is no restart: a plain trickle.
  assert.equal((await patch('a=ice-ufrag:newu\r\n' + frag, { 'If-Match': '*' })).status, 204);

  const del = await fetch(`${open.url}${location}`, { method: 'DELETE' });
  assert.equal(del.status, 200);
  assert.equal((await fetch(`${open.url}${location}`, { method: 'DELETE' })).status, 404);
  // The name is free again.
  const { offer: offer3 } = await publisherOffer();
  const again = await post(open.url, '/whip/live/cam', offer3);
  assert.equal(again.status, 201);
  await fetch(`${open.url}${again.headers.get('location') ?? ''}`, { method: 'DELETE' });
});

test('with auth.secret: no token → 401 with WWW-Authenticate; a play-only token → 401; a publish key for the stream → 201', async () => {
  const { offer } = await publisherOffer();
  const none = await post(authed.url, '/whip/live/cam', offer);
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
  const key = (claims: Record<string, unknown>): Promise<string> => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
  const playOnly = await post(authed.url, '/whip/live/cam', offer, { Authorization: `Bearer ${await key({ stream: 'live/cam' })}` });
  assert.equal(playOnly.status, 401);
  const other = await post(authed.url, '/whip/live/cam', offer, { Authorization: `Bearer ${await key({ stream: 'live/other', publish: true })}` });
  assert.equal(other.status, 401);
  const ok = await post(authed.url, '/whip/live/cam', offer, { Authorization: `Bearer ${await key({ stream: 'live/*', publish: true })}` });
  assert.equal(ok.status, 201);
  await fetch(`${authed.url}${ok.headers.get('location') ?? ''}`, { method: 'DELETE' });
});
