import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParseError } from '../../../../protocol/errors.js';
import {
  findHeaderExtension,
  isRtcpPacket,
  parseAbsSendTime,
  emptyRtpHeader,
  parseAudioLevel,
  parseRtpHeader,
  parseRtpHeaderInto,
  rewriteRtpHeader,
  seqDelta,
  seqNewer,
  tsAdd,
  tsDelta,
  tsNewer,
} from '../../../../protocol/rtp/index.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

const valid: { name: string; bytes: Uint8Array; want: Partial<ReturnType<typeof parseRtpHeader>> }[] = [
  {
    name: 'plain header, marker, PT 96',
    bytes: hex('80e0 1234 00000064 deadbeef aabbcc'),
    want: { marker: true, payloadType: 96, sequenceNumber: 0x1234, timestamp: 100, ssrc: 0xdeadbeef, csrcs: [], payloadOffset: 12, payloadLength: 3, extensionProfile: -1 },
  },
  {
    name: 'two CSRCs',
    bytes: hex('826f ffff ffffffff 00000001 00000002 00000003 ff'),
    want: { marker: false, payloadType: 111, sequenceNumber: 0xffff, timestamp: 0xffffffff, csrcs: [2, 3], payloadOffset: 20, payloadLength: 1 },
  },
  {
    name: 'one-byte extension block of one word',
    bytes: hex('9060 0001 00000000 00000001 bede0001 10ff0000 77'),
    want: { extensionProfile: 0xbede, extensionOffset: 16, extensionLength: 4, payloadOffset: 20, payloadLength: 1 },
  },
  {
    name: 'padding of 3 octets',
    bytes: hex('a060 0001 00000000 00000001 5555 000003'),
    want: { padding: true, paddingLength: 3, payloadOffset: 12, payloadLength: 2 },
  },
];

for (const c of valid) {
  test(`parseRtpHeader() reads ${c.name}`, () => {
    const copy = Uint8Array.from(c.bytes);
    const h = parseRtpHeader(c.bytes);
    for (const [k, v] of Object.entries(c.want)) assert.deepEqual(h[k as keyof typeof h], v, k);
    assert.deepEqual(c.bytes, copy, 'input not mutated');
  });
}

const corrupt: { name: string; bytes: Uint8Array; reason: string }[] = [
  { name: 'shorter than 12 octets', bytes: hex('8060 0001 0000'), reason: 'truncated' },
  { name: 'version 1', bytes: hex('4060 0001 00000000 00000001'), reason: 'bad-version' },
  { name: 'CSRC count past the end', bytes: hex('8f60 0001 00000000 00000001 00000002'), reason: 'truncated' },
  { name: 'extension header past the end', bytes: hex('9060 0001 00000000 00000001 bede'), reason: 'truncated' },
  { name: 'extension length past the end', bytes: hex('9060 0001 00000000 00000001 bede0004 00000000'), reason: 'truncated' },
  { name: 'padding count zero', bytes: hex('a060 0001 00000000 00000001 5500'), reason: 'bad-padding' },
  { name: 'padding longer than the packet', bytes: hex('a060 0001 00000000 00000001 55ff'), reason: 'bad-padding' },
];

for (const c of corrupt) {
  test(`parseRtpHeader() with ${c.name} throws ParseError '${c.reason}'`, () => {
    assert.throws(() => parseRtpHeader(c.bytes), (e: unknown) => e instanceof ParseError && e.reason === c.reason);
  });
}

test('parseRtpHeaderInto() reuses one header across the table: same values as parseRtpHeader(), CSRCs reset', () => {
  const out = emptyRtpHeader();
  const csrcs = out.csrcs;
  for (const c of [...valid, ...[...valid].reverse()]) {
    assert.equal(parseRtpHeaderInto(c.bytes, out), out);
    assert.deepEqual(out, parseRtpHeader(c.bytes), c.name);
    assert.equal(out.csrcs, csrcs, 'the CSRC array is reused');
  }
});

