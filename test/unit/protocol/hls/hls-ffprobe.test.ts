import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildFragmentFromUnits } from '../../../../protocol/fmp4/fragment.js';
import { buildInitSegment, type Fmp4Track } from '../../../../protocol/fmp4/init-segment.js';
import { writeMediaPlaylist } from '../../../../protocol/hls/media-playlist-writer.js';
import type { HlsPart, HlsSegment } from '../../../../protocol/hls/playlist.js';
import { TsWriter } from '../../../../protocol/mpegts/ts-writer.js';
import type { AccessUnit } from '../../../../protocol/media/access-unit.js';
import { decodeErrors, ffprobe, FRAME_TICKS_25FPS, interleave, makeClip, withTempDir } from '../media-tools.js';

const SECOND = 90_000;

test('ffmpeg plays a TS playlist written by writeMediaPlaylist(): two 1 s segments, all frames, no errors', async () => {
  await withTempDir(async (dir) => {
    const clip = await makeClip(dir, 'h264');
    const writer = new TsWriter([clip.videoTrack, clip.audioTrack]);
    const segments: HlsSegment[] = [];
    for (let k = 0; k < 2; k += 1) {
      const end = k === 1 ? Infinity : (k + 1) * SECOND; // the last segment takes the audio tail
      const inRange = (u: AccessUnit): boolean => u.dts >= k * SECOND && u.dts < end;
      const chunks = [writer.writeTables()];
      for (const [i, u] of interleave([clip.video.filter(inRange), clip.audio.filter(inRange)])) chunks.push(writer.writeAccessUnit(i, u));
      await writeFile(join(dir, `seg${k}.ts`), Buffer.concat(chunks));
      segments.push({ uri: `seg${k}.ts`, duration: 1 });
    }
    const playlist = join(dir, 'index.m3u8');
    await writeFile(playlist, writeMediaPlaylist({ targetDuration: 1, mediaSequence: 0, playlistType: 'VOD', segments, endList: true }));
    const probe = await ffprobe(playlist);
    const v = probe.streams.find((s) => s.codec_type === 'video');
    const a = probe.streams.find((s) => s.codec_type === 'audio');
    assert.equal(Number(v?.nb_read_frames), clip.video.length);
    assert.equal(Number(a?.nb_read_frames), clip.audio.length);
    assert.equal(await decodeErrors(playlist), '');
  });
});

test('ffmpeg plays an fMP4 LL-HLS playlist (EXT-X-MAP, parts ignored by non-LL readers): all frames, no errors', async () => {
  await withTempDir(async (dir) => {
    const clip = await makeClip(dir, 'h264');
    const tracks: Fmp4Track[] = [{ id: 1, info: clip.videoTrack }, { id: 2, info: clip.audioTrack }];
    const [video, audio] = tracks as [Fmp4Track, Fmp4Track];
    await writeFile(join(dir, 'init.mp4'), buildInitSegment(tracks));
    const segments: HlsSegment[] = [];
    let sequence = 1;
    for (let k = 0; k < 2; k += 1) {
      // Each 1 s segment is written as two 0.5 s parts; the segment file is their concatenation.
      const parts: HlsPart[] = [];
      const bytes: Uint8Array[] = [];
      for (let p = 0; p < 2; p += 1) {
        const from = k * SECOND + (p * SECOND) / 2;
        const to = k === 1 && p === 1 ? Infinity : from + SECOND / 2; // the last part takes the audio tail
        const inRange = (u: AccessUnit): boolean => u.dts >= from && u.dts < to;
        const frag = buildFragmentFromUnits(sequence, [
          { track: video, units: clip.video.filter(inRange), defaultDuration: FRAME_TICKS_25FPS },
          { track: audio, units: clip.audio.filter(inRange), ...(to === Infinity ? { defaultDuration: 1920 } : { nextDts: clip.audio.find((u) => u.dts >= to)?.dts ?? to }) },
        ]);
        sequence += 1;
        const uri = `part${k}.${p}.m4s`;
        await writeFile(join(dir, uri), frag);
        bytes.push(frag);
        parts.push({ uri, duration: 0.5, ...(p === 0 ? { independent: true } : {}) });
      }
      await writeFile(join(dir, `seg${k}.m4s`), Buffer.concat(bytes));
      segments.push({ uri: `seg${k}.m4s`, duration: 1, parts });
    }
    const playlist = join(dir, 'index.m3u8');
    const text = writeMediaPlaylist({ targetDuration: 1, mediaSequence: 0, map: { uri: 'init.mp4' }, partTarget: 0.5, independentSegments: true, segments, endList: true });
    assert.match(text, /#EXT-X-PART:DURATION=0.5,URI="part1.1.m4s"/);
    await writeFile(playlist, text);
    const probe = await ffprobe(playlist);
    const v = probe.streams.find((s) => s.codec_type === 'video');
    const a = probe.streams.find((s) => s.codec_type === 'audio');
    assert.equal(Number(v?.nb_read_frames), clip.video.length);
    assert.equal(Number(a?.nb_read_frames), clip.audio.length);
    assert.equal(await decodeErrors(playlist), '');
  });
});
