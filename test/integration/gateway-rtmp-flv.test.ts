import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import WebSocket from 'ws';
import { FlvTagReader } from '../../protocol/flv/tag-reader.js';
import { FlvTagType, type FlvTag } from '../../protocol/flv/tag.js';
import { parseVideoTag } from '../../protocol/flv/video.js';
import { getJson, killChildren, probe, publish, readFlv, startTestServer, waitFor, type TestServer } from './gateway-helpers.js';

let t: TestServer;

before(async () => {
  t = await startTestServer();
  publish(`${t.rtmp}/live/test`, 90);
  await waitFor('the stream in the registry with both tracks', async () => {
    const { body } = await getJson(`${t.http}/api/v1/streams/live/test`);
    return (body as { tracks?: unknown[] }).tracks?.length === 2;
  });
});

after(async () => {
  killChildren();
  await t?.server.close();
});

interface ApiStream {
  path: string;
  origin: string;
  tracks: { type: string; codec: string; width?: number; height?: number; sampleRate?: number }[];
  bitrate: number;
  readers: Record<string, number>;
  startedAt: string;
}

test('GET /api/v1/streams lists the RTMP publish with h264 320x240 and aac, bitrate and start time', async () => {
  const { status, body } = await getJson(`${t.http}/api/v1/streams`);
  assert.equal(status, 200);
  const streams = (body as { streams: ApiStream[] }).streams;
  const s = streams.find((x) => x.path === 'live/test');
  assert.ok(s, 'live/test listed');
  assert.equal(s.origin, 'rtmp');
  assert.deepEqual(s.tracks.find((x) => x.type === 'video'), { type: 'video', codec: 'h264', width: 320, height: 240 });
  assert.equal(s.tracks.find((x) => x.type === 'audio')?.codec, 'aac');
  assert.equal(s.tracks.find((x) => x.type === 'audio')?.sampleRate, 44100);
  assert.ok(Date.now() - Date.parse(s.startedAt) < 120_000);
  const withBitrate = await waitFor('a bitrate figure', async () => {
    const r = (await getJson(`${t.http}/api/v1/streams/live/test`)).body as ApiStream;
    return r.bitrate > 0 ? r : undefined;
  });
  assert.ok(withBitrate.bitrate > 10_000 && withBitrate.bitrate < 10_000_000, `bitrate ${withBitrate.bitrate}`);
});

test('GET /api/v1/streams/<unknown> answers 404 JSON', async () => {
  const { status, body } = await getJson(`${t.http}/api/v1/streams/live/nope`);
  assert.equal(status, 404);
  assert.equal((body as { error: { code: string } }).error.code, 'not_found');
});

test('ffprobe finds h264 320x240 and aac over HTTP-FLV and over RTMP play', async () => {
  for (const url of [`${t.flv}/live/test.flv`, `${t.rtmp}/live/test`]) {
    const streams = await probe(url);
    const v = streams.find((s) => s.codec_name === 'h264');
    assert.ok(v, `h264 in ${url}`);
    assert.equal(v.width, 320);
    assert.equal(v.height, 240);
    assert.ok(streams.some((s) => s.codec_name === 'aac'), `aac in ${url}`);
  }
});

function firstVideoFrame(tags: FlvTag[]): ReturnType<typeof parseVideoTag> | undefined {
  for (const tag of tags) {
    if (tag.type !== FlvTagType.Video) continue;
    const v = parseVideoTag(tag.data);
    if (v.packet === 'codedFrames') return v;
  }
  return undefined;
}

test('a late HTTP-FLV reader gets metadata and sequence headers, then a keyframe as its first video frame', async () => {
  // Join mid-GOP, at several moments, so some joins land well after a keyframe.
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 370));
    const { status, tags, headers } = await readFlv(`${t.flv}/live/test.flv`, (tags) => firstVideoFrame(tags) !== undefined && tags.length > 10);
    assert.equal(status, 200);
    assert.equal(headers['content-type'], 'video/x-flv');
    assert.equal(headers['access-control-allow-origin'], '*');
    assert.equal(tags[0]?.type, FlvTagType.Script, 'onMetaData first');
    const seq = tags.find((tag) => tag.type === FlvTagType.Video);
    assert.equal(seq && parseVideoTag(seq.data).packet, 'sequenceStart', 'AVC sequence header before frames');
    const first = firstVideoFrame(tags);
    assert.equal(first?.keyframe, true, 'first video frame is a keyframe');
    const firstMedia = tags.find((tag) => tag.type !== FlvTagType.Script);
    assert.equal(firstMedia?.timestamp, 0, 'timestamps rebased to start at 0');
  }
});

test('HTTP-FLV for an unknown stream answers 404', async () => {
  const res = await fetch(`${t.flv}/live/nope.flv`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 404);
  await res.arrayBuffer();
});

test('a WS-FLV client gets an FLV header and tags as binary messages', async () => {
  const ws = new WebSocket(`${t.flv.replace('http', 'ws')}/live/test.flv`);
  const reader = new FlvTagReader();
  const tags: FlvTag[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`WS-FLV: ${tags.length} tags in 10 s`)), 10_000);
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        assert.equal(isBinary, true);
        tags.push(...reader.push(data));
        if (tags.length >= 20) {
          clearTimeout(timer);
          resolve();
        }
      });
      ws.on('error', reject);
    });
  } finally {
    ws.terminate();
  }
  assert.deepEqual(reader.header && { audio: reader.header.hasAudio, video: reader.header.hasVideo }, { audio: true, video: true });
  assert.equal(firstVideoFrame(tags)?.keyframe, true);
});

test('a garbage TCP client on the RTMP port is dropped while the publish goes on', async () => {
  const flv = readFlv(`${t.flv}/live/test.flv`, () => false, 4000, true);
  const garbage = net.connect(t.rtmpPort, '127.0.0.1');
  const closedAt = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('garbage client not dropped within 3 s')), 3000);
    garbage.on('connect', () => garbage.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n' + 'z'.repeat(3000))));
    garbage.on('error', () => {});
    garbage.on('close', () => {
      clearTimeout(timer);
      resolve(Date.now());
    });
  });
  // The FLV reader, started before the garbage, keeps getting tags after the garbage is gone.
  const { arrivals } = await flv;
  const afterDrop = arrivals.filter((at) => at > closedAt + 500).length;
  assert.ok(afterDrop > 20, `FLV reader got ${afterDrop} tags from 0.5 s after the garbage client was dropped`);
  const { body } = await getJson(`${t.http}/api/v1/streams/live/test`);
  assert.equal((body as ApiStream).path, 'live/test');
});

test('a second publisher on a live path is rejected and the first keeps the stream', async () => {
  const before = (await getJson(`${t.http}/api/v1/streams/live/test`)).body as ApiStream;
  const second = publish(`${t.rtmp}/live/test`, 10);
  const code = await Promise.race([second.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 10_000))]);
  assert.notEqual(code, 'running', 'the second ffmpeg was not turned away');
  assert.notEqual(code, 0);
  const now = (await getJson(`${t.http}/api/v1/streams/live/test`)).body as ApiStream;
  assert.equal(now.startedAt, before.startedAt);
});
