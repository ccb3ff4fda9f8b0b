import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { getAttributes, parseSdp, type SessionDescription } from '../../../protocol/sdp/index.js';
import { UnsupportedError } from '../../../server/lib/errors.js';
import {
  announceCandidates,
  buildAnswer,
  consumerCodec,
  isConstrainedBaseline,
  negotiateOffer,
  rewriteOfferForEngine,
  type LocalTransportParameters,
  type NegotiatedMedia,
} from '../../../server/sfu/ortc.js';

const fixture = (name: string): SessionDescription => parseSdp(readFileSync(new URL(`../../fixtures/sdp/${name}`, import.meta.url), 'utf8'));

const local: LocalTransportParameters = {
  iceUfrag: 'ufrg',
  icePwd: 'pppppppppppppppppppppp',
  fingerprint: { algorithm: 'sha-256', value: 'AA:BB' },
  setup: 'active',
  candidates: [{ foundation: '1', component: 1, transport: 'UDP', priority: 2114977791, address: '127.0.0.1', port: 40000, type: 'host', extensions: '' }],
  sessionId: '42',
  sessionVersion: 0,
};

function accepted(n: NegotiatedMedia | undefined): Extract<NegotiatedMedia, { accepted: true }> {
  assert.ok(n?.accepted, `m-line accepted (${n && !n.accepted ? n.reason : 'missing'})`);
  return n;
}

