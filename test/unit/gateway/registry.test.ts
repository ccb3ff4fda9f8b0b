import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamRegistry } from '../../../server/gateway/registry.js';

const published = (path: string) => ({ path, origin: 'rtmp' as const, tracks: [], remoteAddress: '127.0.0.1:5000', startedAt: Date.now() });

test('registry.removeWorker() unpublishes only that worker\'s streams and says how many', () => {
  const r = new StreamRegistry();
  const gone: string[] = [];
  r.on('unpublished', (e, reason) => gone.push(`${e.path} ${reason}`));
  r.add(0, published('live/a'));
  r.add(0, published('live/b'));
  r.add(1, published('live/c'));
  assert.equal(r.removeWorker(0, 'worker exited'), 2);
  assert.deepEqual(r.list().map((e) => e.path), ['live/c']);
  assert.deepEqual(gone.sort(), ['live/a worker exited', 'live/b worker exited']);
});

test('a worker cannot update or remove a stream another worker owns', () => {
  const r = new StreamRegistry();
  r.add(1, published('live/a'));
  r.applyStats(0, { streams: [{ path: 'live/a', bitrate: 999, readers: { flv: 3 }, drops: 7 }] });
  r.setTracks(0, { path: 'live/a', tracks: [{ type: 'audio', codec: 'aac', sampleRate: 48000, channels: 2 }] });
  r.remove(0, 'live/a', 'nope');
  const e = r.get('live/a');
  assert.ok(e);
  assert.equal(e.bitrate, 0);
  assert.deepEqual(e.tracks, []);
  r.applyStats(1, { streams: [{ path: 'live/a', bitrate: 999, readers: { flv: 3 }, drops: 7 }] });
  assert.deepEqual([e.bitrate, e.readers, e.drops], [999, { flv: 3 }, 7]);
});

test('a takeover replaces the entry and emits unpublished for the old one', () => {
  const r = new StreamRegistry();
  const events: string[] = [];
  r.on('published', (e) => events.push(`pub ${e.worker}`));
  r.on('unpublished', (e, reason) => events.push(`unpub ${e.worker} ${reason}`));
  r.add(0, published('live/a'));
  r.add(1, published('live/a'));
  assert.equal(r.get('live/a')?.worker, 1);
  assert.deepEqual(events, ['pub 0', 'unpub 0 taken over', 'pub 1']);
});
