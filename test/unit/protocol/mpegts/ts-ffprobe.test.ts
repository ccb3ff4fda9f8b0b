import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TsReader } from '../../../../protocol/mpegts/ts-reader.js';
import { TsWriter } from '../../../../protocol/mpegts/ts-writer.js';
import { decodeErrors, ffprobe, hasEncoder, interleave, makeClip, withTempDir } from '../media-tools.js';

for (const codec of ['h264', 'h265'] as const) {
  test(`TsWriter output of a 2 s ${codec} + AAC clip is read correctly by ffprobe and decodes without errors`, async (t) => {
    if (codec === 'h265' && !(await hasEncoder('libx265'))) {
      t.skip('this ffmpeg has no libx265');
      return;
    }
    await withTempDir(async (dir) => {
      const clip = await makeClip(dir, codec);
      assert.equal(clip.video.length, 50);
      assert.equal(clip.video.filter((u) => u.keyframe).length, 2, 'GOP 25 → 2 keyframes');
      const writer = new TsWriter([clip.videoTrack, clip.audioTrack]);
      const chunks = [writer.writeTables()];
      for (const [i, unit] of interleave([clip.video, clip.audio])) chunks.push(writer.writeAccessUnit(i, unit));
      const ts = Buffer.concat(chunks);
      const file = join(dir, 'out.ts');
      await writeFile(file, ts);

      const probe = await ffprobe(file);
      const v = probe.streams.find((s) => s.codec_type === 'video');
      const a = probe.streams.find((s) => s.codec_type === 'audio');
      assert.equal(v?.codec_name, codec === 'h264' ? 'h264' : 'hevc');
      assert.equal(v?.width, 320);
      assert.equal(v?.height, 240);
      assert.equal(Number(v?.nb_read_frames), clip.video.length);
      assert.equal(a?.codec_name, 'aac');
      assert.equal(Number(a?.sample_rate), 48000);
      assert.equal(a?.channels, 2);
      assert.equal(Number(a?.nb_read_frames), clip.audio.length);
      const duration = Number(probe.format.duration);
      assert.ok(Math.abs(duration - 2) < 0.1, `duration ${duration}`);
      assert.equal(await decodeErrors(file), '');

      // Our own reader sees the same frame counts.
      const reader = new TsReader();
      const frames = [...reader.push(ts), ...reader.flush()];
      assert.equal(frames.filter((f) => f.pid === writer.pids[0]).length, clip.video.length);
      assert.equal(frames.filter((f) => f.pid === writer.pids[1]).length, clip.audio.length);
      assert.equal(frames.filter((f) => f.randomAccess).length, 2);
    });
  });
}
