import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { roomsOf } from '../../server/rooms/mount.js';
import { webrtcStreamsOf } from '../../server/bridge/mount.js';
import type { Consumer, Producer, Router } from '../../server/sfu/index.js';
import type { EstuaryServer } from '../../server/server.js';
import { Device } from 'mediasoup-client';
import { RoomBot } from '../helpers/room-bot.js';
import { candidatesVia, LossyUdpProxy, withoutCandidates } from '../helpers/lossy-udp-proxy.js';
import { postSdp, startStreamsServer } from '../helpers/webrtc-streams.js';
import { waitFor, WrtcBot } from '../helpers/wrtc-bot.js';
import { exitWhenDrained } from '../helpers/wrtc-exit.js';

/**
 * NACK with loss on the wire (ARCHITECTURE.md, Media engine: loss must be made outside the SFU,
 * or SRTP replay protection drops the resend). A dgram relay drops a seeded 5% of RTP between a
 * wrtc peer and the SFU's media port; the peer is pointed at the relay by rewriting the server's
 * candidates in the answer it is given, and mediasoup (ICE-lite) learns the relay's address from
 * the peer's checks (the peer's own candidates are withheld). Upstream: a WHIP publisher, WHEP
 * viewers. Downstream: room subscribers (mediasoup-client), whose consumers resend over RTX.
 * WHEP viewers get no retransmissions: mediasoup sends RTX with its router's RTX payload type,
 * which a WHEP offer does not contain, and drops plain NACK without RTX (README, WHEP); they
 * recover by PLI. Each lossy leg is compared with a lossless twin measured over the same window
 * on the same machine.
 */

exitWhenDrained();

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

let server: EstuaryServer & { url: string };
let mediaPort = 0;
const bots: WrtcBot[] = [];
const proxies: LossyUdpProxy[] = [];
let streams = 0;

function bot(): WrtcBot {
  const b = new WrtcBot();
  bots.push(b);
  return b;
}

/** The server-side objects of a stream path (its producers) and of the newest WHEP viewer of it. */
function producersOf(path: string): Producer[] {
  return webrtcStreamsOf(server.httpServer)?.manager.get(path)?.viewable() ?? [];
}

/** A wrtc WHIP publisher of synthetic video as a new stream, optionally through `proxy`. */
async function publish(proxy?: LossyUdpProxy): Promise<{ publisher: WrtcBot; producer: Producer; path: string }> {
  const path = `live/loss-${streams++}`;
  const publisher = bot();
  publisher.addSyntheticVideo();
  const offer = await publisher.offer();
  const res = await postSdp(`${server.url}/whip/${path}`, proxy ? withoutCandidates(offer) : offer);
  assert.equal(res.status, 201);
  const answer = await res.text();
  await publisher.applyAnswer(proxy ? candidatesVia(answer, proxy.port) : answer);
  const [producer] = producersOf(path);
  assert.ok(producer, `no producer for ${path}`);
  return { publisher, producer, path };
}

/** A wrtc WHEP viewer of `path`, optionally through `proxy`; returns the server's consumer for it. */
async function subscribe(path: string, proxy?: LossyUdpProxy): Promise<{ subscriber: WrtcBot; consumer: Consumer }> {
  const subscriber = bot();
  subscriber.pc.addTransceiver('video', { direction: 'recvonly' });
  const offer = await subscriber.offer();
  const res = await postSdp(`${server.url}/whep/${path}`, proxy ? withoutCandidates(offer) : offer);
  assert.equal(res.status, 201);
  const answer = await res.text();
  await subscriber.applyAnswer(proxy ? candidatesVia(answer, proxy.port) : answer);
  const ssrc = Number(/a=ssrc:(\d+) /.exec(answer)?.[1]);
  const consumer = consumersBySsrc.get(ssrc);
  assert.ok(consumer, `no consumer with ssrc ${ssrc}`);
  return { subscriber, consumer };
}

