import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessUnit, TrackInfo } from '../../../protocol/media/access-unit.js';
import { Hub, StreamConflictError } from '../../../gateway/hub/hub.js';
import { GopCache, GOP_CACHE_MAX_UNITS } from '../../../gateway/hub/gop-cache.js';
import { READER_QUEUE_MAX_BYTES, READER_QUEUE_MAX_UNITS, type ReaderItem } from '../../../gateway/hub/reader.js';
import type { Stream } from '../../../gateway/hub/stream.js';

const VIDEO: TrackInfo = { type: 'video', codec: 'h264', width: 320, height: 240, config: new Uint8Array([1, 2, 3]) };
const AUDIO: TrackInfo = { type: 'audio', codec: 'aac', sampleRate: 44100, channels: 2, config: new Uint8Array([0x12, 0x10]) };

let clock = 0;
function video(keyframe: boolean, size = 100): AccessUnit {
  clock += 3000;
  return { type: 'video', codec: 'h264', pts: clock, dts: clock, keyframe, data: new Uint8Array(size) };
}
function audio(size = 10): AccessUnit {
  return { type: 'audio', codec: 'aac', pts: clock, dts: clock, keyframe: true, data: new Uint8Array(size) };
}

function newStream(hub = new Hub()): { hub: Hub; stream: Stream; closedBy: string[] } {
  const closedBy: string[] = [];
  const stream = hub.publish('live/test', 'rtmp', { remoteAddress: '127.0.0.1', close: (r) => closedBy.push(r) });
  stream.setTrack(VIDEO);
  stream.setTrack(AUDIO);
  return { hub, stream, closedBy };
}

function units(items: (ReaderItem | undefined)[]): AccessUnit[] {
  return items.flatMap((i) => (i?.kind === 'unit' ? [i.unit] : []));
}

function drain(reader: { shift(): ReaderItem | undefined }): ReaderItem[] {
  const out: ReaderItem[] = [];
  for (let item = reader.shift(); item; item = reader.shift()) out.push(item);
  return out;
}

test('a late reader starts with the track set and the cached GOP, whose first unit is a keyframe', () => {
  const { stream } = newStream();
  stream.pushUnit(video(false)); // before any keyframe: not cached
  stream.pushUnit(video(true));
  stream.pushUnit(audio());
  stream.pushUnit(video(false));
  const reader = stream.subscribe('flv', '127.0.0.1', { onReadable: () => {}, onClose: () => {} });
  const items = drain(reader);
  assert.equal(items[0]?.kind, 'tracks');
  assert.deepEqual(items[0]?.kind === 'tracks' ? items[0].tracks.map((t) => t.type) : [], ['video', 'audio']);
  const got = units(items);
  assert.equal(got.length, 3);
  assert.equal(got[0]?.type, 'video');
  assert.equal(got[0]?.keyframe, true);
});

test('the GOP cache is replaced at each video keyframe', () => {
  const cache = new GopCache();
  cache.push(video(true));
  cache.push(video(false));
  cache.push(audio());
  assert.equal(cache.units.length, 3);
  const key = video(true);
  cache.push(key);
  assert.equal(cache.units.length, 1);
  assert.equal(cache.units[0], key);
});

test('a GOP longer than the cache bound empties the cache until the next keyframe', () => {
  const cache = new GopCache();
  cache.push(video(true));
  for (let i = 0; i < GOP_CACHE_MAX_UNITS + 10; i++) cache.push(video(false, 1));
  assert.equal(cache.units.length, 0);
  cache.push(video(false));
  assert.equal(cache.units.length, 0);
  cache.push(video(true));
  assert.equal(cache.units.length, 1);
});

