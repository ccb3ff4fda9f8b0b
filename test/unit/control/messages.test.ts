import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkEnvelope,
  checkGatewayNotification,
  checkGatewayRequest,
  checkRequestResult,
  checkServerNotification,
  MAX_PATH_LENGTH,
} from '../../../protocol/control/messages.js';

const good = {
  streamPublished: { path: 'live/demo', origin: 'rtmp', tracks: [{ type: 'video', codec: 'h264', width: 320, height: 240 }, { type: 'audio', codec: 'aac', sampleRate: 44100, channels: 2 }], remoteAddress: '127.0.0.1:5000', startedAt: 1 },
  streamStats: { streams: [{ path: 'room/abc/peer-1', bitrate: 1000, readers: { flv: 2, rtmp: 1 }, drops: 0 }] },
  streamUnpublished: { path: 'live/demo', reason: 'eof' },
};

test('valid gateway notifications pass and come back typed', () => {
  for (const [method, params] of Object.entries(good)) {
    const r = checkGatewayNotification(method, params);
    assert.equal(r.ok, true, `${method}: ${!r.ok && r.reason}`);
  }
});

const bad: [string, string, unknown][] = [
  ['path with ..', 'streamUnpublished', { path: 'live/../etc', reason: 'x' }],
  ['path with a leading slash', 'streamUnpublished', { path: '/live/demo', reason: 'x' }],
  ['path with a space', 'streamUnpublished', { path: 'live/de mo', reason: 'x' }],
  ['path too long', 'streamUnpublished', { path: 'a'.repeat(MAX_PATH_LENGTH + 1), reason: 'x' }],
  ['unknown codec', 'streamTracks', { path: 'live/demo', tracks: [{ type: 'video', codec: 'mpeg2' }] }],
  ['negative drops', 'streamStats', { streams: [{ path: 'live/demo', bitrate: 1, readers: {}, drops: -1 }] }],
  ['unknown reader protocol', 'streamStats', { streams: [{ path: 'live/demo', bitrate: 1, readers: { smtp: 1 }, drops: 0 }] }],
  ['unknown method', 'formatDisk', {}],
  ['prototype key as method', '__proto__', {}],
];

for (const [name, method, params] of bad) {
  test(`a gateway notification with ${name} is refused`, () => {
    assert.equal(checkGatewayNotification(method, params).ok, false);
  });
}

test('envelopes: request, response and notify parse; others are refused', () => {
  assert.equal(checkEnvelope({ kind: 'request', id: 1, method: 'authorizePlay', params: {} }).ok, true);
  assert.equal(checkEnvelope({ kind: 'response', id: 1, result: { allow: true } }).ok, true);
  assert.equal(checkEnvelope({ kind: 'notify', method: 'x', params: null }).ok, true);
  for (const raw of [undefined, [], { kind: 'request', id: -1, method: 'a', params: {} }, { kind: 'request', id: 1.5, method: 'a' }, { kind: 'shout' }]) {
    assert.equal(checkEnvelope(raw).ok, false, JSON.stringify(raw));
  }
});

test('authorize requests and results are checked against their schemas', () => {
  assert.equal(checkGatewayRequest('authorizePublish', { path: 'live/demo', query: 'key=x', remoteAddress: '1.2.3.4', protocol: 'rtmp' }).ok, true);
  assert.equal(checkGatewayRequest('authorizePublish', { path: 'live/demo', query: 'x'.repeat(10_000), remoteAddress: '1.2.3.4', protocol: 'rtmp' }).ok, false);
  const denied = checkRequestResult('authorizePublish', { allow: false, code: 'conflict', reason: 'live' });
  assert.deepEqual(denied, { ok: true, value: { allow: false, code: 'conflict', reason: 'live' } });
  assert.equal(checkRequestResult('authorizePublish', { allow: false }).ok, false);
});

test('server notifications: config and kickStream', () => {
  const config = { workerId: 0, logLevel: 'info', rtmp: { enabled: true, host: '0.0.0.0', port: 1935 }, flv: { enabled: true, host: '0.0.0.0', port: 8088 }, hls: { enabled: false }, statsIntervalMs: 2000, relayToken: 'r'.repeat(32) };
  assert.equal(checkServerNotification('config', config).ok, true);
  assert.equal(checkServerNotification('config', { ...config, rtmp: { ...config.rtmp, port: 70000 } }).ok, false);
  assert.equal(checkServerNotification('kickStream', { path: 'live/demo', reason: 'api' }).ok, true);
});