/** Lines of an SDP text that must never reach a publisher from Estuary. */
const FORBIDDEN = [/transport-cc/, /transport-wide-cc/, /rtx\//, /red\//, /ulpfec\//, /a=rid:/, /a=simulcast/, /a=ssrc-group/, /VP9|AV1|ISAC|G722|PCMU|PCMA|telephone-event|CN\//];

test('negotiateOffer() on a Chrome audio+video offer picks Opus and VP8 with the offerer\'s payload types and media SSRCs', () => {
  const offer = fixture('chrome-audio-video-offer.sdp');
  const [a, v] = negotiateOffer(offer).map(accepted);
  assert.equal(a?.codec.mimeType, 'audio/opus');
  assert.equal(a?.codec.payloadType, 111);
  assert.deepEqual(a?.codec.parameters, { minptime: 10, useinbandfec: 1 });
  assert.equal(a?.ssrc, 381313598);
  assert.equal(v?.codec.mimeType, 'video/VP8');
  assert.equal(v?.codec.payloadType, 96);
  assert.equal(v?.ssrc, 1232013715, 'the FID primary, not the RTX SSRC');
  assert.deepEqual(v?.codec.rtcpFeedback, [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }, { type: 'goog-remb' }]);
  assert.deepEqual(
    a?.headerExtensions.map((e) => e.uri),
    ['urn:ietf:params:rtp-hdrext:ssrc-audio-level', 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time', 'urn:ietf:params:rtp-hdrext:sdes:mid'],
  );
  assert.deepEqual(v?.headerExtensions.map((e) => e.id), [2, 4]);
});

test('buildAnswer() for a Chrome offer keeps only Estuary capabilities: no transport-cc, rtx, red, ulpfec, other codecs', () => {
  const offer = fixture('chrome-audio-video-offer.sdp');
  const answer = buildAnswer(offer, negotiateOffer(offer), local);
  for (const re of FORBIDDEN) assert.doesNotMatch(answer, re);
  const d = parseSdp(answer);
  assert.deepEqual(d.media.map((m) => m.formats), [['111'], ['96']]);
  assert.deepEqual(getAttributes(d.lines, 'group'), ['BUNDLE 0 1']);
  for (const m of d.media) {
    assert.deepEqual(getAttributes(m.lines, 'setup'), ['active']);
    assert.equal(getAttributes(m.lines, 'recvonly').length, 1);
    assert.equal(getAttributes(m.lines, 'rtcp-mux').length, 1);
  }
  assert.match(answer, /a=rtcp-fb:96 goog-remb/);
  assert.match(answer, /a=extmap:2 http:\/\/www.webrtc.org\/experiments\/rtp-hdrext\/abs-send-time/);
  assert.match(answer, /a=fmtp:111 minptime=10;useinbandfec=1/);
  assert.equal(getAttributes(d.media[0]?.lines ?? [], 'candidate').length, 1, 'candidates on the first bundled section');
});

test('rewriteOfferForEngine() leaves the engine only our codec, feedback, extensions and the media SSRC', () => {
  const offer = fixture('chrome-audio-video-offer.sdp');
  const text = rewriteOfferForEngine(offer, negotiateOffer(offer));
  for (const re of FORBIDDEN) assert.doesNotMatch(text, re);
  const d = parseSdp(text);
  assert.deepEqual(getAttributes(d.media[1]?.lines ?? [], 'ssrc'), [
    '1232013715 cname:KnO1qpM0VN30ofvh',
    '1232013715 msid:f42e73cc-84d4-416e-b6ab-e014f9b35106 393cb232-ac43-44b4-bf95-0f191adf57dd',
  ]);
  assert.deepEqual(getAttributes(d.media[0]?.lines ?? [], 'setup'), ['actpass'], 'the offer keeps the client DTLS role');
});

test('negotiateOffer() with H264 first picks constrained baseline 42e01f packetization-mode=1, not Baseline 42001f', () => {
  const offer = fixture('chrome-h264-first-offer.sdp');
  const v = accepted(negotiateOffer(offer)[0]);
  assert.equal(v.codec.mimeType, 'video/H264');
  assert.equal(v.codec.payloadType, 109);
  assert.deepEqual(v.codec.parameters, { 'level-asymmetry-allowed': 1, 'packetization-mode': 1, 'profile-level-id': '42e01f' });
  const answer = buildAnswer(offer, negotiateOffer(offer), local);
  assert.match(answer, /a=rtpmap:109 H264\/90000/);
  assert.match(answer, /a=fmtp:109 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f/);
  for (const re of FORBIDDEN) assert.doesNotMatch(answer, re);
});

test('negotiateOffer() with rid simulcast accepts one stream with no SSRC and the answer drops rid/simulcast', () => {
  const offer = fixture('chrome-simulcast-offer.sdp');
  const v = accepted(negotiateOffer(offer)[0]);
  assert.equal(v.codec.mimeType, 'video/VP8');
  assert.equal(v.ssrc, undefined, 'latched from the first packet');
  const answer = buildAnswer(offer, negotiateOffer(offer), local);
  assert.doesNotMatch(answer, /a=rid|a=simulcast/);
  assert.doesNotMatch(rewriteOfferForEngine(offer, negotiateOffer(offer)), /a=rid|a=simulcast/);
});

test('negotiateOffer() rejects m-lines it cannot serve, with a reason, and the answer disables them', () => {
  const offer = fixture('chrome-audio-video-offer.sdp');
  const videoOnlyVp9 = parseSdp(
    [
      'v=0',
      'o=- 1 2 IN IP4 127.0.0.1',
      's=-',
      't=0 0',
      'a=group:BUNDLE 0 1 2',
      'm=video 9 UDP/TLS/RTP/SAVPF 98',
      'a=mid:0',
      'a=sendonly',
      'a=rtpmap:98 VP9/90000',
      'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
      'a=mid:1',
      'm=video 9 UDP/TLS/RTP/SAVPF 107',
      'a=mid:2',
      'a=rtpmap:107 H264/90000',
      'a=fmtp:107 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
      '',
    ].join('\r\n'),
  );
  const n = negotiateOffer(videoOnlyVp9);
  assert.deepEqual(
    n.map((x) => x.accepted),
    [false, false, false],
  );
  for (const x of n) if (!x.accepted) assert.ok(x.reason.length > 0);
  const answer = parseSdp(buildAnswer(videoOnlyVp9, n, local));
  assert.deepEqual(
    answer.media.map((m) => m.port),
    [0, 0, 0],
  );
  assert.equal(getAttributes(answer.lines, 'group').length, 0, 'no BUNDLE group without accepted m-lines');
  assert.ok(negotiateOffer(offer).every((x) => x.accepted));
});

test('isConstrainedBaseline() follows RFC 6184 profile-iop rules', () => {
  const table: [string | undefined, boolean][] = [
    ['42e01f', true],
    ['42c01f', true],
    ['42001f', false],
    ['4d001f', false],
    ['4d801f', true],
    ['58c01f', true],
    ['640c1f', false],
    [undefined, false],
    ['zz', false],
  ];
  for (const [id, want] of table) assert.equal(isConstrainedBaseline(id), want, String(id));
});

test('consumerCodec() maps a producer codec to our payload type; unknown codecs are UnsupportedError', () => {
  assert.equal(consumerCodec({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 120, parameters: {} }).payloadType, 96);
  assert.equal(consumerCodec({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 109, parameters: {} }).payloadType, 111);
  assert.equal(consumerCodec({ mimeType: 'video/H264', clockRate: 90000, payloadType: 109, parameters: {} }).payloadType, 102);
  assert.throws(() => consumerCodec({ mimeType: 'video/VP9', clockRate: 90000, payloadType: 98, parameters: {} }), UnsupportedError);
});

test('announceCandidates() rewrites host candidate addresses only', () => {
  const out = announceCandidates([...local.candidates, { ...local.candidates[0]!, type: 'srflx', address: '1.2.3.4' }], '203.0.113.7');
  assert.deepEqual(
    out.map((c) => c.address),
    ['203.0.113.7', '1.2.3.4'],
  );
  assert.equal(announceCandidates(local.candidates, null)[0]?.address, '127.0.0.1');
});
