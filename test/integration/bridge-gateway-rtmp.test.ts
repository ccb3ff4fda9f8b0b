/**
 * The gateway half of the WebRTC bridge against a real server: ffmpeg publishes RTMP, the
 * test answers `bridgeOpen` through the server's hook with UDP sockets of its own (standing in
 * for the SFU's PlainTransport) and checks the RTP and RTCP that arrive.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { gatewayOf } from '../../server/gateway/mount.js';
import type { BridgeOpenParams } from '../../protocol/control/messages.js';
import { parseRtpHeader, isRtcpPacket } from '../../protocol/rtp/header.js';
import { parseRtcp } from '../../protocol/rtcp/parse.js';
import { createH264Depacketizer } from '../../protocol/rtp-formats/index.js';
import { opusPacketDuration } from '../../protocol/codec/opus.js';
import type { AccessUnit } from '../../protocol/media/access-unit.js';
import { childPids, getJson, killChildren, publish, startTestServer, waitFor, type TestServer } from './gateway-helpers.js';

const VIDEO_PT = 102;
const AUDIO_PT = 111;

interface Sink {
  socket: Socket;
  params: BridgeOpenParams;
  ssrcs: { video?: number; audio?: number };
  video: { at: number; buf: Buffer }[];
  audio: { at: number; buf: Buffer }[];
  srs: Set<number>;
  closed: string[];
}

let t: TestServer;
const sinks = new Map<string, Sink>();
const extraChildren = new Set<ChildProcess>();

before(async () => {
  t = await startTestServer({ bridge: { mode: 'always' } }); // this test stands in for the SFU: no viewers ask for bridges
  const gw = gatewayOf(t.server.httpServer);
  assert.ok(gw, 'gateway subsystem mounted');
  gw.setBridgeHandler({
    open: async (params) => {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      sinks.get(params.path)?.socket.close();
      const sink: Sink = { socket, params, ssrcs: {}, video: [], audio: [], srs: new Set(), closed: [] };
      const tracks = params.tracks.map((tr, i) => {
        const ssrc = 0x1000_0000 + i * 17 + Math.floor(Math.random() * 1000);
        sink.ssrcs[tr.kind] = ssrc;
        return { kind: tr.kind, payloadType: tr.kind === 'video' ? VIDEO_PT : AUDIO_PT, ssrc };
      });
      socket.on('message', (buf) => {
        if (isRtcpPacket(buf)) {
          for (const p of parseRtcp(buf)) if (p.type === 'sr') sink.srs.add(p.ssrc);
          return;
        }
        const h = parseRtpHeader(buf);
        if (h.ssrc === sink.ssrcs.video && h.payloadType === VIDEO_PT) sink.video.push({ at: Date.now(), buf });
        else if (h.ssrc === sink.ssrcs.audio && h.payloadType === AUDIO_PT) sink.audio.push({ at: Date.now(), buf });
      });
      sinks.set(params.path, sink);
      return { host: '127.0.0.1', port: (socket.address()).port, tracks };
    },
    closed: (path, reason) => sinks.get(path)?.closed.push(reason),
  });
});

after(async () => {
  killChildren();
  for (const c of extraChildren) c.kill('SIGKILL');
  for (const s of sinks.values()) s.socket.close();
  await t?.server.close();
});

/** Depacketizes the H.264 RTP of a sink (in arrival order; loopback does not reorder). */
function frames(sink: Sink): AccessUnit[] {
  const d = createH264Depacketizer();
  const out: AccessUnit[] = [];
  for (const { buf } of sink.video) {
    const h = parseRtpHeader(buf);
    out.push(...d.push({ payload: buf.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength), sequenceNumber: h.sequenceNumber, timestamp: h.timestamp, marker: h.marker }).units);
  }
  return out;
}

function opusPayloads(sink: Sink): Uint8Array[] {
  return sink.audio.map(({ buf }) => {
    const h = parseRtpHeader(buf);
    return buf.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength);
  });
}

