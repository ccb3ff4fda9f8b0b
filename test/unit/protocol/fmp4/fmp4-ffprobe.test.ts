import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildAvcDecoderConfig } from '../../../../protocol/codec/avc-config.js';
import { H264NalType, h264NalType, isH264Keyframe } from '../../../../protocol/codec/h264.js';
import { joinAvcc, splitAnnexB } from '../../../../protocol/codec/nal.js';
import { buildFragmentFromUnits } from '../../../../protocol/fmp4/fragment.js';
import { buildInitSegment, type Fmp4Track } from '../../../../protocol/fmp4/init-segment.js';
import type { AccessUnit } from '../../../../protocol/media/access-unit.js';
import { TsReader } from '../../../../protocol/mpegts/ts-reader.js';
import { decodeErrors, ffmpeg, ffprobe, FRAME_TICKS_25FPS, hasEncoder, makeClip, TOOL_TIMEOUT_MS, withTempDir } from '../media-tools.js';

for (const codec of ['h264', 'h265'] as const) {
  test(`fMP4 init + 2 fragments of a 2 s ${codec} + AAC clip are read correctly by ffprobe and decode without errors`, async (t) => {
    if (codec === 'h265' && !(await hasEncoder('libx265'))) {
      t.skip('this ffmpeg has no libx265');
      return;
    }
    await withTempDir(async (dir) => {
      const clip = await makeClip(dir, codec);
      const tracks: Fmp4Track[] = [{ id: 1, info: clip.videoTrack }, { id: 2, info: clip.audioTrack }];
      const [v0, a0] = tracks as [Fmp4Track, Fmp4Track];
      const split = 25 * FRAME_TICKS_25FPS; // the second keyframe, at 1 s
      const firstVideo = clip.video.filter((u) => u.dts < split);
      const secondVideo = clip.video.filter((u) => u.dts >= split);
      const firstAudio = clip.audio.filter((u) => u.dts < split);
      const secondAudio = clip.audio.filter((u) => u.dts >= split);
      assert.ok(secondVideo[0]?.keyframe, 'fragment 2 starts on a keyframe');
      const file = Buffer.concat([
        buildInitSegment(tracks),
        buildFragmentFromUnits(1, [
          { track: v0, units: firstVideo, nextDts: secondVideo[0]?.dts as number },
          { track: a0, units: firstAudio, nextDts: secondAudio[0]?.dts as number },
        ]),
        buildFragmentFromUnits(2, [
          { track: v0, units: secondVideo, defaultDuration: FRAME_TICKS_25FPS },
          { track: a0, units: secondAudio, defaultDuration: 1920 },
        ]),
      ]);
      const out = join(dir, 'out.mp4');
      await writeFile(out, file);
      const probe = await ffprobe(out);
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
      assert.equal(await decodeErrors(out), '');
    });
  });
}

const run = promisify(execFile);

test('fMP4 keeps B-frame composition offsets: units read from an ffmpeg MPEG-TS come out with the same PTS in ffprobe', async () => {
  await withTempDir(async (dir) => {
    const ts = join(dir, 'in.ts');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25:duration=1', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-bf', '2', '-f', 'mpegts', ts]);
    const reader = new TsReader();
    const frames = [...reader.push(new Uint8Array(await readFile(ts))), ...reader.flush()];
    const base = frames[0]?.dts ?? frames[0]?.pts ?? 0;
    const units: AccessUnit[] = frames.map((f) => {
      const nalus = splitAnnexB(f.data).filter((n) => h264NalType(n) !== H264NalType.Aud);
      const pts = (f.pts as number) - base;
      return { type: 'video', codec: 'h264', pts, dts: (f.dts ?? f.pts as number) - base, keyframe: isH264Keyframe(nalus), data: joinAvcc(nalus) };
    });
    assert.ok(units.some((u, i) => i > 0 && u.pts < (units[i - 1] as AccessUnit).pts), 'B-frames: PTS not monotonic in decode order');
    const all = splitAnnexB(frames[0]?.data ?? new Uint8Array());
    const config = buildAvcDecoderConfig({ sps: all.filter((n) => h264NalType(n) === H264NalType.Sps), pps: all.filter((n) => h264NalType(n) === H264NalType.Pps) });
    const track: Fmp4Track = { id: 1, info: { type: 'video', codec: 'h264', config } };
    const out = join(dir, 'out.mp4');
    await writeFile(out, Buffer.concat([buildInitSegment([track]), buildFragmentFromUnits(1, [{ track, units, defaultDuration: FRAME_TICKS_25FPS }])]));
    const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts,dts', '-of', 'csv=p=0', out], { timeout: TOOL_TIMEOUT_MS });
    const packets = stdout.trim().split('\n').map((l) => l.split(',').map(Number));
    assert.equal(packets.length, units.length);
    packets.forEach(([pts, dts], i) => {
      assert.equal(pts, units[i]?.pts, `pts of packet ${i}`);
      assert.equal(dts, units[i]?.dts, `dts of packet ${i}`);
    });
    assert.equal(await decodeErrors(out), '');
  });
});
