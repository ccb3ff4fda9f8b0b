import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParseError } from '../../../../protocol/errors.js';
import {
  getCSeq, getHeader, getHeaders, MAX_RTSP_BODY_SIZE, MAX_RTSP_HEADERS, MAX_RTSP_LINE_LENGTH, parseRtspMessage,
  writeRtspRequest, writeRtspResponse, type RtspMessage,
} from '../../../../protocol/rtsp/message.js';
import { MIN_INTERLEAVED_LENGTH, parseInterleavedFrame, RtspConnectionReader, writeInterleavedFrame } from '../../../../protocol/rtsp/interleaved.js';
import { mutations } from '../fuzz.js';

const bytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));

// One table drives write and parse: the message, its wire text.
const ROUND_TRIPS: { name: string; message: RtspMessage; wire: string }[] = [
  {
    name: 'OPTIONS request',
    message: { kind: 'request', method: 'OPTIONS', uri: 'rtsp://127.0.0.1:8554/live/x', headers: [['CSeq', '1'], ['User-Agent', 'Lavf60']], body: new Uint8Array(0) },
    wire: 'OPTIONS rtsp://127.0.0.1:8554/live/x RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: Lavf60\r\n\r\n',
  },
  {
    name: 'ANNOUNCE with an SDP body',
    message: { kind: 'request', method: 'ANNOUNCE', uri: 'rtsp://h/live/p', headers: [['CSeq', '2'], ['Content-Type', 'application/sdp']], body: bytes('v=0\r\n') },
    wire: 'ANNOUNCE rtsp://h/live/p RTSP/1.0\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n',
  },
  {
    name: '200 response with a Session',
    message: { kind: 'response', status: 200, reason: 'OK', headers: [['CSeq', '3'], ['Session', 'abc;timeout=60']], body: new Uint8Array(0) },
    wire: 'RTSP/1.0 200 OK\r\nCSeq: 3\r\nSession: abc;timeout=60\r\n\r\n',
  },
  {
    name: '401 with two challenges',
    message: { kind: 'response', status: 401, reason: 'Unauthorized', headers: [['CSeq', '4'], ['WWW-Authenticate', 'Digest realm="r", nonce="n"'], ['WWW-Authenticate', 'Basic realm="r"']], body: new Uint8Array(0) },
    wire: 'RTSP/1.0 401 Unauthorized\r\nCSeq: 4\r\nWWW-Authenticate: Digest realm="r", nonce="n"\r\nWWW-Authenticate: Basic realm="r"\r\n\r\n',
  },
];

for (const c of ROUND_TRIPS) {
  test(`RTSP message round trip: ${c.name}`, () => {
    const wire = c.message.kind === 'request' ? writeRtspRequest(c.message) : writeRtspResponse(c.message);
    assert.equal(Buffer.from(wire).toString('latin1'), c.wire);
    const input = bytes(c.wire);
    const before = Buffer.from(input).toString('hex');
    const parsed = parseRtspMessage(input);
    assert.ok(parsed);
    assert.deepEqual(parsed[0].headers.filter(([n]) => n !== 'Content-Length'), c.message.headers);
    assert.deepEqual([...parsed[0].body], [...c.message.body]);
    assert.equal(parsed[1], input.length);
    assert.equal(Buffer.from(input).toString('hex'), before, 'parse must not mutate its input');
    for (let n = 0; n < input.length; n++) assert.equal(parseRtspMessage(input.subarray(0, n)), undefined, `prefix ${n} needs more bytes`);
  });
}

// Decode only: vendor quirks that must parse, and what comes out.
const QUIRKS: { name: string; wire: string; check: (m: RtspMessage) => void }[] = [
  { name: 'LF-only line ends', wire: 'RTSP/1.0 200 OK\nCSeq: 5\n\n', check: (m) => assert.equal(getCSeq(m), 5) },
  { name: 'status line without a reason phrase', wire: 'RTSP/1.0 200\r\nCSeq: 1\r\n\r\n', check: (m) => assert.equal(m.kind === 'response' && m.status, 200) },
  { name: 'lower-case header names and padded CSeq', wire: 'RTSP/1.0 200 OK\r\ncseq:   7  \r\n\r\n', check: (m) => assert.equal(getCSeq(m), 7) },
  { name: 'a folded header line', wire: 'RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS,\r\n DESCRIBE\r\n\r\n', check: (m) => assert.equal(getHeader(m.headers, 'public'), 'OPTIONS, DESCRIBE') },
  { name: 'RTSP/2.0 version', wire: 'RTSP/2.0 200 OK\r\nCSeq: 1\r\n\r\n', check: (m) => assert.equal(m.kind, 'response') },
  { name: 'an unknown method is parsed (answered 501 later)', wire: 'FOO rtsp://h/x RTSP/1.0\r\nCSeq: 1\r\n\r\n', check: (m) => assert.equal(m.kind === 'request' && m.method, 'FOO') },
  { name: 'repeated headers are all kept', wire: 'RTSP/1.0 401 U\r\nCSeq: 1\r\nWWW-Authenticate: A\r\nWWW-Authenticate: B\r\n\r\n', check: (m) => assert.deepEqual(getHeaders(m.headers, 'www-authenticate'), ['A', 'B']) },
];

for (const c of QUIRKS) {
  test(`RTSP message quirk parses: ${c.name}`, () => {
    const r = parseRtspMessage(bytes(c.wire));
    assert.ok(r);
    c.check(r[0]);
  });
}

