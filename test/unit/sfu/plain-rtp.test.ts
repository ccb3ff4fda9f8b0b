import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { after, before, test } from 'node:test';
import { buildPli, parseRtcp } from '../../../protocol/rtcp/index.js';
import { isRtcpPacket, parseRtpHeader } from '../../../protocol/rtp/index.js';
import { ConflictError } from '../../../server/lib/errors.js';
import { Sfu, type PlainRtpTransport, type Producer, type Router } from '../../../server/sfu/index.js';
import { exitWithoutTeardown, randomMediaPort } from '../../helpers/webrtc-streams.js';
import { waitFor, WrtcBot } from '../../helpers/wrtc-bot.js';

/**
 * PlainRtpTransport with ffmpeg as the RTP source (VP8 + Opus, RTCP muxed on the same port):
 * producers fed by SSRC, consumed by a wrtc viewer through a WHEP-style recv transport that
 * decodes frames; garbage counted; a consumer toward an explicit remote with PLI relayed back.
 */

const VIDEO_SSRC = 0x1111_2222;
const AUDIO_SSRC = 0x3333_4444;
const MIN_FRAMES = 20;
const MEDIA_TIMEOUT_MS = 20_000;

let sfu: Sfu;
let router: Router;
let plain: PlainRtpTransport;
let video: Producer;
let audio: Producer;
let ffmpeg: ChildProcess | undefined;

before(async () => {
  sfu = new Sfu({ listenIp: '127.0.0.1', announcedIp: null, udpMux: true, port: randomMediaPort(), portMax: 0, iceServers: [], maxIncomingBitrate: 2_000_000 });
  router = sfu.createRouter({ appData: { path: 'live/plain' } });
  plain = await router.createPlainRtpTransport({ listenIp: '127.0.0.1', comedia: true });
  video = plain.produce({ kind: 'video', ssrc: VIDEO_SSRC, codec: { mimeType: 'video/VP8', clockRate: 90000, payloadType: 96, parameters: {}, rtcpFeedback: [{ type: 'nack', parameter: 'pli' }] } });
  audio = plain.produce({ kind: 'audio', ssrc: AUDIO_SSRC, codec: { mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111, parameters: {} } });
  const port = plain.tuple.localPort;
  const out = (ssrc: number, pt: number): string[] => ['-f', 'rtp', '-ssrc', String(ssrc), '-payload_type', String(pt), `rtp://127.0.0.1:${port}?pkt_size=1200&rtcpport=${port}`];
  ffmpeg = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '60',
    '-map', '0:v', '-c:v', 'libvpx', '-deadline', 'realtime', '-b:v', '400k', '-g', '25', ...out(VIDEO_SSRC, 96),
    '-map', '1:a', '-c:a', 'libopus', '-ac', '2', ...out(AUDIO_SSRC, 111)], { stdio: 'ignore' });
});

after(() => {
  ffmpeg?.kill('SIGKILL');
  exitWithoutTeardown();
});

test('router.createPlainRtpTransport() binds a UDP port on 127.0.0.1; produce() with a used SSRC rejects with ConflictError', () => {
  assert.equal(plain.tuple.localIp, '127.0.0.1');
  assert.ok(plain.tuple.localPort > 0);
  assert.equal(router.transports.get(plain.id), plain);
  assert.equal(router.getProducer(video.id), video);
  assert.throws(() => plain.produce({ kind: 'video', ssrc: VIDEO_SSRC, codec: video.codec }), ConflictError);
});

test('ffmpeg RTP feeds the producers (comedia learns its address, SRs reach them) and a wrtc viewer decodes frames and receives audio', async () => {
  const viewer = new WrtcBot();
  viewer.pc.addTransceiver('video', { direction: 'recvonly' });
  viewer.pc.addTransceiver('audio', { direction: 'recvonly' });
  const t = router.createWebRtcTransport({ direction: 'recv' });
  const { consumers, sdpAnswer } = await t.consumeOffer({ sdpOffer: await viewer.offer(), producers: [video, audio] });
  assert.equal(consumers.length, 2);
  t.on('connectionstatechange', (s) => {
    if (s === 'connected') for (const c of consumers) c.resume();
  });
  await viewer.applyAnswer(sdpAnswer);
  const ok = await waitFor(async () => viewer.videoFrames() >= MIN_FRAMES && (await viewer.inboundPackets()).audio > 0, MEDIA_TIMEOUT_MS);
  assert.ok(ok, `frames ${viewer.videoFrames()}`);
  assert.equal(plain.tuple.remoteIp, '127.0.0.1', 'comedia latched the sender');
  assert.ok(video.getStats().packetsReceived > 0 && audio.getStats().packetsReceived > 0);
  assert.ok(await waitFor(() => video.lastSenderReport !== undefined, 5_000), 'ffmpeg SR reached the producer');
  assert.ok(video.getStats().plisSent >= 1, 'the resumed consumer asked for a keyframe toward ffmpeg');
});

test('garbage datagrams are counted, never thrown, and media keeps flowing', async () => {
  const sock = dgram.createSocket('udp4');
  const before = plain.getStats();
  const packetsBefore = video.getStats().packetsReceived;
  try {
    for (let i = 0; i < 500; i++) {
      const len = i % 5 === 0 ? 3 : 12 + (i % 100);
      const b = Buffer.alloc(len, i & 0xff);
      if (i % 2 === 0) b[0] = 0x80; // RTP-looking with an unknown SSRC
      await new Promise<void>((resolve) => sock.send(b, plain.tuple.localPort, '127.0.0.1', () => resolve()));
      // Let the receiving side (same event loop) drain: the default socket buffer holds ~250 datagrams.
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    sock.close();
  }
  assert.ok(await waitFor(() => plain.getStats().packetsDiscarded >= before.packetsDiscarded + 450, 5_000), `discarded ${plain.getStats().packetsDiscarded}`);
  assert.ok(await waitFor(() => video.getStats().packetsReceived > packetsBefore + 20, 5_000));
});

test('consume() toward an explicit remote sends RTP with the consumer SSRC; a PLI from there reaches the producer', async () => {
  const remote = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => remote.bind(0, '127.0.0.1', resolve));
  const out = await router.createPlainRtpTransport({ listenIp: '127.0.0.1', remote: { ip: '127.0.0.1', port: remote.address().port } });
  try {
    const seen = new Set<number>();
    let rtcp = 0;
    remote.on('message', (msg) => {
      if (isRtcpPacket(msg)) {
        if (parseRtcp(msg).some((p) => p.type === 'sr')) rtcp++;
      } else seen.add(parseRtpHeader(msg).ssrc);
    });
    const consumer = out.consume({ producer: video });
    assert.equal(consumer.paused, false);
    assert.ok(await waitFor(() => seen.has(consumer.ssrc), 5_000), 'RTP with the consumer SSRC');
    assert.ok(await waitFor(() => rtcp > 0, 5_000), 'a re-stamped SR');
    const plis = video.getStats().plisSent;
    await new Promise((r) => setTimeout(r, 600)); // past the keyframe-request throttle
    await new Promise<void>((resolve) => remote.send(buildPli(1, consumer.ssrc), out.tuple.localPort, '127.0.0.1', () => resolve()));
    assert.ok(await waitFor(() => consumer.getStats().plisReceived > 0 && video.getStats().plisSent > plis, 3_000));
    out.close();
    out.close();
    assert.equal(consumer.closed, true);
    assert.equal(router.transports.has(out.id), false);
  } finally {
    out.close();
    remote.close();
  }
});
