import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParseError } from '../../../../protocol/errors.js';
import {
  formatRange, formatRtpInfo, formatSession, formatTransport, parseRange, parseRtpInfo, parseSession, parseTransport, type TransportSpec,
} from '../../../../protocol/rtsp/headers.js';
import { formatRtspUrl, parseRtspUrl, requestTarget, resolveControl } from '../../../../protocol/rtsp/url.js';

const isParseError = (reason: string) => (err: unknown): boolean => err instanceof ParseError && err.reason === reason;

// One table drives format and parse of Transport.
const TRANSPORTS: { name: string; spec: TransportSpec; text: string }[] = [
  { name: 'UDP unicast with client ports', spec: { protocol: 'udp', multicast: false, clientPort: [5000, 5001], other: {} }, text: 'RTP/AVP;unicast;client_port=5000-5001' },
  { name: 'TCP interleaved', spec: { protocol: 'tcp', multicast: false, interleaved: [0, 1], other: {} }, text: 'RTP/AVP/TCP;unicast;interleaved=0-1' },
  {
    name: 'server reply with ssrc and both ports',
    spec: { protocol: 'udp', multicast: false, clientPort: [5000, 5001], serverPort: [6970, 6971], ssrc: 0x1234abcd, other: {} },
    text: 'RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc=1234ABCD',
  },
  { name: 'record mode', spec: { protocol: 'tcp', multicast: false, interleaved: [2, 3], mode: 'record', other: {} }, text: 'RTP/AVP/TCP;unicast;interleaved=2-3;mode=record' },
];

for (const c of TRANSPORTS) {
  test(`Transport round trip: ${c.name}`, () => {
    assert.equal(formatTransport(c.spec), c.text);
    assert.deepEqual(parseTransport(c.text), [c.spec]);
  });
}

test('Transport quirks: a list of offers, quoted upper-case mode, RTP/AVP/UDP, single port, unknown params kept', () => {
  const specs = parseTransport('RTP/AVP/TCP;unicast;interleaved=0-1, RTP/AVP/UDP;unicast;client_port=7000;mode="PLAY";x-foo=1');
  assert.equal(specs.length, 2);
  assert.equal(specs[0]?.protocol, 'tcp');
  assert.deepEqual(specs[1]?.clientPort, [7000, 7001]);
  assert.equal(specs[1]?.mode, 'play');
  assert.equal(specs[1]?.other['x-foo'], '1');
  assert.equal(parseTransport('RTP/AVP;unicast;ssrc=0x0000ABCD')[0]?.ssrc, 0xabcd);
});

const BAD_TRANSPORTS: { name: string; text: string; reason: string }[] = [
  { name: 'RAW/RAW/UDP', text: 'RAW/RAW/UDP;unicast', reason: 'unsupported-transport' },
  { name: 'port out of range', text: 'RTP/AVP;client_port=70000-70001', reason: 'bad-transport' },
  { name: 'channel out of range', text: 'RTP/AVP/TCP;interleaved=300-301', reason: 'bad-transport' },
  { name: 'non-hex ssrc', text: 'RTP/AVP;ssrc=zz', reason: 'bad-transport' },
  { name: 'empty header', text: ' , ', reason: 'bad-transport' },
];
for (const c of BAD_TRANSPORTS) {
  test(`Transport malformed: ${c.name} is ParseError(${c.reason})`, () => assert.throws(() => parseTransport(c.text), isParseError(c.reason)));
}

test('Session: id and timeout; a zero or odd timeout falls back to none; bad ids are bad-session', () => {
  assert.deepEqual(parseSession('12345678;timeout=30'), { id: '12345678', timeout: 30 });
  assert.deepEqual(parseSession('ABCD ; timeout = 45'), { id: 'ABCD', timeout: 45 });
  assert.deepEqual(parseSession('x1;timeout=0'), { id: 'x1' });
  assert.equal(formatSession({ id: 'abc', timeout: 60 }), 'abc;timeout=60');
  assert.throws(() => parseSession(''), isParseError('bad-session'));
  assert.throws(() => parseSession('a b'), isParseError('bad-session'));
});