// Decode only: malformed input, and the reason of the ParseError.
const MALFORMED: { name: string; wire: string; reason: string }[] = [
  { name: 'garbage start line', wire: 'HELLO\r\n\r\n', reason: 'bad-request-line' },
  { name: 'bad status line', wire: 'RTSP/1.0 2xx OK\r\n\r\n', reason: 'bad-status-line' },
  { name: 'HTTP version on a request', wire: 'OPTIONS * HTTP/1.1\r\n\r\n', reason: 'bad-request-line' },
  { name: 'version 3', wire: 'RTSP/3.0 200 OK\r\n\r\n', reason: 'bad-version' },
  { name: 'header without a colon', wire: 'RTSP/1.0 200 OK\r\nCSeq 1\r\n\r\n', reason: 'bad-header' },
  { name: 'continuation before any header', wire: 'RTSP/1.0 200 OK\r\n x\r\n\r\n', reason: 'bad-header' },
  { name: 'negative Content-Length', wire: 'RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n', reason: 'bad-content-length' },
  { name: 'Content-Length over the limit', wire: `RTSP/1.0 200 OK\r\nContent-Length: ${MAX_RTSP_BODY_SIZE + 1}\r\n\r\n`, reason: 'body-too-large' },
  { name: 'too many headers', wire: `RTSP/1.0 200 OK\r\n${'X-A: 1\r\n'.repeat(MAX_RTSP_HEADERS + 1)}\r\n`, reason: 'too-many-headers' },
  { name: 'a line over the limit', wire: `RTSP/1.0 200 OK\r\nX: ${'a'.repeat(MAX_RTSP_LINE_LENGTH)}\r\n\r\n`, reason: 'line-too-long' },
  { name: 'an unterminated line over the limit', wire: `RTSP/1.0 200 OK\r\nX: ${'a'.repeat(MAX_RTSP_LINE_LENGTH + 10)}`, reason: 'line-too-long' },
];

for (const c of MALFORMED) {
  test(`RTSP message malformed: ${c.name} is ParseError(${c.reason})`, () => {
    assert.throws(() => parseRtspMessage(bytes(c.wire)), (err: unknown) => err instanceof ParseError && err.reason === c.reason);
  });
}

test('getCSeq() of a reply without CSeq is ParseError(missing-cseq); a non-number is bad-cseq', () => {
  const noCseq = parseRtspMessage(bytes('RTSP/1.0 200 OK\r\nServer: x\r\n\r\n'))![0];
  assert.throws(() => getCSeq(noCseq), (err: unknown) => err instanceof ParseError && err.reason === 'missing-cseq');
  const bad = parseRtspMessage(bytes('RTSP/1.0 200 OK\r\nCSeq: one\r\n\r\n'))![0];
  assert.throws(() => getCSeq(bad), (err: unknown) => err instanceof ParseError && err.reason === 'bad-cseq');
});

test('writeRtspRequest() refuses CR/LF in header values with TypeError', () => {
  assert.throws(() => writeRtspRequest({ method: 'OPTIONS', uri: '*', headers: [['CSeq', '1\r\nX: y']] }), TypeError);
});

test('interleaved frames: write then parse; short or zero length frames are bad-interleaved-length', () => {
  const payload = Uint8Array.from({ length: 20 }, (_, i) => i);
  const wire = writeInterleavedFrame(3, payload);
  assert.deepEqual([...wire.subarray(0, 4)], [0x24, 3, 0, 20]);
  const r = parseInterleavedFrame(wire);
  assert.ok(r);
  assert.equal(r[0].channel, 3);
  assert.deepEqual([...r[0].payload], [...payload]);
  assert.equal(parseInterleavedFrame(wire.subarray(0, 10)), undefined);
  assert.throws(() => parseInterleavedFrame(Uint8Array.of(0x24, 0, 0, 0)), (err: unknown) => err instanceof ParseError && err.reason === 'bad-interleaved-length');
  assert.throws(() => parseInterleavedFrame(Uint8Array.of(0x24, 0, 0, MIN_INTERLEAVED_LENGTH - 1, 1, 2, 3)), ParseError);
  assert.throws(() => writeInterleavedFrame(256, payload), TypeError);
});

test('RtspConnectionReader splits messages and frames fed one byte at a time', () => {
  const frame = writeInterleavedFrame(0, Uint8Array.from({ length: 12 }, (_, i) => 0x80 + i));
  const msg = writeRtspResponse({ status: 200, headers: [['CSeq', '9']], body: bytes('a=b') });
  const all = new Uint8Array([...frame, ...msg, 0x0d, 0x0a, ...frame]);
  const reader = new RtspConnectionReader();
  const kinds: string[] = [];
  for (const b of all) for (const item of reader.push(Uint8Array.of(b))) kinds.push(item.kind);
  assert.deepEqual(kinds, ['frame', 'message', 'frame']);
  const whole = new RtspConnectionReader().push(all);
  assert.equal(whole.length, 3);
  const m = whole[1];
  assert.ok(m?.kind === 'message');
  assert.equal(Buffer.from(m.message.body).toString(), 'a=b');
});

test('RtspConnectionReader throws ParseError on a bad item and starts clean afterwards', () => {
  const reader = new RtspConnectionReader();
  assert.throws(() => reader.push(Uint8Array.of(0x24, 1, 0, 0)), ParseError);
  assert.equal(reader.push(bytes('RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n')).length, 1);
});

test('fuzz: mutated messages and frames only ever throw ParseError', () => {
  const seeds = [...ROUND_TRIPS.map((c) => bytes(c.wire)), writeInterleavedFrame(1, new Uint8Array(16))];
  for (const [i, seed] of seeds.entries()) {
    for (const m of mutations(seed, 200, i + 1)) {
      const copy = Buffer.from(m).toString('hex');
      try {
        new RtspConnectionReader().push(m);
      } catch (err) {
        if (!(err instanceof ParseError)) throw err;
      }
      assert.equal(Buffer.from(m).toString('hex'), copy);
    }
  }
});
