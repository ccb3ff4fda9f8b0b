import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { AccessUnit, TrackInfo } from '../../../protocol/media/access-unit.js';
import { FlvTagReader } from '../../../protocol/flv/tag-reader.js';
import { FlvTagType, type FlvTag } from '../../../protocol/flv/tag.js';
import { parseVideoTag } from '../../../protocol/flv/video.js';
import { Hub } from '../../../gateway/hub/hub.js';
import { READER_QUEUE_MAX_UNITS } from '../../../gateway/hub/reader.js';
import { FlvViewer } from '../../../gateway/flv/flv-viewer.js';
import type { ByteSink } from '../../../gateway/flv/byte-sink.js';

const VIDEO: TrackInfo = { type: 'video', codec: 'h264', width: 320, height: 240, config: new Uint8Array([1, 0x42, 0xc0, 0x1e, 0xff, 0xe0, 0x00]) };
const AUDIO: TrackInfo = { type: 'audio', codec: 'aac', sampleRate: 44100, channels: 2, config: new Uint8Array([0x12, 0x10]) };
const silent = pino({ level: 'silent' });

function unit(type: 'video' | 'audio', ms: number, keyframe = false): AccessUnit {
  return { type, codec: type === 'video' ? 'h264' : 'aac', pts: ms * 90, dts: ms * 90, keyframe: type === 'audio' || keyframe, data: new Uint8Array(50) };
}

/** A sink that records bytes and accepts until `accepting` is set to false. */
function recordingSink(): ByteSink & { bytes: Buffer[]; accepting: boolean; drain(): void; ended: boolean } {
  let onDrain: (() => void) | null = null;
  const sink = {
    bytes: [] as Buffer[],
    accepting: true,
    ended: false,
    write(chunks: readonly Uint8Array[]) {
      sink.bytes.push(Buffer.concat(chunks));
      return sink.accepting;
    },
    onDrain(l: () => void) {
      onDrain = l;
    },
    end() {
      sink.ended = true;
    },
    drain() {
      sink.accepting = true;
      const l = onDrain;
      onDrain = null;
      l?.();
    },
  };
  return sink;
}

function setup(): { hub: Hub; publish: (u: AccessUnit) => void; viewer: FlvViewer; sink: ReturnType<typeof recordingSink>; tags: () => FlvTag[] } {
  const hub = new Hub();
  const stream = hub.publish('live/v', 'rtmp', { remoteAddress: 'x', close: () => {} });
  stream.setTrack(VIDEO);
  stream.setTrack(AUDIO);
  // A GOP that started 10 s into the stream: the viewer's timestamps start at 0.
  stream.pushUnit(unit('video', 10_000, true));
  stream.pushUnit(unit('audio', 10_010));
  const sink = recordingSink();
  const viewer = new FlvViewer({ remoteAddress: 'test', sink, log: silent, onClosed: () => {} });
  viewer.start(stream, 'flv');
  return { hub, publish: (u) => stream.pushUnit(u), viewer, sink, tags: () => new FlvTagReader().push(Buffer.concat(sink.bytes)) };
}

test('a viewer gets the FLV header, sequence headers and the cached GOP rebased to 0, then live tags', () => {
  const { publish, tags } = setup();
  publish(unit('video', 10_040));
  const got = tags();
  assert.deepEqual(got.map((t) => t.type), [FlvTagType.Video, FlvTagType.Audio, FlvTagType.Video, FlvTagType.Audio, FlvTagType.Video]);
  assert.equal(parseVideoTag(got[0]!.data).packet, 'sequenceStart');
  assert.equal(parseVideoTag(got[2]!.data).keyframe, true);
  assert.deepEqual(got.slice(2).map((t) => t.timestamp), [0, 10, 40]);
});

test('a viewer whose sink is behind writes nothing more, drops to the next keyframe, and resumes there after drain', () => {
  const { publish, sink, viewer, tags } = setup();
  sink.accepting = false;
  publish(unit('video', 10_040)); // this write is refused: the viewer now waits for drain
  const writes = sink.bytes.length;
  for (let i = 0; i < READER_QUEUE_MAX_UNITS + 100; i++) publish(unit('video', 10_080 + i * 40));
  assert.equal(sink.bytes.length, writes, 'nothing written while the sink is behind');
  const key = 10_080 + (READER_QUEUE_MAX_UNITS + 100) * 40;
  publish(unit('video', key, true));
  sink.drain();
  const got = tags();
  const last = got[got.length - 1]!;
  assert.equal(parseVideoTag(last.data).keyframe, true, 'resumed on the keyframe');
  assert.equal(last.timestamp, key - 10_000);
  assert.equal(viewer.closed, false);
});

test('viewer.close() detaches from the stream and ends the sink once', () => {
  const { hub, viewer, sink } = setup();
  const stream = hub.getStream('live/v')!;
  assert.equal(stream.readerCount, 1);
  viewer.close('test');
  viewer.close('again');
  assert.equal(stream.readerCount, 0);
  assert.equal(sink.ended, true);
});

test('the stream ending closes its viewers', () => {
  const { hub, viewer, sink } = setup();
  hub.kick('live/v', 'publisher gone');
  assert.equal(viewer.closed, true);
  assert.equal(sink.ended, true);
});