/**
 * The lossless twin's NACKs come from the machine, not the relay: none on a quiet machine, a few
 * when 2 loaded cores make a receiver miss datagrams (its socket buffer overflows). The lossy leg
 * must account for nearly all of them.
 */
function assertControlQuiet(controlNacks: number, lossyNacks: number, detail: string): void {
  assert.ok(controlNacks * MIN_NACK_SHARE <= lossyNacks, `NACKs without loss (${controlNacks}) are not a small share of the lossy leg's (${lossyNacks}): ${detail}`);
}
/** The lossy leg has at least this many times the NACKs of its lossless twin. */
const MIN_NACK_SHARE = 5;

/** The port the next room client's recv transport is told to send to (0: the server's own). */
let recvCandidatePort = 0;
const originalCreateRecvTransport = Device.prototype.createRecvTransport;
Device.prototype.createRecvTransport = function (this: Device, options: Parameters<Device['createRecvTransport']>[0]) {
  const port = recvCandidatePort;
  const iceCandidates = port === 0 ? options.iceCandidates : options.iceCandidates.filter((c) => c.protocol === 'udp').map((c) => ({ ...c, port }));
  return originalCreateRecvTransport.call(this, { ...options, iceCandidates });
} as Device['createRecvTransport'];

function roomBot(name: string): RoomBot {
  const b = new RoomBot({ url: server.url, roomId: 'loss', displayName: name });
  roomBots.push(b);
  return b;
}
const roomBots: RoomBot[] = [];

/** The server-side video consumer of a room bot (its one remote video). */
function videoConsumerOf(b: RoomBot): Consumer {
  const peer = roomsOf(server.httpServer)?.rooms.get('loss')?.peers.get(b.client.peerId ?? '');
  const consumer = [...(peer?.consumers.values() ?? [])].find((c) => c.kind === 'video');
  assert.ok(consumer, 'no video consumer');
  return consumer;
}

/** Every consumer the SFU creates, by its SSRC (mediasoup's observer API). */
const consumersBySsrc = new Map<number, Consumer>();

