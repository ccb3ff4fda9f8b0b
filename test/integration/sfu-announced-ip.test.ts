import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Sfu } from '../../server/sfu/index.js';
import { waitFor, WrtcBot } from '../helpers/wrtc-bot.js';
import { exitWhenDrained } from '../helpers/wrtc-exit.js';

/**
 * `announcedIp` (a server behind 1:1 NAT): the SDP Estuary hands out names the announced address
 * in its host candidates instead of the bound one, in both directions (the send transport's answer
 * and the recv transport's offer), and rewriting does not break ICE where the announced address
 * is reachable.
 */

exitWhenDrained();

/** RFC 5737 TEST-NET-3: never routed, so only the SDP can be checked with it. */
const ANNOUNCED = '203.0.113.10';
const MEDIA_TIMEOUT_MS = 20_000;
const MIN_FRAMES = 30;

const sfus: Sfu[] = [];
const bots: WrtcBot[] = [];

function randomPort(): number {
  return 20000 + Math.floor(Math.random() * 10000);
}

function sfuWith(announcedIp: string, port: number): Sfu {
  const sfu = new Sfu({ listenIp: '127.0.0.1', announcedIp, udpMux: true, port, portMax: port, iceServers: [], maxIncomingBitrate: 2_000_000 });
  sfus.push(sfu);
  return sfu;
}

function bot(): WrtcBot {
  const b = new WrtcBot();
  bots.push(b);
  return b;
}

/** `a=candidate` lines as [address, port, type] (RFC 8839 §5.1). */
function candidates(sdp: string): [string, number, string][] {
  return sdp
    .split('\r\n')
    .filter((l) => l.startsWith('a=candidate:'))
    .map((l) => {
      const f = l.split(' ');
      return [f[4] ?? '', Number(f[5]), f[7] ?? ''];
    });
}

after(() => {
  for (const b of bots) b.close();
  for (const s of sfus) s.close();
});

test('host candidates of the send answer and of the recv offer carry announcedIp and the mux port', async () => {
  const port = randomPort();
  const router = sfuWith(ANNOUNCED, port).createRouter();
  const publisher = bot();
  const video = publisher.addSyntheticVideo();
  const send = router.createWebRtcTransport({ direction: 'send' });
  const offer = await publisher.offer(); // sets the transceiver's mid
  const { producer, sdpAnswer } = await send.produce({ kind: 'video', mid: video.mid ?? '', sdpOffer: offer });
  const recv = router.createWebRtcTransport({ direction: 'recv' });
  const { sdpOffer } = await recv.consume({ producer });
  for (const [name, sdp] of [
    ['send answer', sdpAnswer],
    ['recv offer', sdpOffer],
  ] as const) {
    const found = candidates(sdp);
    assert.ok(found.length > 0, `${name} has candidates`);
    for (const [address, p, type] of found) {
      assert.equal(type, 'host', `${name}: only host candidates without STUN`);
      assert.equal(address, ANNOUNCED, `${name}: announced address`);
      assert.equal(p, port, `${name}: the mux port`);
    }
    assert.doesNotMatch(sdp, /a=candidate:.* 127\.0\.0\.1 /, `${name}: the bound address is not revealed`);
  }
});

test('with announcedIp 127.0.0.1, ICE on loopback connects both legs and video is decoded', async () => {
  const router = sfuWith('127.0.0.1', randomPort()).createRouter();
  const publisher = bot();
  const video = publisher.addSyntheticVideo();
  const send = router.createWebRtcTransport({ direction: 'send' });
  const offer = await publisher.offer();
  const produced = await send.produce({ kind: 'video', mid: video.mid ?? '', sdpOffer: offer });
  await publisher.applyAnswer(produced.sdpAnswer);
  const subscriber = bot();
  const recv = router.createWebRtcTransport({ direction: 'recv' });
  const { consumer, sdpOffer } = await recv.consume({ producer: produced.producer });
  for (const [address] of candidates(sdpOffer)) assert.equal(address, '127.0.0.1');
  await recv.setRemoteAnswer(await subscriber.answer(sdpOffer));
  consumer.resume();
  assert.ok(await waitFor(() => subscriber.videoFrames() >= MIN_FRAMES, MEDIA_TIMEOUT_MS), `frames: ${subscriber.videoFrames()}`);
  assert.equal(send.connectionState, 'connected');
  assert.equal(recv.connectionState, 'connected');
});
