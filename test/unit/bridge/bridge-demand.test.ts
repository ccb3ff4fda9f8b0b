import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeDemand } from '../../../server/bridge/BridgeDemand.js';

const LINGER_MS = 10_000;

function demand(): { d: BridgeDemand; idle: string[] } {
  const idle: string[] = [];
  return { d: new BridgeDemand({ lingerMs: LINGER_MS, onIdle: (p) => idle.push(p) }), idle };
}

test('BridgeDemand: the last viewer leaving makes the path idle after lingerMs, not before', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { d, idle } = demand();
  d.join('live/a');
  d.join('live/a');
  d.leave('live/a');
  t.mock.timers.tick(LINGER_MS * 2);
  assert.deepEqual(idle, [], 'one viewer is still there');
  d.leave('live/a');
  assert.equal(d.lingering('live/a'), true);
  t.mock.timers.tick(LINGER_MS - 1);
  assert.deepEqual(idle, []);
  t.mock.timers.tick(1);
  assert.deepEqual(idle, ['live/a']);
  assert.equal(d.viewers('live/a'), 0);
  assert.equal(d.lingering('live/a'), false);
});

test('BridgeDemand: a viewer joining during the linger time cancels the idle', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { d, idle } = demand();
  d.join('live/a');
  d.leave('live/a');
  t.mock.timers.tick(LINGER_MS / 2);
  d.join('live/a');
  t.mock.timers.tick(LINGER_MS * 2);
  assert.deepEqual(idle, []);
  d.leave('live/a');
  t.mock.timers.tick(LINGER_MS);
  assert.deepEqual(idle, ['live/a']);
});

test('BridgeDemand: touch() idles a started path nobody joined; paths are counted apart', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { d, idle } = demand();
  d.touch('live/a');
  d.join('live/b');
  d.touch('live/b'); // has a viewer: no timer
  t.mock.timers.tick(LINGER_MS);
  assert.deepEqual(idle, ['live/a']);
  assert.equal(d.viewers('live/b'), 1);
});

test('BridgeDemand: extra leaves are ignored; close() cancels every timer', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { d, idle } = demand();
  d.leave('live/a');
  d.join('live/a');
  d.leave('live/a');
  d.leave('live/a');
  assert.equal(d.viewers('live/a'), 0);
  d.close();
  t.mock.timers.tick(LINGER_MS * 2);
  assert.deepEqual(idle, []);
  assert.equal(d.join('live/a'), false);
});

test('new BridgeDemand() with a negative lingerMs throws TypeError', () => {
  assert.throws(() => new BridgeDemand({ lingerMs: -1, onIdle: () => {} }), TypeError);
});