/** Frames each subscriber decodes over MEASURE_MS, and each one's longest stall between frames. */
async function measure(subs: { videoFrames(): number }[]): Promise<{ frames: number[]; longestStallMs: number[] }> {
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

before(async () => {
  server = await startStreamsServer({ webrtc: { workers: 1 } });
  mediaPort = server.config.webrtc.port;
  const rooms = roomsOf(server.httpServer);
  assert.ok(rooms);
  const watch = (router: Router): void => {
    router.observer.on('newtransport', (t) =>
      t.observer.on('newconsumer', (c) => {
        const ssrc = c.rtpParameters.encodings?.[0]?.ssrc;
        if (ssrc !== undefined) consumersBySsrc.set(ssrc, c);
      }),
    );
  };
  for (const r of rooms.sfu.routers) watch(r);
  rooms.sfu.on('newrouter', watch);
});

after(async () => {
  await Promise.all(roomBots.map((b) => b.close()));
  for (const b of bots) b.close();
  for (const p of proxies) p.close();
  await server?.close();
});

/** mediasoup's inbound (producer) or outbound (consumer) RTP stats of the media stream, summed. */
async function nackStats(o: Producer | Consumer): Promise<{ nackCount: number; nackPacketCount: number; packetCount: number; retransmitted: number }> {
  const out = { nackCount: 0, nackPacketCount: 0, packetCount: 0, retransmitted: 0 };
  for (const s of await o.getStats()) {
    out.nackCount += s.nackCount;
    out.nackPacketCount += s.nackPacketCount;
    out.packetCount += s.packetCount;
    out.retransmitted += s.packetsRetransmitted;
  }
  return out;
}

test('5% loss between publisher and SFU: the producer NACKs, the publisher resends, viewers see no freeze', async (t) => {
  const proxy = await LossyUdpProxy.start({ targetPort: mediaPort, lossRate: LOSS_RATE, lossy: 'upstream', seed: 0x5eed });
  proxies.push(proxy);
  const lossy = await publish(proxy);
  const lossless = await publish();
  const viewers = [await subscribe(lossy.path), await subscribe(lossless.path)];
  const subs = viewers.map((v) => v.subscriber);
  assert.ok(await waitFor(() => subs.every((s) => s.videoFrames() > 0), MEDIA_TIMEOUT_MS), `first frames: ${subs.map((s) => s.videoFrames())}`);
  const { frames, longestStallMs } = await measure(subs);
  const [lossyFrames, losslessFrames] = frames as [number, number];
  const stats = await nackStats(lossy.producer);
  const sent = await outboundVideo(lossy.publisher);
  const detail = `dropped ${proxy.dropped}/${proxy.dropped + proxy.relayed}, frames lossy ${lossyFrames} lossless ${losslessFrames}, stalls ${longestStallMs} ms, producer ${JSON.stringify(stats)}, publisher ${JSON.stringify(sent)}`;
  t.diagnostic(detail);
  assert.ok(proxy.dropped > 0, `the relay dropped packets: ${detail}`);
  assert.ok(stats.nackCount > 0, `the producer sent NACKs: ${detail}`);
  assert.ok(sent.nackCount > 0 && sent.retransmittedPacketsSent > 0, `the publisher got NACKs and resent: ${detail}`);
  assert.ok(lossyFrames >= MIN_FRAME_RATIO * losslessFrames, `decoded frames close to lossless: ${detail}`);
  assert.ok((longestStallMs[0] as number) <= MAX_STALL_MS, `no freeze: ${detail}`);
  assertControlQuiet((await nackStats(lossless.producer)).nackCount, stats.nackCount, detail);
});

test('5% loss between SFU and a room subscriber: the consumer answers NACKs over RTX from its buffer, the viewer sees no freeze', async (t) => {
  const proxy = await LossyUdpProxy.start({ targetPort: mediaPort, lossRate: LOSS_RATE, lossy: 'downstream', seed: 0xc0ffee });
  proxies.push(proxy);
  const publisher = roomBot('Publisher');
  await publisher.client.join();
  await publisher.publish();
  const pubId = publisher.client.peerId ?? '';
  // The lossy subscriber's recv transport is pointed at the relay (mediasoup-client takes the
  // server's candidates from signaling: rewritten on their way into its Device).
  const lossy = roomBot('Lossy');
  recvCandidatePort = proxy.port;
  await lossy.client.join();
  recvCandidatePort = 0;
  const lossless = roomBot('Lossless');
  await lossless.client.join();
  const subs = [lossy, lossless].map((b) => ({ videoFrames: () => b.from(pubId).videoFrames }));
  assert.ok(await waitFor(() => subs.every((s) => s.videoFrames() > 0), MEDIA_TIMEOUT_MS), `first frames: ${subs.map((s) => s.videoFrames())}`);
  const { frames, longestStallMs } = await measure(subs);
  const [lossyFrames, losslessFrames] = frames as [number, number];
  const stats = await nackStats(videoConsumerOf(lossy));
  const detail = `dropped ${proxy.dropped}/${proxy.dropped + proxy.relayed}, frames lossy ${lossyFrames} lossless ${losslessFrames}, stalls ${longestStallMs} ms, consumer ${JSON.stringify(stats)}`;
  t.diagnostic(detail);
  assert.ok(proxy.dropped > 0, `the relay dropped packets: ${detail}`);
  assert.ok(stats.nackCount > 0 && stats.retransmitted > 0, `the consumer was NACKed and resent: ${detail}`);
  assert.ok(lossyFrames >= MIN_FRAME_RATIO * losslessFrames, `decoded frames close to lossless: ${detail}`);
  assert.ok((longestStallMs[0] as number) <= MAX_STALL_MS, `no freeze: ${detail}`);
  assertControlQuiet((await nackStats(videoConsumerOf(lossless))).nackCount, stats.nackCount, detail);
});
