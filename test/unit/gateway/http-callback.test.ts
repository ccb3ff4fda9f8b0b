import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { callHook } from '../../../server/gateway/http-callback.js';

let server: http.Server;
let base: string;
const bodies: unknown[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(body));
      if (req.url === '/ok') res.writeHead(204).end();
      else if (req.url === '/no') res.writeHead(403).end('go away');
      // '/slow': never answers
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const body = { action: 'publish' as const, path: 'live/demo', query: 'key=abc', remoteAddress: '1.2.3.4', protocol: 'rtmp' };

test('callHook() resolves null on 2xx and posts the JSON body', async () => {
  assert.equal(await callHook(`${base}/ok`, body), null);
  assert.deepEqual(bodies.at(-1), body);
});

test('callHook() refuses on non-2xx, naming the status', async () => {
  assert.match((await callHook(`${base}/no`, body)) ?? '', /403/);
});

test('callHook() refuses when the hook does not answer in time', async () => {
  const t0 = Date.now();
  assert.match((await callHook(`${base}/slow`, body, 150)) ?? '', /timed out/);
  assert.ok(Date.now() - t0 < 2000);
});

test('callHook() refuses when nothing listens', async () => {
  assert.match((await callHook('http://127.0.0.1:1/hook', body, 1000)) ?? '', /failed/);
});
