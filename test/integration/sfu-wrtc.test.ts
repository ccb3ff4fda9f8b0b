import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, test } from 'node:test';
import { InvalidStateError, UnsupportedError } from '../../server/lib/errors.js';
import { Sfu, type Consumer, type Producer, type Router, type WebRtcTransport } from '../../server/sfu/index.js';
import { BOT_VIDEO_HEIGHT, BOT_VIDEO_WIDTH, waitFor, WrtcBot } from '../helpers/wrtc-bot.js';
import { exitWhenDrained } from '../helpers/wrtc-exit.js';

/**
 * The SFU core driven directly (no signaling): one wrtc publisher (synthetic VP8 + Opus) through
 * a send transport, wrtc subscribers through recv transports that grow by renegotiation.
 */

/** Ports 20000-29999 are this suite's range; a random one keeps parallel runs apart. */
const PORT = 20000 + Math.floor(Math.random() * 10000);
/** Frames each subscriber must decode (one second at 30 fps). */
const MIN_FRAMES = 30;
/** Bound for media to start flowing on a loaded 2-core machine. */
const MEDIA_TIMEOUT_MS = 20_000;
const GARBAGE_DATAGRAMS = 3000;

exitWhenDrained();

let sfu: Sfu;
let router: Router;
let publisher: WrtcBot;
let sendTransport: WebRtcTransport;
let videoProducer: Producer;
let audioProducer: Producer;
const bots: WrtcBot[] = [];

function bot(): WrtcBot {
  const b = new WrtcBot();
  bots.push(b);
  return b;
}

/** consume → offer → answer → resume, as the signaling layer does it. */
async function subscribe(transport: WebRtcTransport, sub: WrtcBot, producer: Producer): Promise<Consumer> {
  const { consumer, sdpOffer, mid } = await transport.consume({ producer });
  assert.equal(consumer.paused, true, 'consumers start paused');
  assert.match(sdpOffer, new RegExp(`a=mid:${mid}\\r\\n`));
  await transport.setRemoteAnswer(await sub.answer(sdpOffer));
  consumer.resume();
  return consumer;
}

