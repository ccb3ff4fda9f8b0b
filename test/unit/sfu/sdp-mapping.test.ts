import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { types } from 'mediasoup';
import { getAttribute, getAttributes, parseSdp } from '../../../protocol/sdp/index.js';
import { UnsupportedError } from '../../../server/lib/errors.js';
import { ROUTER_MEDIA_CODECS } from '../../../server/sfu/codecs.js';
import {
  MAX_OFFER_MEDIA_SECTIONS,
  buildPublishAnswer,
  buildViewAnswer,
  h264Profile,
  parsePublishOffer,
  parseViewOffer,
  type LocalTransportParameters,
} from '../../../server/sfu/sdp-mapping.js';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/sdp/${name}`, import.meta.url), 'utf8');

// A real mediasoup worker gives the router capabilities the mapping is checked against, and the
// end-to-end tests feed its results back to produce()/consume().
let mediasoup: typeof import('mediasoup');
let worker: types.Worker;
let router: types.Router;
let caps: types.RtpCapabilities;

before(async () => {
  process.env.MEDIASOUP_WORKER_BIN ??= execFileSync('bash', [new URL('../../../scripts/mediasoup/worker.sh', import.meta.url).pathname], { encoding: 'utf8' }).trim();
  mediasoup = await import('mediasoup');
  worker = await mediasoup.createWorker({ logLevel: 'none' });
  router = await worker.createRouter({ mediaCodecs: ROUTER_MEDIA_CODECS });
  caps = router.rtpCapabilities;
});
after(() => worker?.close());

const LOCAL: LocalTransportParameters = {
  iceParameters: { usernameFragment: 'srvufrag', password: 'srvpasswordsrvpassword', iceLite: true },
  iceCandidates: [
    { foundation: 'tcpcandidate', priority: 1076302079, ip: '192.0.2.10', address: '192.0.2.10', protocol: 'tcp', port: 40000, type: 'host', tcpType: 'passive' },
    { foundation: 'udpcandidate', priority: 1076302335, ip: '192.0.2.10', address: '192.0.2.10', protocol: 'udp', port: 40000, type: 'host' },
  ],
  dtlsParameters: {
    role: 'auto',
    fingerprints: [
      { algorithm: 'sha-1', value: 'AA:BB' },
      { algorithm: 'sha-256', value: 'C3:A3:6A:4D:8A:7B:F8:18:6C:B7:72:91:38:AE:46:C7:84:08:54:22:41:79:4A:AF:FA:A7:DA:A2:6B:5F:4F:57' },
      { algorithm: 'sha-512', value: 'DD:EE' },
    ],
  },
};

const TWCC = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
const MID = 'urn:ietf:params:rtp-hdrext:sdes:mid';
const RID = 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id';

interface PublishRow {
  name: string;
  fixture: string;
  role: 'client' | 'server';
  trickle: boolean;
  candidates: number;
  /** Per mid: chosen mimeType, payload types (media, rtx), encodings, extension ids by uri; or the rejection. */
  media: Record<string, { mimeType: string; pts: number[]; encodings: types.RtpEncodingParameters[]; extensions?: Record<string, number>; cname?: string } | { rejected: true }>;
}

/** Real offers of the clients WHIP must take (provenance in test/fixtures/sdp/README.md). */
const PUBLISH_TABLE: PublishRow[] = [
  {
    name: 'Chromium audio+video: Opus and VP8 with RTX, FID SSRCs, the router-known extensions with the offer ids',
    fixture: 'chrome-audio-video-offer.sdp',
    role: 'client',
    trickle: true,
    candidates: 0,
    media: {
      '0': { mimeType: 'audio/opus', pts: [111], encodings: [{ ssrc: 381313598 }], extensions: { 'urn:ietf:params:rtp-hdrext:ssrc-audio-level': 1, 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time': 2, [TWCC]: 3, [MID]: 4 }, cname: 'KnO1qpM0VN30ofvh' },
      '1': { mimeType: 'video/VP8', pts: [96, 97], encodings: [{ ssrc: 1232013715, rtx: { ssrc: 2044082094 } }], extensions: { 'urn:ietf:params:rtp-hdrext:toffset': 14, 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time': 2, 'urn:3gpp:video-orientation': 13, [TWCC]: 3, 'http://www.webrtc.org/experiments/rtp-hdrext/playout-delay': 5, [MID]: 4, [RID]: 10, 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id': 11 } },
    },
  },
  {
    name: 'Chromium H.264-first: Baseline 42001f packetization-mode 1 (the first offered the router has), its RTX',
    fixture: 'chrome-h264-first-offer.sdp',
    role: 'client',
    trickle: true,
    candidates: 0,
    media: { '0': { mimeType: 'video/H264', pts: [103, 104], encodings: [{ ssrc: 2285988316, rtx: { ssrc: 3372189074 } }] } },
  },
  {
    name: 'Chromium rid simulcast: one encoding per rid in a=simulcast order',
    fixture: 'chrome-simulcast-offer.sdp',
    role: 'client',
    trickle: true,
    candidates: 0,
    media: { '0': { mimeType: 'video/VP8', pts: [96, 97], encodings: [{ rid: 'q' }, { rid: 'h' }, { rid: 'f' }] } },
  },
  {
    name: 'Chromium max-bundle after gathering (non-trickle): candidates only on the first m-line',
    fixture: 'chrome-max-bundle-gathered-offer.sdp',
    role: 'client',
    trickle: true,
    candidates: 8,
    media: { '0': { mimeType: 'audio/opus', pts: [111], encodings: [{ ssrc: 0 }] }, '1': { mimeType: 'video/VP8', pts: [96, 97], encodings: [{ ssrc: 4245736947, rtx: { ssrc: 3974446997 } }] } },
  },
  {
    name: 'GStreamer webrtcbin max-bundle: the bundle-only port-0 video is accepted; OPUS in capitals; H.264 42c01f; no extmap',
    fixture: 'gstreamer-webrtcbin-whip-offer.sdp',
    role: 'client',
    trickle: true,
    candidates: 9,
    media: {
      audio0: { mimeType: 'audio/opus', pts: [96], encodings: [{ ssrc: 2908519183 }], extensions: {}, cname: 'user4118571986@host-fc0efa49' },
      video1: { mimeType: 'video/H264', pts: [97, 98], encodings: [{ ssrc: 1474386010, rtx: { ssrc: 793084588 } }], extensions: {} },
    },
  },
  {
    name: 'libdatachannel as OBS sets it up: session-level fingerprint, media-level ICE, candidates, ice2',
    fixture: 'libdatachannel-obs-whip-offer.sdp',
    role: 'client',
    trickle: true,
    candidates: 2,
    media: {
      '0': { mimeType: 'audio/opus', pts: [111], encodings: [{ ssrc: 3388068600 }], extensions: {}, cname: 'Yuu1KDxQcc3L5CpY' },
      '1': { mimeType: 'video/H264', pts: [96], encodings: [{ ssrc: 3388068601 }], extensions: {} },
    },
  },
  {
    name: 'ffmpeg WHIP muxer: a=setup:passive (we become DTLS client), no candidates, no ice-options, Baseline H.264 on PT 106',
    fixture: 'ffmpeg-whip-offer.sdp',
    role: 'server',
    trickle: false,
    candidates: 0,
    media: {
      '0': { mimeType: 'audio/opus', pts: [111], encodings: [{ ssrc: 2145373265 }], extensions: {}, cname: 'FFmpeg' },
      '1': { mimeType: 'video/H264', pts: [106], encodings: [{ ssrc: 3859210470 }], extensions: {} },
    },
  },
];

describe('parsePublishOffer() on real client offers', () => {
  for (const row of PUBLISH_TABLE) {
    test(`${row.name}`, () => {
      const { transport, media } = parsePublishOffer(fixture(row.fixture), caps);
      assert.equal(transport.dtlsParameters.role, row.role);
      assert.equal(transport.iceOptionsTrickle, row.trickle);
      assert.equal(transport.candidates.length, row.candidates);
      assert.ok(transport.iceUfrag && transport.icePwd);
      assert.ok(transport.dtlsParameters.fingerprints.some((f) => f.algorithm === 'sha-256'));
      assert.deepEqual(media.map((m) => m.mid), Object.keys(row.media));
      for (const m of media) {
        const want = row.media[m.mid];
        assert.ok(want, m.mid);
        if ('rejected' in want) {
          assert.ok(m.rejected);
          continue;
        }
        const p = m.rtpParameters;
        assert.ok(p, `${m.mid} accepted (${m.rejected})`);
        assert.equal(p.mid, m.mid);
        assert.equal(p.codecs[0]?.mimeType, want.mimeType);
        assert.deepEqual(p.codecs.map((c) => c.payloadType), want.pts);
        if (want.encodings[0]?.ssrc === 0) assert.equal(p.encodings?.length, 1);
        else assert.deepEqual(p.encodings, want.encodings);
        if (want.extensions) assert.deepEqual(Object.fromEntries((p.headerExtensions ?? []).map((e) => [e.uri, e.id])), want.extensions);
        if (want.cname) assert.equal(p.rtcp?.cname, want.cname);
        assert.equal(p.rtcp?.reducedSize, true);
        if (p.codecs[1]) assert.deepEqual(p.codecs[1].parameters, { apt: p.codecs[0]?.payloadType });
        const fb = p.codecs[0]?.rtcpFeedback ?? [];
        if (m.kind === 'video' && /rtcp-fb:\d+ nack pli/.test(fixture(row.fixture))) assert.ok(fb.some((f) => f.type === 'nack' && !f.parameter) && fb.some((f) => f.type === 'nack' && f.parameter === 'pli'), 'NACK and PLI kept');
        for (const f of fb) assert.ok(['nack', 'ccm', 'goog-remb', 'transport-cc'].includes(f.type));
        if (fb.some((f) => f.type === 'transport-cc')) assert.ok(p.headerExtensions?.some((e) => e.uri === TWCC), 'transport-cc only with its extension');
      }
    });
  }
});

/** Offer edits for the quirk table. */
const chrome = (): string => fixture('chrome-audio-video-offer.sdp');
const edit = (sdp: string, from: RegExp | string, to: string): string => sdp.replace(from instanceof RegExp ? new RegExp(from.source, from.flags.includes('g') ? from.flags : `${from.flags}g`) : new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g'), to);

const ERROR_TABLE: { name: string; sdp: () => unknown; error: typeof TypeError | typeof UnsupportedError }[] = [
  { name: 'an empty body', sdp: () => '', error: TypeError },
  { name: 'text that is not SDP', sdp: () => 'hello world', error: TypeError },
  { name: 'a non-string body', sdp: () => 42, error: TypeError },
  { name: 'SDP without any m-line', sdp: () => 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n', error: TypeError },
  { name: 'a broken m-line', sdp: () => edit(chrome(), 'm=audio 9 UDP/TLS/RTP/SAVPF', 'm=audio x UDP/TLS/RTP/SAVPF'), error: TypeError },
  { name: 'a broken rtpmap', sdp: () => edit(chrome(), 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:111 opus'), error: TypeError },
  { name: 'no ICE credentials', sdp: () => edit(chrome(), /a=ice-(ufrag|pwd):.*\r\n/, ''), error: TypeError },
  { name: 'no fingerprint', sdp: () => edit(chrome(), /a=fingerprint:.*\r\n/, ''), error: TypeError },
  { name: 'only an md5 fingerprint', sdp: () => edit(chrome(), /a=fingerprint:sha-256/, 'a=fingerprint:md5'), error: UnsupportedError },
  { name: 'a=setup:holdconn', sdp: () => edit(chrome(), 'a=setup:actpass', 'a=setup:holdconn'), error: UnsupportedError },
  { name: 'a duplicate mid', sdp: () => edit(chrome(), 'a=mid:1', 'a=mid:0'), error: TypeError },
  { name: `more than ${MAX_OFFER_MEDIA_SECTIONS} m-lines`, sdp: () => chrome() + 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n'.repeat(MAX_OFFER_MEDIA_SECTIONS), error: TypeError },
  { name: 'only codecs the router lacks (VP9, AV1, G722)', sdp: () => edit(edit(chrome(), /m=video 9 UDP\/TLS\/RTP\/SAVPF [\d ]+/, 'm=video 9 UDP/TLS/RTP/SAVPF 98 99 45'), /m=audio 9 UDP\/TLS\/RTP\/SAVPF [\d ]+/, 'm=audio 9 UDP/TLS/RTP/SAVPF 9'), error: UnsupportedError },
  { name: 'a recvonly offer sent to WHIP', sdp: () => edit(chrome(), 'a=sendonly', 'a=recvonly'), error: UnsupportedError },
  { name: 'H.264 in packetization-mode 0 only', sdp: () => edit(edit(fixture('ffmpeg-whip-offer.sdp'), 'packetization-mode=1', 'packetization-mode=0'), /m=audio[\s\S]*?(?=m=video)/, ''), error: UnsupportedError },
];

describe('parsePublishOffer() on corrupt and unusable offers', () => {
  for (const row of ERROR_TABLE) {
    test(`${row.name} throws ${row.error.name}`, () => {
      assert.throws(() => parsePublishOffer(row.sdp() as string, caps), row.error);
    });
  }
});

describe('parsePublishOffer() on vendor quirks', () => {
  test('OBS 30.1 style session-level ICE credentials and setup are read', () => {
    const obs = fixture('libdatachannel-obs-whip-offer.sdp');
    const ufrag = /a=ice-ufrag:(.*)\r\n/.exec(obs)?.[1];
    const moved = edit(edit(obs, /a=(ice-ufrag|ice-pwd|setup):.*\r\n/, ''), 'a=msid-semantic:WMS *\r\n', `a=msid-semantic:WMS *\r\na=setup:actpass\r\na=ice-ufrag:${ufrag}\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n`);
    const { transport, media } = parsePublishOffer(moved, caps);
    assert.equal(transport.iceUfrag, ufrag);
    assert.equal(transport.icePwd, 'abcdefghijklmnopqrstuvwx');
    assert.equal(media.filter((m) => m.rtpParameters).length, 2);
  });

  test('a port-0 m-line without a=bundle-only is rejected, the rest accepted', () => {
    const { media } = parsePublishOffer(edit(chrome(), 'm=audio 9 ', 'm=audio 0 '), caps);
    assert.ok(media[0]?.rejected);
    assert.ok(media[1]?.rtpParameters);
  });

  test('an m-line outside the BUNDLE group is rejected', () => {
    const { media } = parsePublishOffer(edit(chrome(), 'a=group:BUNDLE 0 1', 'a=group:BUNDLE 1'), caps);
    assert.ok(media[0]?.rejected);
    assert.ok(media[1]?.rtpParameters);
  });

  test('without a BUNDLE group only the first usable m-line is accepted', () => {
    const { media } = parsePublishOffer(edit(chrome(), 'a=group:BUNDLE 0 1\r\n', ''), caps);
    assert.ok(media[0]?.rtpParameters);
    assert.ok(media[1]?.rejected);
  });

  test('a data channel m-line is rejected, media still accepted', () => {
    const { media } = parsePublishOffer(chrome() + 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:2\r\n', caps);
    assert.equal(media[2]?.kind, 'application');
    assert.ok(media[2]?.rejected);
  });

  test('no a=ssrc and no a=rid: one encoding found by the MID extension; without that extension the m-line is rejected', () => {
    const noSsrc = edit(chrome(), /a=ssrc(-group)?:.*\r\n/, '');
    const withMid = parsePublishOffer(noSsrc, caps);
    assert.deepEqual(withMid.media[1]?.rtpParameters?.encodings, [{}]);
    assert.throws(() => parsePublishOffer(edit(noSsrc, /a=extmap:4 .*\r\n/, ''), caps), UnsupportedError);
  });

  test('H.264 profiles are told apart by profile_idc and constraint flags, not by level', () => {
    assert.equal(h264Profile('42e01f'), 'constrained-baseline');
    assert.equal(h264Profile('42c01f'), 'constrained-baseline');
    assert.equal(h264Profile('4d801f'), 'constrained-baseline');
    assert.equal(h264Profile('4d401f'), 'main');
    assert.equal(h264Profile('42001f'), 'baseline');
    assert.equal(h264Profile('42000a'), 'baseline');
    assert.equal(h264Profile('4d0032'), 'main');
    assert.equal(h264Profile('640c1f'), 'constrained-high');
    assert.equal(h264Profile('640028'), 'high');
    assert.equal(h264Profile('42e0'), undefined);
  });
});

test('parsePublishOffer() leaves the router capabilities untouched and shares no objects with them', () => {
  const before = structuredClone(caps);
  const { media } = parsePublishOffer(chrome(), caps);
  assert.deepEqual(caps, before);
  const p = media[1]?.rtpParameters;
  assert.ok(p);
  p.codecs[0]!.parameters!['x'] = 1;
  p.codecs[0]!.rtcpFeedback!.push({ type: 'x' });
  assert.deepEqual(caps, before);
});

/** The lines every accepted answer m-line must carry. */
function checkAnsweredSection(lines: ReturnType<typeof parseSdp>['media'][number]['lines'], direction: string, setup: string): void {
  assert.equal(getAttribute(lines, 'ice-ufrag'), LOCAL.iceParameters.usernameFragment);
  assert.equal(getAttribute(lines, 'ice-pwd'), LOCAL.iceParameters.password);
  assert.deepEqual(getAttributes(lines, 'fingerprint'), [`sha-256 ${LOCAL.dtlsParameters.fingerprints[1]?.value}`]);
  assert.deepEqual(getAttributes(lines, 'setup'), [setup]);
  assert.equal(getAttributes(lines, direction).length, 1);
  assert.equal(getAttributes(lines, 'rtcp-mux').length, 1);
  assert.equal(getAttributes(lines, 'rtcp-rsize').length, 1);
}

describe('buildPublishAnswer()', () => {
  for (const row of PUBLISH_TABLE) {
    test(`answers ${row.fixture} with ice-lite, BUNDLE, the chosen codecs only, their rtcp-fb, extensions and candidates`, () => {
      const offer = fixture(row.fixture);
      const { media } = parsePublishOffer(offer, caps);
      const accepted = new Map(media.filter((m) => m.rtpParameters).map((m) => [m.mid, m.rtpParameters!]));
      const acceptedBefore = structuredClone([...accepted]);
      const answer = parseSdp(buildPublishAnswer(offer, LOCAL, accepted));
      assert.deepEqual([...accepted], acceptedBefore, 'inputs not mutated');
      assert.equal(getAttributes(answer.lines, 'ice-lite').length, 1);
      assert.deepEqual(getAttributes(answer.lines, 'group'), [`BUNDLE ${[...accepted.keys()].join(' ')}`]);
      assert.equal(getAttributes(answer.lines, 'msid-semantic').length, 1);
      assert.equal(answer.media.length, parseSdp(offer).media.length, 'one answer m-line per offer m-line');
      answer.media.forEach((m, i) => {
        const mid = getAttribute(m.lines, 'mid');
        const p = mid === undefined ? undefined : accepted.get(mid);
        if (!p) {
          assert.equal(m.port, 0);
          assert.equal(getAttributes(m.lines, 'inactive').length, 1);
          return;
        }
        assert.notEqual(m.port, 0);
        checkAnsweredSection(m.lines, 'recvonly', row.role === 'server' ? 'active' : 'passive');
        assert.deepEqual(m.formats, p.codecs.map((c) => String(c.payloadType)));
        assert.deepEqual(getAttributes(m.lines, 'rtpmap').map((v) => Number(v.split(' ')[0])), p.codecs.map((c) => c.payloadType));
        const fb = getAttributes(m.lines, 'rtcp-fb');
        for (const c of p.codecs) for (const f of c.rtcpFeedback ?? []) assert.ok(fb.includes(`${c.payloadType} ${f.type}${f.parameter ? ` ${f.parameter}` : ''}`));
        if (m.kind === 'video' && /rtcp-fb:\d+ nack pli/.test(offer)) assert.ok(fb.includes(`${p.codecs[0]?.payloadType} nack`) && fb.includes(`${p.codecs[0]?.payloadType} nack pli`));
        assert.deepEqual(getAttributes(m.lines, 'extmap'), (p.headerExtensions ?? []).map((e) => `${e.id} ${e.uri}`));
        const candidates = getAttributes(m.lines, 'candidate');
        if (i === answer.media.findIndex((x) => x.port !== 0)) {
          assert.deepEqual(candidates, ['udpcandidate 1 udp 1076302335 192.0.2.10 40000 typ host', 'tcpcandidate 1 tcp 1076302079 192.0.2.10 40000 typ host tcptype passive']);
          assert.equal(getAttributes(m.lines, 'end-of-candidates').length, 1);
        } else assert.equal(candidates.length, 0);
        const rids = p.encodings?.map((e) => e.rid).filter(Boolean) ?? [];
        if (rids.length > 0) {
          assert.deepEqual(getAttributes(m.lines, 'rid'), rids.map((r) => `${r} recv`));
          assert.deepEqual(getAttributes(m.lines, 'simulcast'), [`recv ${rids.join(';')}`]);
        }
      });
    });
  }

  test('a rejected m-line keeps its media type and mid, port 0, inactive, outside BUNDLE', () => {
    const offer = chrome();
    const { media } = parsePublishOffer(offer, caps);
    const answer = parseSdp(buildPublishAnswer(offer, LOCAL, new Map([['1', media[1]!.rtpParameters!]])));
    assert.equal(answer.media[0]?.kind, 'audio');
    assert.equal(answer.media[0]?.port, 0);
    assert.equal(getAttribute(answer.media[0]!.lines, 'mid'), '0');
    assert.deepEqual(getAttributes(answer.lines, 'group'), ['BUNDLE 1']);
  });

  test('an answer accepting nothing throws UnsupportedError', () => {
    assert.throws(() => buildPublishAnswer(chrome(), LOCAL, new Map()), UnsupportedError);
  });
});

describe('parseViewOffer()', () => {
  test('Chromium recvonly: receive capabilities with the offer payload types, extmap ids and rtcp-fb', () => {
    const { transport, media } = parseViewOffer(fixture('chrome-whep-recvonly-offer.sdp'));
    assert.equal(transport.dtlsParameters.role, 'client');
    const [audio, video] = media;
    const opus = audio?.rtpCapabilities?.codecs?.find((c) => c.mimeType === 'audio/opus');
    assert.equal(opus?.preferredPayloadType, 111);
    assert.equal(opus?.channels, 2);
    assert.equal(audio?.rtpCapabilities?.headerExtensions?.find((e) => e.uri === MID)?.preferredId, 4);
    const vp8 = video?.rtpCapabilities?.codecs?.find((c) => c.mimeType === 'video/VP8');
    assert.equal(vp8?.preferredPayloadType, 96);
    assert.ok(vp8?.rtcpFeedback?.some((f) => f.type === 'nack' && f.parameter === 'pli'));
    const rtx = video?.rtpCapabilities?.codecs?.find((c) => c.mimeType === 'video/rtx' && c.parameters?.['apt'] === 96);
    assert.equal(rtx?.preferredPayloadType, 97);
  });

  test('GStreamer recvonly with a bundle-only video: both m-lines usable', () => {
    const { media } = parseViewOffer(fixture('gstreamer-webrtcbin-whep-offer.sdp'));
    assert.deepEqual(media.map((m) => [m.mid, m.rejected]), [['audio0', undefined], ['video1', undefined]]);
  });

  test('a sendonly offer sent to WHEP throws UnsupportedError', () => {
    assert.throws(() => parseViewOffer(chrome()), UnsupportedError);
  });
});

describe('end to end with a real mediasoup worker', () => {
  for (const row of PUBLISH_TABLE) {
    test(`transport.produce() accepts every m-line mapped from ${row.fixture}`, async () => {
      const { transport, media } = parsePublishOffer(fixture(row.fixture), caps);
      const t = await router.createWebRtcTransport({ listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }] });
      try {
        await t.connect({ dtlsParameters: transport.dtlsParameters });
        for (const m of media) if (m.rtpParameters) await t.produce({ kind: m.kind as types.MediaKind, rtpParameters: m.rtpParameters });
      } finally {
        t.close();
      }
    });
  }

  test('a consumer on the default router sends the router payload types, so the WHEP answer is refused with UnsupportedError', async () => {
    const pub = parsePublishOffer(chrome(), caps);
    const view = parseViewOffer(fixture('chrome-whep-recvonly-offer.sdp'));
    const send = await router.createWebRtcTransport({ listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }] });
    const recv = await router.createWebRtcTransport({ listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }] });
    try {
      const producer = await send.produce({ kind: 'video', rtpParameters: pub.media[1]!.rtpParameters! });
      const consumer = await recv.consume({ producerId: producer.id, rtpCapabilities: view.media[1]!.rtpCapabilities!, paused: true });
      assert.notEqual(consumer.rtpParameters.codecs[0]?.payloadType, 96, 'mediasoup keeps the router PT');
      const local = { iceParameters: recv.iceParameters, iceCandidates: recv.iceCandidates, dtlsParameters: recv.dtlsParameters };
      assert.throws(() => buildViewAnswer(fixture('chrome-whep-recvonly-offer.sdp'), local, new Map([['1', { rtpParameters: consumer.rtpParameters, streamId: 's', trackId: 't' }]])), UnsupportedError);
    } finally {
      send.close();
      recv.close();
    }
  });

  test('with router payload types equal to the viewer offer, transport.consume() and buildViewAnswer() agree line by line', async () => {
    const offer = fixture('gstreamer-webrtcbin-whep-offer.sdp');
    const mediaCodecs = ROUTER_MEDIA_CODECS.map((c) => ({ ...c, ...(c.mimeType === 'audio/opus' ? { preferredPayloadType: 111 } : c.mimeType === 'video/VP8' ? { preferredPayloadType: 96 } : {}) }));
    const viewRouter = await worker.createRouter({ mediaCodecs });
    try {
      const pub = parsePublishOffer(chrome(), viewRouter.rtpCapabilities);
      const view = parseViewOffer(offer);
      const send = await viewRouter.createWebRtcTransport({ listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }] });
      const recv = await viewRouter.createWebRtcTransport({ listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }] });
      const consumers = new Map<string, { rtpParameters: types.RtpParameters; streamId: string; trackId: string }>();
      for (const [i, mid] of [[0, 'audio0'], [1, 'video1']] as const) {
        const producer = await send.produce({ kind: pub.media[i]!.kind as types.MediaKind, rtpParameters: pub.media[i]!.rtpParameters! });
        // The router's RTX payload type is its own choice: without RTX the consumer sends only offered PTs.
        const consumer = await recv.consume({ producerId: producer.id, rtpCapabilities: view.media[i]!.rtpCapabilities!, paused: true, enableRtx: false });
        consumers.set(mid, { rtpParameters: consumer.rtpParameters, streamId: 'stream', trackId: `track-${mid}` });
      }
      const local = { iceParameters: recv.iceParameters, iceCandidates: recv.iceCandidates, dtlsParameters: recv.dtlsParameters };
      const answer = parseSdp(buildViewAnswer(offer, local, consumers));
      assert.deepEqual(getAttributes(answer.lines, 'group'), ['BUNDLE audio0 video1']);
      for (const m of answer.media) {
        const mid = getAttribute(m.lines, 'mid') as string;
        const c = consumers.get(mid)!;
        assert.equal(getAttributes(m.lines, 'sendonly').length, 1);
        assert.equal(getAttribute(m.lines, 'ice-ufrag'), recv.iceParameters.usernameFragment);
        assert.deepEqual(getAttributes(m.lines, 'setup'), ['passive']);
        assert.deepEqual(m.formats, c.rtpParameters.codecs.map((x) => String(x.payloadType)));
        assert.deepEqual(getAttributes(m.lines, 'msid'), [`stream track-${mid}`]);
        const ssrc = c.rtpParameters.encodings![0]!.ssrc;
        assert.ok(getAttributes(m.lines, 'ssrc').includes(`${ssrc} cname:${c.rtpParameters.rtcp!.cname}`));
        if (m.kind === 'video') assert.ok(getAttributes(m.lines, 'rtcp-fb').includes('96 nack pli'));
      }
      assert.equal(getAttributes(answer.media[0]!.lines, 'candidate').length, recv.iceCandidates.length);
      send.close();
      recv.close();
    } finally {
      viewRouter.close();
    }
  });
});
