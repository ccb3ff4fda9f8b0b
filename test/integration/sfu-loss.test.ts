import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Sfu, type Consumer, type Producer, type Router, type WebRtcTransport } from '../../server/sfu/index.js';
import { candidatesVia, LossyUdpProxy, withoutCandidates } from '../helpers/lossy-udp-proxy.js';
import { waitFor, WrtcBot } from '../helpers/wrtc-bot.js';
import { exitWhenDrained } from '../helpers/wrtc-exit.js';

/**
 * NACK with loss on the wire (ARCHITECTURE.md, Media engine: loss made inside the SFU's JS cannot
 * be repaired, SRTP replay protection drops the resend). A dgram relay drops a seeded 5% of RTP
 * between a wrtc peer and the SFU's ICE mux port; the peer is pointed at the relay by rewriting
 * the SFU's candidate in the SDP it is given, and the SFU learns the relay's address from the
 * peer's ICE checks (the peer's own candidates are withheld from it). Each leg is compared with a
 * lossless twin measured over the same window on the same machine.
 */

exitWhenDrained();

const PORT = 20000 + Math.floor(Math.random() * 10000);
const LOSS_RATE = 0.05;
const MEDIA_TIMEOUT_MS = 20_000;
/** Window over which decoded frames are compared; at 30 fps ~240 frames. */
const MEASURE_MS = 8_000;
const SAMPLE_MS = 50;
/** A lossy leg repaired by NACK decodes at least this share of its lossless twin's frames. */
const MIN_FRAME_RATIO = 0.85;
/**
 * Longest stretch without a decoded frame allowed on the lossy leg. Unrepaired loss freezes the
 * picture until the next keyframe (a PLI round trip plus encode: typically 0.3–1 s and more);
 * repaired loss costs a NACK round trip on loopback (tens of ms).
 */
const MAX_STALL_MS = 600;

let sfu: Sfu;
let router: Router;
const bots: WrtcBot[] = [];
const proxies: LossyUdpProxy[] = [];

function bot(): WrtcBot {
  const b = new WrtcBot();
  bots.push(b);
  return b;
}

/** A wrtc publisher of synthetic video on a new send transport, optionally through `proxy`. */
async function publish(proxy?: LossyUdpProxy): Promise<{ publisher: WrtcBot; producer: Producer }> {
  const transport = router.createWebRtcTransport({ direction: 'send' });
  const publisher = bot();
  const video = publisher.addSyntheticVideo();
  const offer = await publisher.offer();
  const { producer, sdpAnswer } = await transport.produce({ kind: 'video', mid: video.mid ?? '', sdpOffer: proxy ? withoutCandidates(offer) : offer });
  await publisher.applyAnswer(proxy ? candidatesVia(sdpAnswer, proxy.port) : sdpAnswer);
  return { publisher, producer };
}

/** consume → offer → answer → resume on a new recv transport, optionally through `proxy`. */
async function subscribe(producer: Producer, proxy?: LossyUdpProxy): Promise<{ subscriber: WrtcBot; consumer: Consumer; transport: WebRtcTransport }> {
  const transport = router.createWebRtcTransport({ direction: 'recv' });
  const subscriber = bot();
  const { consumer, sdpOffer } = await transport.consume({ producer });
  const answer = await subscriber.answer(proxy ? candidatesVia(sdpOffer, proxy.port) : sdpOffer);
  await transport.setRemoteAnswer(proxy ? withoutCandidates(answer) : answer);
  consumer.resume();
  return { subscriber, consumer, transport };
}

/** Frames each subscriber decodes over MEASURE_MS, and each one's longest stall between frames. */
async function measure(subs: WrtcBot[]): Promise<{ frames: number[]; longestStallMs: number[] }> {
  const start = subs.map((s) => s.videoFrames());
  const last = subs.map((s) => ({ frames: s.videoFrames(), at: Date.now() }));
  const longest = subs.map(() => 0);
  const t0 = Date.now();
  while (Date.now() - t0 < MEASURE_MS) {
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
    const now = Date.now();
    subs.forEach((s, i) => {
      const l = last[i] as { frames: number; at: number };
      const f = s.videoFrames();
      if (f !== l.frames) {
        longest[i] = Math.max(longest[i] as number, now - l.at);
        l.frames = f;
        l.at = now;
      } else longest[i] = Math.max(longest[i] as number, now - l.at);
    });
  }
  return { frames: subs.map((s, i) => s.videoFrames() - (start[i] as number)), longestStallMs: longest };
}

