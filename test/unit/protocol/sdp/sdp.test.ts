import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ParseError } from '../../../../protocol/errors.js';
import {
  getAttributes,
  getCandidates,
  getDirection,
  getMid,
  getTransportParameters,
  MAX_SDP_LINE_LENGTH,
  MAX_SDP_LINES,
  parseCandidate,
  parseExtmap,
  parseFmtp,
  parseMsid,
  parseRtcpFb,
  parseRtpmap,
  parseSdp,
  parseSsrc,
  parseSsrcGroup,
  writeSdp,
} from '../../../../protocol/sdp/index.js';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/sdp/${name}`, import.meta.url), 'utf8');

test('parseSdp() splits a Chrome offer into session lines and media sections', () => {
  const d = parseSdp(fixture('chrome-audio-video-offer.sdp'));
  assert.equal(d.media.length, 2);
  const [audio, video] = d.media;
  assert.equal(audio?.kind, 'audio');
  assert.equal(audio?.formats[0], '111');
  assert.equal(video?.kind, 'video');
  assert.equal(getMid(video?.lines ?? []), '1');
  assert.equal(getDirection(video?.lines ?? []), 'sendonly');
  assert.deepEqual(getAttributes(d.lines, 'group'), ['BUNDLE 0 1']);
  const tp = getTransportParameters(audio?.lines ?? [], d.lines);
  assert.equal(tp.setup, 'actpass');
  assert.equal(tp.fingerprint?.algorithm, 'sha-256');
});

test('writeSdp(parseSdp(x)) reproduces x, keeping unknown lines', () => {
  for (const f of ['chrome-audio-video-offer.sdp', 'chrome-simulcast-offer.sdp', 'chrome-h264-first-offer.sdp']) {
    const text = fixture(f);
    assert.equal(writeSdp(parseSdp(text)), text.replace(/\r?\n/g, '\r\n'), f);
  }
  const odd = 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nx=vendor thing\r\nm=audio 9 RTP/AVP 0\r\na=weird:1\r\n';
  assert.equal(writeSdp(parseSdp(odd)), odd);
});

test('parseSdp() accepts LF line ends and a missing last line end', () => {
  const d = parseSdp('v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\nm=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:0');
  assert.equal(getMid(d.media[0]?.lines ?? []), '0');
});

const corrupt: { name: string; text: string; reason: string }[] = [
  { name: 'no v=0 first', text: 'o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n', reason: 'bad-version' },
  { name: 'empty text', text: '\r\n\r\n', reason: 'empty' },
  { name: 'a line without =', text: 'v=0\r\nhello\r\n', reason: 'bad-line' },
  { name: 'an m-line without formats or protocol', text: 'v=0\r\nm=audio\r\n', reason: 'bad-media-line' },
  { name: 'an m-line with a bad port', text: 'v=0\r\nm=audio 70000 RTP/AVP 0\r\n', reason: 'bad-media-line' },
  { name: 'a line over the length limit', text: `v=0\r\na=${'x'.repeat(MAX_SDP_LINE_LENGTH)}\r\n`, reason: 'line-too-long' },
  { name: 'too many lines', text: `v=0\r\n${'a=x\r\n'.repeat(MAX_SDP_LINES + 1)}`, reason: 'too-many-lines' },
];

for (const c of corrupt) {
  test(`parseSdp() with ${c.name} throws ParseError '${c.reason}'`, () => {
    assert.throws(() => parseSdp(c.text), (e: unknown) => e instanceof ParseError && e.reason === c.reason);
  });
}

test('attribute helpers parse rtpmap, fmtp, rtcp-fb, extmap, ssrc, ssrc-group, msid, candidate', () => {
  assert.deepEqual(parseRtpmap('111 opus/48000/2'), { payloadType: 111, encoding: 'opus', clockRate: 48000, channels: 2 });
  assert.deepEqual(parseRtpmap('96 VP8/90000'), { payloadType: 96, encoding: 'VP8', clockRate: 90000 });
  assert.deepEqual(parseFmtp('109 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f').parameters, {
    'level-asymmetry-allowed': '1',
    'packetization-mode': '1',
    'profile-level-id': '42e01f',
  });
  assert.deepEqual(parseFmtp('63 111/111').parameters, { '111/111': '' });
  assert.deepEqual(parseRtcpFb('96 nack pli'), { payloadType: 96, type: 'nack', parameter: 'pli' });
  assert.deepEqual(parseRtcpFb('* transport-cc'), { payloadType: '*', type: 'transport-cc' });
  assert.deepEqual(parseExtmap('3/sendonly urn:x'), { id: 3, direction: 'sendonly', uri: 'urn:x' });
  assert.deepEqual(parseSsrc('1232013715 msid:abc def'), { ssrc: 1232013715, attribute: 'msid', value: 'abc def' });
  assert.deepEqual(parseSsrcGroup('FID 1 2'), { semantics: 'FID', ssrcs: [1, 2] });
  assert.deepEqual(parseMsid('stream track'), { streamId: 'stream', trackId: 'track' });
  const c = parseCandidate('1 1 UDP 2114977791 127.0.0.1 29711 typ host');
  assert.equal(c.address, '127.0.0.1');
  assert.equal(c.port, 29711);
  assert.equal(c.type, 'host');
  assert.deepEqual(getCandidates([{ type: 'a', value: 'candidate:1 1 UDP 1 10.0.0.1 5000 typ srflx raddr 0.0.0.0 rport 0' }])[0]?.extensions, 'raddr 0.0.0.0 rport 0');
  for (const [fn, bad] of [
    [parseRtpmap, 'opus'],
    [parseSsrc, '99999999999 cname:x'],
    [parseCandidate, 'nonsense'],
    [parseExtmap, 'x urn'],
  ] as const) {
    assert.throws(() => fn(bad), ParseError);
  }
});
