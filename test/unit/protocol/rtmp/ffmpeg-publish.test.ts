import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FlvTagReader } from '../../../../protocol/flv/tag-reader.js';
import { parseAudioTag } from '../../../../protocol/flv/audio.js';
import { parseVideoTag } from '../../../../protocol/flv/video.js';
import { parseMetadata } from '../../../../protocol/rtmp/commands.js';
import { MessageType } from '../../../../protocol/rtmp/messages.js';
import { ENCODE_ARGS, makeFlv, run, tempDir, TESTSRC_ARGS } from './ffmpeg-helpers.js';
import { RtmpTestServer } from './rtmp-test-server.js';

/** Puts -re (read at native rate) before each -i, where ffmpeg wants input options. */
const realtime = (args: readonly string[]): string[] => args.flatMap((a) => (a === '-i' ? ['-re', a] : [a]));

test('an ffmpeg publish is accepted: connect app, publish name, onMetaData, AVC and AAC frames', { timeout: 60_000 }, async () => {
  const server = new RtmpTestServer();
  const port = await server.listen();
  const ff = run(
    'ffmpeg',
    [...realtime(TESTSRC_ARGS), '-t', '3', ...ENCODE_ARGS, '-f', 'flv', `rtmp://127.0.0.1:${port}/live/test`],
    45_000,
  );
  try {
    const r = await ff.done;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(server.errors, []);
    const connect = server.commands.find((c) => c.name === 'connect');
    assert.ok(connect && connect.name === 'connect');
    assert.equal(connect.app, 'live');
    assert.equal(connect.tcUrl, `rtmp://127.0.0.1:${port}/live`);
    const publish = server.commands.find((c) => c.name === 'publish');
    assert.ok(publish && publish.name === 'publish');
    assert.equal(publish.streamName, 'test');
    assert.equal(publish.publishType, 'live');

    const meta = server.media.filter((m) => m.typeId === MessageType.DataAmf0).map((m) => parseMetadata(m)).find(Boolean);
    assert.equal(meta?.width, 320);
    assert.equal(meta?.height, 240);

    const video = server.media.filter((m) => m.typeId === MessageType.Video).map((m) => parseVideoTag(m.payload));
    assert.equal(video[0]?.packet, 'sequenceStart');
    assert.equal(video[0]?.codec, 'h264');
    const frames = video.filter((v) => v.packet === 'codedFrames');
    assert.ok(frames.length >= 40, `${frames.length} video frames`);
    assert.equal(frames[0]?.keyframe, true);
    assert.ok(frames.filter((f) => f.keyframe).length >= 2, 'a keyframe every 25 frames');

    const audio = server.media.filter((m) => m.typeId === MessageType.Audio).map((m) => parseAudioTag(m.payload));
    assert.equal(audio[0]?.codec, 'aac');
    assert.equal(audio[0]?.packet, 'sequenceStart');
    assert.ok(audio.filter((a) => a.packet === 'raw').length >= 50, `${audio.length} audio messages`);

    // Timestamps of one chunk stream never go back (fmt 1/2/3 deltas accumulate correctly).
    const vts = server.media.filter((m) => m.typeId === MessageType.Video).map((m) => m.timestamp);
    for (let i = 1; i < vts.length; i++) assert.ok((vts[i] ?? 0) >= (vts[i - 1] ?? 0), `video ts ${vts[i - 1]} → ${vts[i]}`);
    assert.ok((vts.at(-1) ?? 0) >= 2800, `last video ts ${vts.at(-1)}`);
  } finally {
    ff.kill();
    await server.close();
  }
});

test('ffmpeg plays an FLV served through the chunk writer, after a digest handshake, and decodes frames', { timeout: 60_000 }, async () => {
  const tmp = await tempDir('estuary-rtmp-play-');
  const server = new RtmpTestServer({ chunkSize: 60000 });
  try {
    const file = join(tmp.dir, 'src.flv');
    await makeFlv(file, 3);
    const reader = new FlvTagReader();
    const tags = reader.push(new Uint8Array(await readFile(file)));
    reader.end();
    (server as unknown as { opts: { serveTags: unknown } }).opts.serveTags = tags;
    const port = await server.listen();
    const ff = run('ffmpeg', ['-hide_banner', '-i', `rtmp://127.0.0.1:${port}/live/test`, '-t', '2', '-f', 'null', '-'], 45_000);
    const r = await ff.done.finally(ff.kill);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(server.errors, []);
    assert.equal(server.handshakeForm, 'digest', 'ffmpeg sends a digest C1 and verifies our S1/S2');
    const frames = [...r.stderr.matchAll(/frame=\s*(\d+)/g)].map((m) => Number(m[1]));
    assert.ok((frames.at(-1) ?? 0) >= 40, `decoded ${frames.at(-1)} frames`);
    assert.match(r.stderr, /Video: h264/);
    assert.match(r.stderr, /Audio: aac/);
  } finally {
    await server.close();
    await tmp.cleanup();
  }
});
