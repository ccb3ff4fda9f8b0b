import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Envelope } from '../../../protocol/control/messages.js';
import { ChannelError, ControlChannel, type ChannelTransport } from '../../../gateway/channel/control-channel.js';

/** An in-memory transport: what the worker sends is recorded; the test plays the server. */
function fakeTransport(): { transport: ChannelTransport; sent: Envelope[]; deliver(raw: unknown): void; close(): void } {
  const sent: Envelope[] = [];
  let onMessage: (raw: unknown) => void = () => {};
  let onClose: () => void = () => {};
  return {
    transport: { send: (m) => sent.push(m), onMessage: (l) => (onMessage = l), onClose: (l) => (onClose = l) },
    sent,
    deliver: (raw) => onMessage(raw),
    close: () => onClose(),
  };
}

const params = { path: 'live/demo', query: 'key=abc', remoteAddress: '127.0.0.1', protocol: 'rtmp' as const };

test('channel.request() resolves with the validated result of the response with its id', async () => {
  const t = fakeTransport();
  const ch = new ControlChannel(t.transport);
  const a = ch.request('authorizePublish', params);
  const b = ch.request('authorizePlay', { ...params, protocol: 'flv' });
  const [ra, rb] = t.sent;
  assert.equal(ra?.kind, 'request');
  assert.notEqual(ra?.kind === 'request' && ra.id, rb?.kind === 'request' && rb.id);
  // Answer out of order.
  t.deliver({ kind: 'response', id: rb?.kind === 'request' ? rb.id : -1, result: { allow: false, code: 'not_found', reason: 'no stream' } });
  t.deliver({ kind: 'response', id: ra?.kind === 'request' ? ra.id : -1, result: { allow: true } });
  assert.deepEqual(await a, { allow: true, takeover: false });
  assert.deepEqual(await b, { allow: false, code: 'not_found', reason: 'no stream' });
  assert.equal(ch.pendingCount, 0);
});

test('channel.request() rejects with ChannelError timeout when no response comes', async () => {
  const t = fakeTransport();
  const ch = new ControlChannel(t.transport, { timeoutMs: 30 });
  await assert.rejects(ch.request('authorizePublish', params), (err: unknown) => err instanceof ChannelError && err.code === 'timeout');
  assert.equal(ch.pendingCount, 0);
  // A late response to the timed-out id is dropped without effect.
  t.deliver({ kind: 'response', id: 1, result: { allow: true } });
});

test('closing the channel rejects every pending request and later requests', async () => {
  const t = fakeTransport();
  const ch = new ControlChannel(t.transport);
  let closed = 0;
  ch.onClose(() => closed++);
  const pending = [ch.request('authorizePublish', params), ch.request('authorizePlay', params)];
  t.close();
  for (const p of pending) await assert.rejects(p, (err: unknown) => err instanceof ChannelError && err.code === 'closed');
  await assert.rejects(ch.request('authorizePlay', params), ChannelError);
  ch.close();
  assert.equal(closed, 1);
});

test('a response whose result does not match the schema rejects the request as bad-response', async () => {
  const t = fakeTransport();
  const ch = new ControlChannel(t.transport);
  const p = ch.request('authorizePublish', params);
  t.deliver({ kind: 'response', id: 1, result: { allow: 'yes' } });
  await assert.rejects(p, (err: unknown) => err instanceof ChannelError && err.code === 'bad-response');
});

test('an error response rejects the request as remote', async () => {
  const t = fakeTransport();
  const ch = new ControlChannel(t.transport);
  const p = ch.request('authorizePublish', params);
  t.deliver({ kind: 'response', id: 1, error: { code: 'internal', message: 'boom' } });
  await assert.rejects(p, (err: unknown) => err instanceof ChannelError && err.code === 'remote');
});

test('bad messages are dropped and valid notifications delivered typed', () => {
  const t = fakeTransport();
  const ch = new ControlChannel(t.transport);
  const got: string[] = [];
  ch.onNotification((n) => got.push(n.method === 'kickStream' ? `kick ${n.params.path}` : n.method));
  for (const bad of [null, 42, 'x', { kind: 'nope' }, { kind: 'notify', method: 'kickStream', params: { path: '../etc' , reason: 'x' } }, { kind: 'notify', method: 'launchMissiles', params: {} }]) {
    t.deliver(bad);
  }
  t.deliver({ kind: 'notify', method: 'kickStream', params: { path: 'live/demo', reason: 'admin' } });
  assert.deepEqual(got, ['kick live/demo']);
});

test('channel.notify() sends a notify envelope; an unknown server request is answered with an error', () => {
  const t = fakeTransport();
  const ch = new ControlChannel(t.transport);
  ch.notify('streamUnpublished', { path: 'live/demo', reason: 'eof' });
  t.deliver({ kind: 'request', id: 7, method: 'whatever', params: {} });
  assert.deepEqual(t.sent[0], { kind: 'notify', method: 'streamUnpublished', params: { path: 'live/demo', reason: 'eof' } });
  assert.equal(t.sent[1]?.kind, 'response');
  assert.equal(t.sent[1]?.kind === 'response' && t.sent[1].error?.code, 'unsupported');
});
