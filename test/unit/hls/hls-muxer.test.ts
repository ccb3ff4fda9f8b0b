import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { HlsMuxer } from '../../../gateway/hls/hls-muxer.js';
import { fmp4Format, mpegtsFormat } from '../../../gateway/hls/segment-format.js';
import type { AccessUnit, TrackInfo } from '../../../protocol/media/access-unit.js';
import { adtsToAccessUnits, annexBToAccessUnits, ffmpeg, ffprobe, withTempDir } from '../protocol/media-tools.js';
import { buildAvcDecoderConfig } from '../../../protocol/codec/avc-config.js';
import { buildAudioSpecificConfig } from '../../../protocol/codec/aac.js';
import { H264NalType } from '../../../protocol/codec/h264.js';
import { splitAvcc } from '../../../protocol/codec/nal.js';
import { AUDIO_TRACK, VIDEO_TRACK, avUnits } from './synthetic.js';

const silent = pino({ level: 'silent' });

function muxer(dir: string, over: Partial<ConstructorParameters<typeof HlsMuxer>[0]> = {}): HlsMuxer {
  return new HlsMuxer({ dir, format: fmp4Format(), segmentDuration: 1, partDuration: 0.25, windowSegments: 3, log: silent, now: () => Date.UTC(2026, 0, 1), ...over });
}

function feed(m: HlsMuxer, tracks: TrackInfo[], units: AccessUnit[]): void {
  m.setTracks(tracks);
  for (const u of units) m.pushUnit(u);
}

const playlist = (dir: string): string => readFileSync(join(dir, 'index.m3u8'), 'utf8');