test('a full reader drops every unit until the next keyframe, counts them, and resumes on the keyframe', () => {
  const { stream } = newStream();
  stream.pushUnit(video(true));
  const reader = stream.subscribe('flv', '127.0.0.1', { onReadable: () => {}, onClose: () => {} });
  for (let i = 0; i < READER_QUEUE_MAX_UNITS * 2; i++) stream.pushUnit(i % 3 === 0 ? audio() : video(false));
  assert.ok(reader.queuedUnits <= READER_QUEUE_MAX_UNITS);
  const dropsBefore = reader.drops;
  assert.ok(dropsBefore >= READER_QUEUE_MAX_UNITS - 2, `drops ${dropsBefore}`);
  const key = video(true);
  stream.pushUnit(key);
  const after = audio();
  stream.pushUnit(after);
  const got = units(drain(reader));
  // The stale queue was discarded for the keyframe: the reader resumes on it.
  assert.equal(got[0], key);
  assert.equal(got[1], after);
  assert.equal(stream.drops, reader.drops);
  assert.ok(reader.drops > dropsBefore);
});

test('a reader that drains in time loses nothing', () => {
  const { stream } = newStream();
  const got: AccessUnit[] = [];
  const reader = stream.subscribe('flv', '127.0.0.1', { onReadable: () => got.push(...units(drain(reader))), onClose: () => {} });
  drain(reader);
  const pushed = [video(true), audio(), video(false), audio(), video(true)];
  for (const u of pushed) stream.pushUnit(u);
  assert.deepEqual(got, pushed);
  assert.equal(reader.drops, 0);
});

test('a reader that never reads holds bounded memory however long the publisher runs', () => {
  const { stream } = newStream();
  const reader = stream.subscribe('flv', '127.0.0.1', { onReadable: () => {}, onClose: () => {} });
  for (let i = 0; i < 20_000; i++) stream.pushUnit(video(i % 50 === 0, 4000));
  assert.ok(reader.queuedUnits <= READER_QUEUE_MAX_UNITS);
  assert.ok(reader.queuedBytes <= READER_QUEUE_MAX_BYTES);
  assert.ok(reader.drops > 15_000);
});

test('repeated track changes to a stalled reader do not grow its queue', () => {
  const { stream } = newStream();
  const reader = stream.subscribe('flv', '127.0.0.1', { onReadable: () => {}, onClose: () => {} });
  for (let i = 0; i < 5000; i++) stream.setTrack({ ...VIDEO, config: new Uint8Array([i & 0xff, i >> 8]) });
  assert.ok(reader.queuedUnits <= 2, `queued ${reader.queuedUnits}`);
});

test('hub.publish() on a live path throws StreamConflictError; with takeover the old publisher is closed', () => {
  const { hub, stream, closedBy } = newStream();
  assert.throws(() => hub.publish('live/test', 'rtmp', { remoteAddress: 'x', close: () => {} }), StreamConflictError);
  const readerClosed: string[] = [];
  stream.subscribe('rtmp', '127.0.0.1', { onReadable: () => {}, onClose: (r) => readerClosed.push(r) });
  const next = hub.publish('live/test', 'rtmp', { remoteAddress: 'y', close: () => {} }, { takeover: true });
  assert.notEqual(next, stream);
  assert.equal(hub.getStream('live/test'), next);
  assert.equal(closedBy.length, 1);
  assert.equal(readerClosed.length, 1);
  assert.equal(stream.closed, true);
});

test('hub.unpublish() closes the readers and tells observers; a stale stream is ignored', () => {
  const hub = new Hub();
  const events: string[] = [];
  hub.observe({
    onPublished: (s) => events.push(`pub ${s.path}`),
    onUnpublished: (s, r) => events.push(`unpub ${s.path} ${r}`),
    onTracks: (s) => events.push(`tracks ${s.tracks.length}`),
  });
  const { stream } = newStream(hub);
  let closeReason = '';
  stream.subscribe('flv', '1.2.3.4', { onReadable: () => {}, onClose: (r) => (closeReason = r) });
  assert.deepEqual(stream.readerCounts(), { flv: 1 });
  hub.unpublish(stream, 'eof');
  hub.unpublish(stream, 'again');
  assert.equal(closeReason, 'eof');
  assert.equal(hub.size, 0);
  assert.deepEqual(events, ['pub live/test', 'tracks 1', 'tracks 2', 'unpub live/test eof']);
  assert.equal(hub.subscribe('live/test', 'flv', 'x', { onReadable: () => {}, onClose: () => {} }), undefined);
});