test('parseRtpHeaderInto() leaves the header unchanged when it throws', () => {
  const out = parseRtpHeader((valid[1] as (typeof valid)[number]).bytes);
  const before = structuredClone(out);
  for (const c of corrupt) assert.throws(() => parseRtpHeaderInto(c.bytes, out), ParseError, c.name);
  assert.deepEqual(out, before);
});

test('rewriteRtpHeader() sets PT, seq, ts and SSRC and keeps the marker and payload', () => {
  const b = hex('80e0 1234 00000064 deadbeef aabbcc');
  rewriteRtpHeader(b, 100, 0xfffe, 0xfffffff0, 0x01020304);
  const h = parseRtpHeader(b);
  assert.equal(h.marker, true);
  assert.equal(h.payloadType, 100);
  assert.equal(h.sequenceNumber, 0xfffe);
  assert.equal(h.timestamp, 0xfffffff0);
  assert.equal(h.ssrc, 0x01020304);
  assert.deepEqual([...b.subarray(12)], [0xaa, 0xbb, 0xcc]);
});

test('isRtcpPacket() demultiplexes by packet type 192-223 (RFC 5761 §4)', () => {
  assert.equal(isRtcpPacket(hex('80c8 0006')), true);
  assert.equal(isRtcpPacket(hex('81cd 0002')), true);
  assert.equal(isRtcpPacket(hex('8060 0001')), false);
  assert.equal(isRtcpPacket(hex('80e0 0001')), false); // PT 96 with marker = 224
  assert.equal(isRtcpPacket(hex('80')), false);
});

test('seqDelta()/seqNewer() are wrap-aware over 16 bits', () => {
  const table: [number, number, number][] = [
    [1, 0, 1],
    [0, 65535, 1],
    [65535, 0, -1],
    [10, 65530, 16],
    [32767, 0, 32767],
    [32768, 0, -32768],
  ];
  for (const [a, b, d] of table) assert.equal(seqDelta(a, b), d, `${a}-${b}`);
  assert.equal(seqNewer(2, 65534), true);
  assert.equal(seqNewer(65534, 2), false);
});

test('tsDelta()/tsNewer()/tsAdd() are wrap-aware over 32 bits', () => {
  assert.equal(tsDelta(5, 0xfffffffb), 10);
  assert.equal(tsDelta(0xfffffffb, 5), -10);
  assert.equal(tsDelta(0x7fffffff, 0), 0x7fffffff);
  assert.equal(tsNewer(100, 0xffffff00), true);
  assert.equal(tsAdd(0xffffffff, 2), 1);
  assert.equal(tsAdd(1, -2), 0xffffffff);
});

test('findHeaderExtension() reads one-byte (RFC 8285 §4.2) elements past padding', () => {
  // id 1 len 1 (audio level: V=1 level 42), padding, id 3 len 3 (abs-send-time 1.5 s = 0x060000), padding
  const b = hex('9060 0001 00000000 00000001 bede0002 10aa 00 32060000 000000 ff');
  const h = parseRtpHeader(b);
  const al = findHeaderExtension(b, h, 1);
  assert.deepEqual(al, [17, 1]);
  assert.deepEqual(parseAudioLevel(b.subarray(17, 18)), { voice: true, level: 42 });
  const ast = findHeaderExtension(b, h, 3);
  assert.ok(ast);
  assert.equal(parseAbsSendTime(b.subarray(ast[0], ast[0] + ast[1])), 1.5);
  assert.equal(findHeaderExtension(b, h, 2), undefined);
});

test('findHeaderExtension() reads two-byte (RFC 8285 §4.3) elements and stops at a malformed one', () => {
  const b = hex('9060 0001 00000000 00000001 10000002 0501 7f 00 0c02 0102 00 ff');
  const h = parseRtpHeader(b);
  assert.deepEqual(findHeaderExtension(b, h, 5), [18, 1]);
  assert.deepEqual(findHeaderExtension(b, h, 12), [22, 2]);
  const bad = hex('9060 0001 00000000 00000001 10000001 07090000 ff');
  assert.equal(findHeaderExtension(bad, parseRtpHeader(bad), 7), undefined);
});