test('muxer writes an LL-HLS playlist with parts, server control and a preload hint', async () => {
  await withTempDir(async (dir) => {
    const m = muxer(dir);
    feed(m, [VIDEO_TRACK, AUDIO_TRACK], avUnits(2.5, 30));
    await m.idle();
    const text = playlist(dir);
    assert.match(text, /^#EXTM3U\n/);
    assert.match(text, /#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,HOLD-BACK=3(\.0)?,PART-HOLD-BACK=0\.75\n/);
    assert.match(text, /#EXT-X-PART-INF:PART-TARGET=0\.25\n/);
    assert.match(text, /#EXT-X-MAP:URI="init\.mp4"\n/);
    assert.match(text, /#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00\.000Z\n/);
    assert.match(text, /#EXT-X-PART:DURATION=0\.23333,URI="part0\.0\.m4s",INDEPENDENT=YES\n/);
    assert.match(text, /#EXT-X-PART:DURATION=0\.23333,URI="part0\.1\.m4s"\n/);
    assert.match(text, /#EXTINF:1(\.0)?,\nseg0\.m4s\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:01\.000Z\n/);
    // 2.5 s: segments 0 and 1 complete, segment 2 open with its parts, the next part hinted.
    assert.match(text, /seg1\.m4s\n/);
    assert.doesNotMatch(text, /seg2\.m4s/);
    const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="(part2\.\d+\.m4s)"\n$/.exec(text);
    assert.ok(hint, text);
    assert.equal(existsSync(join(dir, hint[1]!)), false);
    for (const name of ['init.mp4', 'seg0.m4s', 'seg1.m4s', 'part2.0.m4s', 'plain.m3u8']) assert.ok(existsSync(join(dir, name)), name);
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
    // Each segment file is its parts back to back.
    const partNames = [...text.matchAll(/URI="(part0\.\d+\.m4s)"/g)].map((x) => x[1]!);
    assert.equal(partNames.length, 5); // 1 s of 233 ms parts
    const parts = partNames.map((n) => readFileSync(join(dir, n)));
    assert.deepEqual(readFileSync(join(dir, 'seg0.m4s')), Buffer.concat(parts));
    const plain = readFileSync(join(dir, 'plain.m3u8'), 'utf8');
    assert.doesNotMatch(plain, /EXT-X-PART|PRELOAD-HINT|SERVER-CONTROL/);
    assert.match(plain, /seg1\.m4s\n$/);
  });
});

test('muxer slides the window and deletes files one window after they leave it', async () => {
  await withTempDir(async (dir) => {
    const m = muxer(dir);
    feed(m, [VIDEO_TRACK, AUDIO_TRACK], avUnits(10.5, 30));
    await m.idle();
    const text = playlist(dir);
    // 10 complete segments, window 3: segments 7..9 listed, 4..6 kept on disk, 0..3 deleted.
    assert.match(text, /#EXT-X-MEDIA-SEQUENCE:7\n/);
    assert.deepEqual([...text.matchAll(/^(seg\d+)\.m4s$/gm)].map((x) => x[1]), ['seg7', 'seg8', 'seg9']);
    for (let n = 0; n <= 3; n++) {
      assert.equal(existsSync(join(dir, `seg${n}.m4s`)), false, `seg${n}`);
      assert.equal(existsSync(join(dir, `part${n}.0.m4s`)), false, `part${n}.0`);
    }
    for (let n = 4; n <= 9; n++) assert.ok(existsSync(join(dir, `seg${n}.m4s`)), `seg${n}`);
    // Parts are listed only for the last three target durations.
    assert.doesNotMatch(text, /part7\.\d/);
    assert.match(text, /part9\.0\.m4s/);
  });
});

test('muxer re-initialises after a config change: new EXT-X-MAP and EXT-X-DISCONTINUITY', async () => {
  await withTempDir(async (dir) => {
    const m = muxer(dir, { windowSegments: 6 });
    feed(m, [VIDEO_TRACK, AUDIO_TRACK], avUnits(2, 30));
    const changed: TrackInfo = { ...VIDEO_TRACK, config: Uint8Array.of(1, 0x64, 0, 0x1f, 0xff, 0xe0, 0) };
    feed(m, [changed, AUDIO_TRACK], avUnits(2.1, 30, true, 2 * 90_000));
    await m.idle();
    const text = playlist(dir);
    assert.match(text, /seg1\.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init1\.mp4"\n/);
    assert.ok(existsSync(join(dir, 'init1.mp4')));
    assert.doesNotMatch(text, /EXT-X-DISCONTINUITY-SEQUENCE/);
  });
});

test('muxer continues the playlist after end() with a discontinuity and no preload hint meanwhile', async () => {
  await withTempDir(async (dir) => {
    const m = muxer(dir, { windowSegments: 6 });
    feed(m, [VIDEO_TRACK, AUDIO_TRACK], avUnits(1.5, 30));
    m.end();
    await m.idle();
    const ended = playlist(dir);
    assert.doesNotMatch(ended, /PRELOAD-HINT/);
    assert.match(ended, /seg1\.m4s\n$/);
    feed(m, [VIDEO_TRACK, AUDIO_TRACK], avUnits(1.1, 30));
    await m.idle();
    const resumed = playlist(dir);
    assert.match(resumed, /seg1\.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init1\.mp4"\n/);
    assert.match(resumed, /seg2\.m4s/);
  });
});

test('muxer in MPEG-TS mode writes .ts segments and a playlist without parts', async () => {
  await withTempDir(async (dir) => {
    const m = muxer(dir, { format: mpegtsFormat() });
    feed(m, [VIDEO_TRACK, AUDIO_TRACK], avUnits(3.1, 30));
    await m.idle();
    const text = playlist(dir);
    assert.match(text, /#EXT-X-VERSION:3\n/);
    assert.doesNotMatch(text, /EXT-X-PART|PRELOAD-HINT|SERVER-CONTROL|EXT-X-MAP/);
    assert.deepEqual([...text.matchAll(/^seg\d+\.ts$/gm)].map((x) => x[0]), ['seg0.ts', 'seg1.ts', 'seg2.ts']);
    const seg = readFileSync(join(dir, 'seg1.ts'));
    assert.equal(seg.length % 188, 0);
    assert.equal(seg[0], 0x47);
    assert.equal(readdirSync(dir).some((n) => n.startsWith('part')), false);
  });
});

/** H.264 + AAC access units from ffmpeg (320x240, 1 s GOP at 25 fps, no B-frames). */
async function realUnits(dir: string, seconds: number): Promise<{ tracks: TrackInfo[]; units: AccessUnit[] }> {
  const h264 = join(dir, 'in.h264');
  const aac = join(dir, 'in.aac');
  await ffmpeg(['-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=25:duration=${seconds}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '0', '-g', '25', '-pix_fmt', 'yuv420p', '-f', 'h264', h264]);
  await ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`, '-ac', '2', '-c:a', 'aac', '-b:a', '64k', '-f', 'adts', aac]);
  const video = annexBToAccessUnits('h264', readFileSync(h264), 3600);
  const audio = adtsToAccessUnits(readFileSync(aac));
  const nalus = splitAvcc(video[0]!.data);
  const sps = nalus.filter((n) => (n[0]! & 0x1f) === H264NalType.Sps);
  const pps = nalus.filter((n) => (n[0]! & 0x1f) === H264NalType.Pps);
  const tracks: TrackInfo[] = [
    { type: 'video', codec: 'h264', config: buildAvcDecoderConfig({ sps, pps }), width: 320, height: 240 },
    { type: 'audio', codec: 'aac', config: buildAudioSpecificConfig({ objectType: audio.objectType, sampleRate: audio.sampleRate, channelConfiguration: audio.channels }), sampleRate: audio.sampleRate, channels: audio.channels },
  ];
  const units = [...video, ...audio.units].sort((a, b) => a.dts - b.dts || (a.type === 'video' ? -1 : 1));
  return { tracks, units };
}

test('muxer output of a real H.264 + AAC stream probes as h264 320x240 + aac through its playlist', async () => {
  await withTempDir(async (dir) => {
    const { tracks, units } = await realUnits(dir, 4);
    const out = join(dir, 'hls');
    const m = muxer(out, { windowSegments: 6 });
    feed(m, tracks, units);
    m.end();
    await m.idle();
    // A live playlist makes ffprobe wait for more; probe a closed copy of it (RFC 8216 §4.3.3.4).
    writeFileSync(join(out, 'vod.m3u8'), playlist(out) + '#EXT-X-ENDLIST\n');
    const probe = await ffprobe(join(out, 'vod.m3u8'));
    const v = probe.streams.find((s) => s.codec_type === 'video');
    const a = probe.streams.find((s) => s.codec_type === 'audio');
    assert.equal(v?.codec_name, 'h264');
    assert.equal(v?.width, 320);
    assert.equal(v?.height, 240);
    assert.equal(a?.codec_name, 'aac');
    // Every frame of the 4 complete segments decodes: 100 video frames.
    assert.equal(Number(v?.nb_read_frames), 100);
  });
});