before(async () => {
  sfu = new Sfu({ listenIp: '127.0.0.1', announcedIp: null, udpMux: true, port: PORT, portMax: PORT, iceServers: [], maxIncomingBitrate: 2_000_000 });
  router = sfu.createRouter();
  sendTransport = router.createWebRtcTransport({ direction: 'send' });
  publisher = bot();
  // Video first, then audio by re-offer on the same connection (the SDK's produce() sequence).
  const video = publisher.addSyntheticVideo();
  const offer1 = await publisher.offer(); // the transceiver's mid is set by the offer
  const first = await sendTransport.produce({ kind: 'video', mid: video.mid ?? '', sdpOffer: offer1, appData: { peerId: 'alice' } });
  assert.doesNotMatch(first.sdpAnswer, /transport-cc|a=rid|a=simulcast|rtx\//);
  await publisher.applyAnswer(first.sdpAnswer);
  const audio = publisher.addSyntheticAudio();
  const offer2 = await publisher.offer();
  const second = await sendTransport.produce({ kind: 'audio', mid: audio.mid ?? '', sdpOffer: offer2, appData: { peerId: 'alice' } });
  await publisher.applyAnswer(second.sdpAnswer);
  videoProducer = first.producer;
  audioProducer = second.producer;
});

after(() => {
  for (const b of bots) b.close();
  sfu?.close();
});

test('two wrtc subscribers each decode video of the published size and receive audio', async () => {
  assert.equal(router.getProducer(videoProducer.id), videoProducer);
  const subs = [bot(), bot()];
  const consumers: Consumer[] = [];
  for (const sub of subs) {
    const t = router.createWebRtcTransport({ direction: 'recv' });
    consumers.push(await subscribe(t, sub, videoProducer), await subscribe(t, sub, audioProducer));
  }
  const ok = await waitFor(async () => {
    for (const s of subs) if (s.videoFrames() < MIN_FRAMES || (await s.inboundPackets()).audio === 0) return false;
    return true;
  }, MEDIA_TIMEOUT_MS);
  assert.ok(ok, `frames ${subs.map((s) => s.videoFrames())}`);
  for (const s of subs) {
    const [v] = [...s.receivedVideo.values()];
    assert.equal(v?.width, BOT_VIDEO_WIDTH);
    assert.equal(v?.height, BOT_VIDEO_HEIGHT);
    assert.equal(v?.streamId, 'alice', 'msid stream id from producer.appData.peerId');
  }
  assert.ok(videoProducer.getStats().packetsReceived > 0);
  assert.ok(videoProducer.getStats().bitrate > 0);
  assert.ok(videoProducer.getStats().plisSent >= 1, 'keyframe requested when consumers resumed');
  for (const c of consumers) assert.ok(c.getStats().packetsSent > 0);
});

test('a second consume() before the answer rejects with InvalidStateError; send-only calls on recv reject', async () => {
  const t = router.createWebRtcTransport({ direction: 'recv' });
  try {
    await t.consume({ producer: videoProducer });
    await assert.rejects(t.consume({ producer: audioProducer }), InvalidStateError);
    await assert.rejects(t.produce({ kind: 'video', mid: '0', sdpOffer: 'v=0\r\n' }), InvalidStateError);
  } finally {
    t.close();
  }
});

test('produce() with malformed SDP rejects with TypeError and an offer without a usable codec with UnsupportedError', async () => {
  const t = router.createWebRtcTransport({ direction: 'send' });
  try {
    await assert.rejects(t.produce({ kind: 'video', mid: '0', sdpOffer: 'v=0\r\nm=video\r\n' }), TypeError);
    const vp9 = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=video 9 UDP/TLS/RTP/SAVPF 98', 'a=mid:0', 'a=sendonly', 'a=rtpmap:98 VP9/90000', ''].join('\r\n');
    await assert.rejects(t.produce({ kind: 'video', mid: '0', sdpOffer: vp9 }), UnsupportedError);
    assert.equal(t.producers.size, 0, 'nothing created');
  } finally {
    t.close();
  }
});

test('garbage datagrams to the mux port leave delivery running', async () => {
  const sub = bot();
  const t = router.createWebRtcTransport({ direction: 'recv' });
  await subscribe(t, sub, videoProducer);
  assert.ok(await waitFor(() => sub.videoFrames() > 0, MEDIA_TIMEOUT_MS), 'media before the flood');
  const sock = dgram.createSocket('udp4');
  try {
    for (let i = 0; i < GARBAGE_DATAGRAMS; i++) {
      const len = i % 7 === 0 ? i % 4 : 20 + (i % 200);
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = (i * 31 + j * 17) & 0xff;
      if (i % 3 === 0 && len >= 2) b[0] = 0x00; // STUN-looking
      if (i % 3 === 1 && len >= 2) b[0] = 0x80; // RTP-looking
      await new Promise<void>((resolve) => sock.send(b, PORT, '127.0.0.1', () => resolve()));
    }
  } finally {
    sock.close();
  }
  const before = sub.videoFrames();
  assert.ok(await waitFor(() => sub.videoFrames() >= before + MIN_FRAMES, MEDIA_TIMEOUT_MS), `frames after the flood: ${sub.videoFrames() - before}`);
  assert.equal(t.connectionState, 'connected');
});

test('one recv transport carries two producers by renegotiation', async () => {
  const sub = bot();
  const t = router.createWebRtcTransport({ direction: 'recv' });
  const vc = await subscribe(t, sub, videoProducer);
  const ac = await subscribe(t, sub, audioProducer);
  assert.notEqual(vc.mid, ac.mid);
  assert.equal(t.consumers.size, 2);
  const ok = await waitFor(async () => sub.videoFrames() >= MIN_FRAMES && (await sub.inboundPackets()).audio > 0, MEDIA_TIMEOUT_MS);
  assert.ok(ok);
});

test('closing a recv transport cascades: its consumers emit transportclose and close', async () => {
  const sub = bot();
  const t = router.createWebRtcTransport({ direction: 'recv' });
  const c = await subscribe(t, sub, audioProducer);
  let transportclose = 0;
  c.on('transportclose', () => transportclose++);
  const states: string[] = [];
  t.on('connectionstatechange', (s) => states.push(s));
  t.close();
  t.close();
  assert.equal(c.closed, true);
  assert.equal(transportclose, 1);
  assert.equal(t.closed, true);
  assert.equal(t.consumers.size, 0);
  assert.equal(router.transports.has(t.id), false);
  assert.deepEqual(states, ['closed']);
});

test('closing the producer emits producerclose on every consumer; closing the send transport closes the rest', async () => {
  const consumers: Consumer[] = [];
  for (let i = 0; i < 2; i++) {
    const t = router.createWebRtcTransport({ direction: 'recv' });
    consumers.push(await subscribe(t, bot(), videoProducer));
  }
  const events: number[] = [0, 0];
  consumers.forEach((c, i) => c.on('producerclose', () => events[i]!++));
  videoProducer.close();
  videoProducer.close();
  assert.deepEqual(events, [1, 1]);
  assert.ok(consumers.every((c) => c.closed));
  assert.equal(router.getProducer(videoProducer.id), undefined);
  sendTransport.close();
  assert.equal(audioProducer.closed, true);
  assert.equal(router.producers.size, 0);
});