/** outbound-rtp figures of a wrtc publisher's video. */
async function outboundVideo(b: WrtcBot): Promise<{ retransmittedPacketsSent: number; nackCount: number }> {
  const out = { retransmittedPacketsSent: 0, nackCount: 0 };
  const report = await b.pc.getStats();
  report.forEach((s: { type: string; kind?: string; retransmittedPacketsSent?: number; nackCount?: number }) => {
    if (s.type !== 'outbound-rtp' || s.kind !== 'video') return;
    out.retransmittedPacketsSent += s.retransmittedPacketsSent ?? 0;
    out.nackCount += s.nackCount ?? 0;
  });
  return out;
}

before(() => {
  sfu = new Sfu({ listenIp: '127.0.0.1', announcedIp: null, udpMux: true, port: PORT, portMax: PORT, iceServers: [], maxIncomingBitrate: 2_000_000 });
  router = sfu.createRouter();
});

after(() => {
  for (const b of bots) b.close();
  for (const p of proxies) p.close();
  sfu?.close();
});

test('5% loss between publisher and SFU: the producer NACKs, the publisher resends, viewers see no freeze', async (t) => {
  const proxy = await LossyUdpProxy.start({ targetPort: PORT, lossRate: LOSS_RATE, lossy: 'upstream', seed: 0x5eed });
  proxies.push(proxy);
  const lossy = await publish(proxy);
  const lossless = await publish();
  const viewers = [await subscribe(lossy.producer), await subscribe(lossless.producer)];
  const subs = viewers.map((v) => v.subscriber);
  assert.ok(await waitFor(() => subs.every((s) => s.videoFrames() > 0), MEDIA_TIMEOUT_MS), `first frames: ${subs.map((s) => s.videoFrames())}`);
  const { frames, longestStallMs } = await measure(subs);
  const [lossyFrames, losslessFrames] = frames as [number, number];
  const stats = lossy.producer.getStats();
  const sent = await outboundVideo(lossy.publisher);
  const detail = `dropped ${proxy.dropped}/${proxy.dropped + proxy.relayed}, frames lossy ${lossyFrames} lossless ${losslessFrames}, stalls ${longestStallMs} ms, producer ${JSON.stringify(stats)}, publisher ${JSON.stringify(sent)}`;
  t.diagnostic(detail);
  assert.ok(proxy.dropped > 0, `the relay dropped packets: ${detail}`);
  assert.ok(stats.nacksSent > 0, `producer nacksSent: ${detail}`);
  assert.ok(sent.nackCount > 0 && sent.retransmittedPacketsSent > 0, `the publisher got NACKs and resent: ${detail}`);
  assert.ok(lossyFrames >= MIN_FRAME_RATIO * losslessFrames, `decoded frames close to lossless: ${detail}`);
  assert.ok((longestStallMs[0] as number) <= MAX_STALL_MS, `no freeze: ${detail}`);
  assert.equal(lossless.producer.getStats().nacksSent, 0, `no NACKs without loss: ${detail}`);
});

test('5% loss between SFU and subscriber: the consumer answers NACKs from its buffer, the viewer sees no freeze', async (t) => {
  const proxy = await LossyUdpProxy.start({ targetPort: PORT, lossRate: LOSS_RATE, lossy: 'downstream', seed: 0xc0ffee });
  proxies.push(proxy);
  const { producer } = await publish();
  const lossy = await subscribe(producer, proxy);
  const lossless = await subscribe(producer);
  const subs = [lossy.subscriber, lossless.subscriber];
  assert.ok(await waitFor(() => subs.every((s) => s.videoFrames() > 0), MEDIA_TIMEOUT_MS), `first frames: ${subs.map((s) => s.videoFrames())}`);
  const { frames, longestStallMs } = await measure(subs);
  const [lossyFrames, losslessFrames] = frames as [number, number];
  const stats = lossy.consumer.getStats();
  const detail = `dropped ${proxy.dropped}/${proxy.dropped + proxy.relayed}, frames lossy ${lossyFrames} lossless ${losslessFrames}, stalls ${longestStallMs} ms, consumer ${JSON.stringify(stats)}`;
  t.diagnostic(detail);
  assert.ok(proxy.dropped > 0, `the relay dropped packets: ${detail}`);
  assert.ok(stats.nacksReceived > 0, `consumer nacksReceived: ${detail}`);
  assert.ok(stats.retransmitted > 0, `consumer retransmitted: ${detail}`);
  assert.ok(lossyFrames >= MIN_FRAME_RATIO * losslessFrames, `decoded frames close to lossless: ${detail}`);
  assert.ok((longestStallMs[0] as number) <= MAX_STALL_MS, `no freeze: ${detail}`);
  assert.equal(lossless.consumer.getStats().nacksReceived, 0, `no NACKs without loss: ${detail}`);
});