test('RTP-Info: entries with seq and rtptime round trip; bad numbers are bad-rtp-info', () => {
  const entries = [{ url: 'rtsp://h/live/x/trackID=0', seq: 1234, rtptime: 4000000000 }, { url: 'rtsp://h/live/x/trackID=1', seq: 7 }];
  const text = formatRtpInfo(entries);
  assert.equal(text, 'url=rtsp://h/live/x/trackID=0;seq=1234;rtptime=4000000000,url=rtsp://h/live/x/trackID=1;seq=7');
  assert.deepEqual(parseRtpInfo(text), entries);
  assert.deepEqual(parseRtpInfo('url=rtsp://h/a, url=rtsp://h/b;seq=1'), [{ url: 'rtsp://h/a' }, { url: 'rtsp://h/b', seq: 1 }]);
  assert.throws(() => parseRtpInfo('url=rtsp://h/a;seq=70000'), isParseError('bad-rtp-info'));
  assert.throws(() => parseRtpInfo('seq=1'), isParseError('bad-rtp-info'));
});

test('Range: npt forms; other units are unsupported-range', () => {
  assert.deepEqual(parseRange('npt=0-'), { start: 0 });
  assert.deepEqual(parseRange('npt=now-'), {});
  assert.deepEqual(parseRange('npt=1.5-10'), { start: 1.5, end: 10 });
  assert.deepEqual(parseRange('npt=0:01:02.5-'), { start: 62.5 });
  assert.equal(formatRange({ start: 0 }), 'npt=0-');
  assert.throws(() => parseRange('clock=19961108T142300Z-'), isParseError('unsupported-range'));
  assert.throws(() => parseRange('npt=abc'), isParseError('bad-range'));
});

test('URLs: credentials decoded, default ports, formatting drops credentials', () => {
  const u = parseRtspUrl('rtsp://admin:p%40ss@10.0.0.5/Streaming/Channels/101?transportmode=unicast');
  assert.deepEqual(u, { scheme: 'rtsp', host: '10.0.0.5', port: 554, path: '/Streaming/Channels/101', query: 'transportmode=unicast', username: 'admin', password: 'p@ss' });
  assert.equal(formatRtspUrl(u), 'rtsp://10.0.0.5/Streaming/Channels/101?transportmode=unicast');
  assert.equal(parseRtspUrl('rtsps://cam:8322/x').port, 8322);
  assert.equal(parseRtspUrl('rtsps://cam/x').port, 322);
  assert.equal(parseRtspUrl('rtsp://[::1]:8554/live').host, '::1');
  assert.throws(() => parseRtspUrl('http://h/x'), isParseError('bad-url'));
  assert.throws(() => parseRtspUrl('rtsp://h:99999/x'), isParseError('bad-url'));
});

test('resolveControl(): absolute, relative, * and query controls', () => {
  assert.equal(resolveControl('rtsp://h/live/x/', 'trackID=1'), 'rtsp://h/live/x/trackID=1');
  assert.equal(resolveControl('rtsp://h/live/x', 'trackID=1'), 'rtsp://h/live/x/trackID=1');
  assert.equal(resolveControl('rtsp://h/live/x', 'rtsp://other/a/b'), 'rtsp://other/a/b');
  assert.equal(resolveControl('rtsp://h/live/x', '*'), 'rtsp://h/live/x');
  assert.equal(resolveControl('rtsp://h/live/x', undefined), 'rtsp://h/live/x');
  assert.equal(resolveControl('rtsp://h/live/x', '?ctype=video'), 'rtsp://h/live/x?ctype=video');
});

test('requestTarget(): stream path and query of absolute and path-only URIs', () => {
  assert.deepEqual(requestTarget('rtsp://127.0.0.1:8554/live/x?key=abc'), { path: 'live/x', query: 'key=abc' });
  assert.deepEqual(requestTarget('rtsp://127.0.0.1:8554/live/x/'), { path: 'live/x', query: '' });
  assert.deepEqual(requestTarget('/live/x/trackID=0'), { path: 'live/x/trackID=0', query: '' });
  assert.throws(() => requestTarget('*'), isParseError('bad-url'));
});
