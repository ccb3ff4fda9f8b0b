import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AccessUnit, TrackInfo } from '../../../../protocol/media/access-unit.js';
import { endOfSequenceTag, fromStream, toStream, trackToFlvTag } from '../../../../protocol/flv/access-unit.js';
import { parseOnMetaData } from '../../../../protocol/flv/script.js';
import { buildFlvHeader, buildFlvTag, FlvTagType, type FlvTag } from '../../../../protocol/flv/tag.js';
import { FlvTagReader } from '../../../../protocol/flv/tag-reader.js';
import { parseVideoTag } from '../../../../protocol/flv/video.js';
import { makeFlv, run, tempDir } from '../rtmp/ffmpeg-helpers.js';

interface ProbeStream {
  codec_name: string;
  width?: number;
  height?: number;
  nb_read_frames?: string;
  sample_rate?: string;
}

async function probe(file: string): Promise<ProbeStream[]> {
  const r = await run('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-of', 'json', file], 60_000).done;
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { streams: ProbeStream[] }).streams;
}

test('an ffmpeg FLV (H.264 with B-frames + AAC) parses into the expected tags, rebuilds through AccessUnits, and ffprobe reads the result', { timeout: 120_000 }, async () => {
  const tmp = await tempDir('estuary-flv-');
  try {
    const src = join(tmp.dir, 'src.flv');
    await makeFlv(src, 3, { bframes: true });
    const reader = new FlvTagReader();
    const tags = reader.push(new Uint8Array(await readFile(src)));
    reader.end();
    assert.equal(reader.header?.hasAudio, true);
    assert.equal(reader.header?.hasVideo, true);

    const script = tags.filter((t) => t.type === FlvTagType.Script);
    assert.equal(parseOnMetaData(script[0]?.data ?? new Uint8Array(0))?.width, 320);
    const video = tags.filter((t) => t.type === FlvTagType.Video).map((t) => ({ t, v: parseVideoTag(t.data) }));
    const frames = video.filter((x) => x.v.packet === 'codedFrames');
    assert.equal(video[0]?.v.packet, 'sequenceStart');
    assert.equal(frames.length, 75, '3 s at 25 fps');
    assert.deepEqual(frames.flatMap((x, i) => (x.v.keyframe ? [i] : [])), [0, 25, 50], 'a keyframe every 25 frames');
    assert.ok(frames.every((x) => x.v.compositionTime >= 0));
    assert.ok(frames.some((x) => x.v.compositionTime > 0), 'B-frames give non-zero composition times');
    const audio = tags.filter((t) => t.type === FlvTagType.Audio);
    assert.ok(audio.length >= 128 && audio.length <= 132, `${audio.length} AAC tags for 3 s at 44.1 kHz`);

    // FLV → AccessUnits / tracks → FLV with our writer.
    const tracks: TrackInfo[] = [];
    const units: AccessUnit[] = [];
    const ends: FlvTag[] = [];
    for (const t of tags) {
      const item = toStream(t);
      if (item?.kind === 'track') tracks.push(item.track);
      else if (item?.kind === 'unit') units.push(item.unit);
      else if (item?.kind === 'end') ends.push(endOfSequenceTag(item.codec, t.timestamp) as FlvTag);
    }
    assert.equal(ends.length, 1, 'ffmpeg ends the AVC stream with an end-of-sequence tag');
    assert.deepEqual(tracks.map((t) => t.codec), ['h264', 'aac']);
    const aac = tracks[1];
    assert.ok(aac?.type === 'audio' && aac.sampleRate === 44100 && aac.channels === 1);
    const out: FlvTag[] = [script[0] as FlvTag, ...tracks.map((t) => trackToFlvTag(t) as FlvTag), ...units.map((u) => fromStream(u) as FlvTag), ...ends];
    const rebuilt = tags.filter((t) => t.type !== FlvTagType.Script || t === script[0]);
    assert.deepEqual(
      out.map((t) => [t.type, t.timestamp, Buffer.from(t.data).toString('hex')]).sort(),
      rebuilt.map((t) => [t.type, t.timestamp, Buffer.from(t.data).toString('hex')]).sort(),
      'every tag comes back byte for byte with its timestamp',
    );
    const dst = join(tmp.dir, 'dst.flv');
    await writeFile(dst, Uint8Array.from([...buildFlvHeader({ hasAudio: true, hasVideo: true }), ...out.flatMap((t) => [...buildFlvTag(t)])]));
    const streams = await probe(dst);
    const v = streams.find((s) => s.codec_name === 'h264');
    assert.equal(v?.width, 320);
    assert.equal(v?.height, 240);
    assert.equal(v?.nb_read_frames, '75');
    const a = streams.find((s) => s.codec_name === 'aac');
    assert.equal(a?.sample_rate, '44100');
    assert.ok(Number(a?.nb_read_frames) >= 128);
  } finally {
    await tmp.cleanup();
  }
});
