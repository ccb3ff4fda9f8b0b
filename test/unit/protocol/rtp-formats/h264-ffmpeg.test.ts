/**
 * Independent check of the H.264 payload format against ffmpeg (libx264 for the stream, ffprobe
 * for the verdict, ffmpeg's own RTP muxer as a second packetizer). The stream is generated in
 * a temp dir per run; nothing binary is committed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { joinAnnexB, joinAvcc, splitAnnexB, splitAvcc } from '../../../../protocol/codec/nal.js';
import type { AccessUnit } from '../../../../protocol/media/access-unit.js';
import { parseRtpHeader } from '../../../../protocol/rtp/header.js';
import { createH264Depacketizer, createH264Packetizer } from '../../../../protocol/rtp-formats/h264.js';

const run = promisify(execFile);
/** A hung ffmpeg must not hang the suite. */
const TOOL_TIMEOUT_MS = 30_000;
const FPS = 25;
const GOP = 25;
const SECONDS = 2;
const FRAMES = FPS * SECONDS;
const TICKS_PER_FRAME = 90_000 / FPS;
const X264 = ['-f', 'lavfi', '-i', `testsrc=size=320x240:rate=${FPS}`, '-t', String(SECONDS), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', String(GOP), '-bf', '0'];

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'estuary-rtp-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function probe(file: string): Promise<{ frames: number; width: number; height: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,width,height', '-of', 'json', file], { timeout: TOOL_TIMEOUT_MS });
  const s = (JSON.parse(stdout) as { streams: Array<{ nb_read_frames: string; width: number; height: number }> }).streams[0];
  assert.ok(s, 'ffprobe found no video stream');
  return { frames: Number(s.nb_read_frames), width: s.width, height: s.height };
}

const isVcl = (type: number): boolean => type >= 1 && type <= 5;

/**
 * Groups an Annex B stream into access units (H.264 §7.4.1.2.3): a new AU starts at a
 * non-VCL unit (AUD, SPS, PPS, SEI) or at a slice with first_mb_in_slice = 0 (ue(v) '1', the
 * top bit after the header) once the current AU has a slice.
 */
function accessUnits(annexB: Uint8Array): AccessUnit[] {
  const groups: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let hasSlice = false;
  for (const n of splitAnnexB(annexB)) {
    const type = (n[0] as number) & 0x1f;
    const firstSlice = isVcl(type) && ((n[1] as number) & 0x80) !== 0;
    if (hasSlice && (!isVcl(type) || firstSlice)) {
      groups.push(current);
      current = [];
      hasSlice = false;
    }
    current.push(n);
    hasSlice ||= isVcl(type);
  }
  if (current.length > 0) groups.push(current);
  return groups.map((nalus, i) => ({
    type: 'video', codec: 'h264', pts: i * TICKS_PER_FRAME, dts: i * TICKS_PER_FRAME,
    keyframe: nalus.some((n) => ((n[0] as number) & 0x1f) === 5), data: joinAvcc(nalus),
  }));
}

test('libx264 stream packetized at MTU 1200 and depacketized again decodes to the same frames (ffprobe)', { timeout: 60_000 }, async () => {
  await withTempDir(async (dir) => {
    const input = join(dir, 'in.h264');
    await run('ffmpeg', ['-v', 'error', ...X264, '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', input], { timeout: TOOL_TIMEOUT_MS });
    const units = accessUnits(new Uint8Array(await readFile(input)));
    assert.equal(units.length, FRAMES);

    const packetizer = createH264Packetizer();
    const depacketizer = createH264Depacketizer({ timestampOrigin: 0 });
    const out: AccessUnit[] = [];
    let seq = 65_500; // crosses the 16-bit wrap on the way
    for (const u of units) {
      for (const p of packetizer.packetize(u)) {
        assert.ok(p.payload.length <= 1200);
        const r = depacketizer.push({ ...p, sequenceNumber: seq++ & 0xffff });
        assert.equal(r.error, undefined);
        out.push(...r.units);
      }
    }
    assert.ok(seq > 0x1_0000, 'the run should cross the sequence wrap');
    assert.deepEqual(out.map((u) => u.pts), units.map((u) => u.pts));
    assert.deepEqual(out.map((u) => u.keyframe), units.map((u) => u.keyframe));

    const output = join(dir, 'out.h264');
    await writeFile(output, joinAnnexB(out.flatMap((u) => splitAvcc(u.data))));
    assert.deepEqual(await probe(output), await probe(input));
    assert.deepEqual(await probe(output), { frames: FRAMES, width: 320, height: 240 });
  });
});

test('RTP sent by ffmpeg\'s own muxer over UDP depacketizes to every frame, keyframes once per GOP', { timeout: 60_000 }, async () => {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const depacketizer = createH264Depacketizer();
  const out: AccessUnit[] = [];
  const errors: string[] = [];
  socket.on('message', (msg) => {
    const packet = new Uint8Array(msg);
    const h = parseRtpHeader(packet);
    const r = depacketizer.push({
      payload: packet.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength),
      sequenceNumber: h.sequenceNumber, timestamp: h.timestamp, marker: h.marker,
    });
    out.push(...r.units);
    if (r.error) errors.push(r.error.reason);
  });
  try {
    const port = socket.address().port;
    // -re paces the sender so that loopback UDP buffers never overflow.
    const ffmpeg = spawn('ffmpeg', ['-v', 'error', '-re', ...X264, '-f', 'rtp', '-payload_type', '96', `rtp://127.0.0.1:${port}?pkt_size=1200`], { stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => ffmpeg.kill('SIGKILL'), TOOL_TIMEOUT_MS);
      ffmpeg.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 0);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the last datagrams
  } finally {
    socket.close();
  }
  assert.deepEqual(errors, []);
  assert.equal(depacketizer.stats.lostPackets, 0);
  assert.equal(out.length, FRAMES);
  const keyframeIndices = out.flatMap((u, i) => (u.keyframe ? [i] : []));
  assert.deepEqual(keyframeIndices, [0, GOP]);
  assert.deepEqual(out.map((u) => u.pts), out.map((_, i) => i * TICKS_PER_FRAME));
});