test('an RTMP stream (H.264 baseline + AAC) is sent as H.264 and Opus RTP with the given SSRC/PT, and Sender Reports', async () => {
  publish(`${t.rtmp}/live/demo`, 60);
  const sink = await waitFor('bridgeOpen for live/demo', () => sinks.get('live/demo'), 15_000);
  assert.deepEqual(sink.params.tracks.map((tr) => tr.codec), ['h264', 'opus']);
  const video = sink.params.tracks[0];
  assert.ok(video?.kind === 'video' && /packetization-mode=1/.test(video.fmtp) && /profile-level-id=42/.test(video.fmtp), `fmtp ${video?.kind === 'video' ? video.fmtp : ''}`);
  await waitFor('20 frames and 50 Opus packets', () => frames(sink).length >= 20 && sink.audio.length >= 50, 20_000);
  const f = frames(sink);
  assert.equal(f[0]?.keyframe, true, 'the first frame is a keyframe');
  for (const p of opusPayloads(sink)) assert.ok(opusPacketDuration(p) > 0, 'valid Opus TOC');
  await waitFor('SRs for both tracks', () => sink.srs.has(sink.ssrcs.video!) && sink.srs.has(sink.ssrcs.audio!), 5_000);
  const api = await getJson(`${t.http}/api/v1/streams/live/demo`);
  assert.deepEqual((api.body as { webrtc: unknown }).webrtc, { bridged: true, videoTranscoded: false });
});

test('a killed AAC→Opus child is restarted: Opus resumes while video kept flowing', async () => {
  const sink = sinks.get('live/demo');
  assert.ok(sink);
  const worker = t.server.httpServer && gatewayOf(t.server.httpServer)?.supervisor?.stats()[0]?.pid;
  assert.ok(worker);
  const [pid] = await waitFor('the AAC→Opus child', () => {
    const p = childPids(worker, 'libopus');
    return p.length === 1 ? p : undefined;
  }, 5_000);
  assert.ok(pid);
  process.kill(pid, 'SIGKILL');
  const killedAt = Date.now();
  await waitFor('a new AAC→Opus child', () => childPids(worker, 'libopus').some((p) => p !== pid), 5_000, 50);
  await waitFor('Opus packets after the restart', () => sink.audio.filter((a) => a.at > killedAt + 300).length >= 10, 8_000);
  const resumedAt = sink.audio.find((a) => a.at > killedAt + 300)?.at ?? Date.now();
  // Video did not wait for the audio child: packets arrived inside the audio gap.
  const videoInGap = sink.video.filter((v) => v.at > killedAt + 50 && v.at < Math.max(resumedAt, killedAt + 400)).length;
  assert.ok(videoInGap > 0, `video packets during the audio restart: ${videoInGap}`);
  assert.ok(resumedAt - killedAt < 5_000, `Opus resumed after ${resumedAt - killedAt} ms`);
});

test('H.264 with B-frames is re-encoded for WebRTC: reported, and the frames come out in presentation order', async () => {
  const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'main', '-bf', '2', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', '-t', '30', '-f', 'flv', `${t.rtmp}/live/bframes`], { stdio: 'ignore' });
  extraChildren.add(child);
  const sink = await waitFor('bridgeOpen for live/bframes', () => sinks.get('live/bframes'), 15_000);
  const video = sink.params.tracks[0];
  assert.ok(video?.kind === 'video' && /profile-level-id=42e0/.test(video.fmtp), 'announced as constrained baseline');
  await waitFor('registry reports the transcode', async () => ((await getJson(`${t.http}/api/v1/streams/live/bframes`)).body as { webrtc?: { videoTranscoded: boolean } }).webrtc?.videoTranscoded === true, 10_000);
  await waitFor('30 frames', () => frames(sink).length >= 30, 20_000);
  const f = frames(sink);
  assert.equal(f[0]?.keyframe, true);
  for (let i = 1; i < f.length; i++) assert.ok(f[i]!.pts > f[i - 1]!.pts, `pts monotonic at frame ${i}: ${f[i - 1]!.pts} → ${f[i]!.pts}`);
  child.kill('SIGKILL');
});
