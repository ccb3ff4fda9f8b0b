import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { getJson, killChildren, probe, publish, readFlv, startTestServer, waitFor, type TestServer } from './gateway-helpers.js';

const SECRET = 'integration-secret-0123456789abcdef';
const sign = (claims: Record<string, unknown>): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));

let t: TestServer;
let hook: http.Server;
const hookCalls: { action: string; path: string }[] = [];

before(async () => {
  // An onPublish callback that refuses live/blocked and accepts the rest.
  hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const call = JSON.parse(body) as { action: string; path: string; query: string };
      hookCalls.push(call);
      const refuse = call.path === 'live/blocked' || (call.action === 'play' && new URLSearchParams(call.query).get('ticket') !== 'ok');
      res.writeHead(refuse ? 403 : 200).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  t = await startTestServer({ auth: { secret: SECRET }, publish: { onPublish: hookUrl, onPlay: hookUrl } });
});

after(async () => {
  killChildren();
  await t?.server.close();
  hook?.closeAllConnections();
  await new Promise((r) => hook?.close(r));
});

test('with auth.secret, the streams API needs an admin bearer token', async () => {
  assert.equal((await getJson(`${t.http}/api/v1/streams`)).status, 401);
  const notAdmin = await sign({ stream: 'live/*', publish: true });
  assert.equal((await getJson(`${t.http}/api/v1/streams`, { authorization: `Bearer ${notAdmin}` })).status, 401);
  const admin = await sign({ admin: true });
  assert.equal((await getJson(`${t.http}/api/v1/streams`, { authorization: `Bearer ${admin}` })).status, 200);
});

test('with auth.secret, a publish without a key is refused', async () => {
  const p = publish(`${t.rtmp}/live/nokey`, 10);
  const code = await Promise.race([p.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 10_000))]);
  assert.notEqual(code, 'running');
  assert.notEqual(code, 0);
  const admin = await sign({ admin: true });
  assert.equal((await getJson(`${t.http}/api/v1/streams/live/nokey`, { authorization: `Bearer ${admin}` })).status, 404);
});

test('a publish with a key for another stream is refused; with a good key in the stream name it is accepted', async () => {
  const wrong = publish(`${t.rtmp}/live/keyed?key=${await sign({ stream: 'live/other', publish: true })}`, 10);
  assert.notEqual(await Promise.race([wrong.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 10_000))]), 'running');
  publish(`${t.rtmp}/live/keyed?key=${await sign({ stream: 'live/*', publish: true })}`, 30);
  const admin = await sign({ admin: true });
  const entry = await waitFor('live/keyed in the registry', async () => {
    const r = await getJson(`${t.http}/api/v1/streams/live/keyed`, { authorization: `Bearer ${admin}` });
    return r.status === 200 ? (r.body as { origin: string }) : undefined;
  });
  assert.equal(entry.origin, 'rtmp');
  assert.ok(hookCalls.some((c) => c.action === 'publish' && c.path === 'live/keyed'), 'onPublish was called');
});

test('an onPublish callback answering 403 refuses a publish that has a good key', async () => {
  const p = publish(`${t.rtmp}/live/blocked?key=${await sign({ stream: 'live/blocked', publish: true })}`, 10);
  const code = await Promise.race([p.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 10_000))]);
  assert.notEqual(code, 'running');
  assert.ok(hookCalls.some((c) => c.path === 'live/blocked'));
});

test('an onPlay callback decides HTTP-FLV and RTMP plays: 403 / StreamNotFound when it refuses', async () => {
  publish(`${t.rtmp}/live/play?key=${await sign({ stream: 'live/play', publish: true })}`, 30);
  const admin = await sign({ admin: true });
  await waitFor('live/play published', async () => (await getJson(`${t.http}/api/v1/streams/live/play`, { authorization: `Bearer ${admin}` })).status === 200);
  const refused = await fetch(`${t.flv}/live/play.flv`, { signal: AbortSignal.timeout(5000) });
  assert.equal(refused.status, 403);
  await refused.arrayBuffer();
  const { status, tags } = await readFlv(`${t.flv}/live/play.flv?ticket=ok`, (tags) => tags.length > 5);
  assert.equal(status, 200);
  assert.ok(tags.length > 5);
  await assert.rejects(probe(`${t.rtmp}/live/play`, 10_000));
  const streams = await probe(`${t.rtmp}/live/play?ticket=ok`);
  assert.ok(streams.some((s) => s.codec_name === 'h264'));
  assert.ok(hookCalls.some((c) => c.action === 'play' && c.path === 'live/play'));
});
