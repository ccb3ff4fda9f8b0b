import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../../../../protocol/errors.js';
import {
  CLIENT_KEY,
  CLIENT_KEY_TEXT_LENGTH,
  DIGEST_SIZE,
  digestOffset,
  findDigest,
  HANDSHAKE_PACKET_SIZE,
  SERVER_KEY,
  SERVER_KEY_TEXT_LENGTH,
  verifySignedResponse,
} from '../../../../protocol/rtmp/handshake.js';
import { RtmpClientHandshake } from '../../../../protocol/rtmp/handshake-client.js';
import { RtmpServerHandshake } from '../../../../protocol/rtmp/handshake-server.js';

/** Runs client and server against each other, feeding `slice` bytes at a time; returns both ends. */
function handshake(opts: ConstructorParameters<typeof RtmpClientHandshake>[0], slice: number) {
  const client = new RtmpClientHandshake(opts);
  const server = new RtmpServerHandshake(1234);
  const trailer = Uint8Array.from([1, 2, 3]); // the first chunk bytes, sent right after C2
  const c0c1 = client.start();
  let s0s1s2: Uint8Array | undefined;
  for (let i = 0; i < c0c1.length; i += slice) {
    const step = server.push(c0c1.subarray(i, i + slice));
    if (step.send) s0s1s2 = step.send;
    assert.equal(step.done, false);
  }
  assert.ok(s0s1s2);
  assert.equal(s0s1s2.length, 1 + 2 * HANDSHAKE_PACKET_SIZE);
  let c2: Uint8Array | undefined;
  for (let i = 0; i < s0s1s2.length; i += slice) {
    const step = client.push(s0s1s2.subarray(i, i + slice));
    if (step.send) c2 = step.send;
  }
  assert.ok(client.done && c2);
  const wire = Uint8Array.from([...c2, ...trailer]);
  let leftover = new Uint8Array(0);
  for (let i = 0; i < wire.length; i += slice) {
    const step = server.push(wire.subarray(i, i + slice));
    if (step.done) leftover = Uint8Array.from([...leftover, ...step.leftover]);
  }
  assert.ok(server.done);
  assert.deepEqual([...leftover], [...trailer], 'bytes after C2 come back as leftover');
  return { client, server, s0s1s2, c0c1, c2 };
}

for (const slice of [1, 700, 10_000]) {
  test(`simple handshake completes when fed ${slice} byte(s) at a time; S2 echoes C1, C2 echoes S1`, () => {
    const { client, server, s0s1s2, c0c1, c2 } = handshake({ digest: false }, slice);
    assert.equal(server.form, 'simple');
    assert.equal(client.serverUsedDigest, false);
    assert.deepEqual(s0s1s2.subarray(1 + HANDSHAKE_PACKET_SIZE), c0c1.subarray(1));
    assert.deepEqual(c2, s0s1s2.subarray(1, 1 + HANDSHAKE_PACKET_SIZE));
  });
}

for (const scheme of [0, 1] as const) {
  test(`digest handshake with client scheme ${scheme}: server answers a digest S1 in that scheme and a signed S2`, () => {
    const { client, server, s0s1s2, c0c1, c2 } = handshake({ digest: true, scheme }, 333);
    assert.equal(server.form, 'digest');
    assert.equal(client.serverUsedDigest, true);
    const s1 = s0s1s2.subarray(1, 1 + HANDSHAKE_PACKET_SIZE);
    const found = findDigest(s1, SERVER_KEY.subarray(0, SERVER_KEY_TEXT_LENGTH));
    assert.equal(found?.scheme, scheme);
    const c1 = c0c1.subarray(1);
    const off = digestOffset(c1, scheme);
    assert.ok(verifySignedResponse(s0s1s2.subarray(1 + HANDSHAKE_PACKET_SIZE), c1.subarray(off, off + DIGEST_SIZE), SERVER_KEY));
    assert.ok(found && verifySignedResponse(c2, found.digest, CLIENT_KEY), 'C2 is signed over the server digest');
  });
}

test('server falls back to the simple form when C1 has a version but no valid digest', () => {
  const c0c1 = new Uint8Array(1 + HANDSHAKE_PACKET_SIZE).fill(7);
  c0c1[0] = 3;
  const server = new RtmpServerHandshake();
  const step = server.push(c0c1);
  assert.equal(server.form, 'simple');
  assert.deepEqual(step.send?.subarray(1 + HANDSHAKE_PACKET_SIZE), c0c1.subarray(1));
  assert.ok(!findDigest(c0c1.subarray(1), CLIENT_KEY.subarray(0, CLIENT_KEY_TEXT_LENGTH)));
});

test('server rejects a C0 other than version 3 with ParseError(bad-version)', () => {
  const server = new RtmpServerHandshake();
  const c0 = Uint8Array.from([6]);
  assert.throws(() => server.push(c0), (e: unknown) => e instanceof ParseError && e.reason === 'bad-version');
  assert.deepEqual([...c0], [6]);
});

test('client rejects a digest-form S1 whose digest is wrong, and an S2 not signed over its C1', () => {
  const client = new RtmpClientHandshake({ digest: true });
  client.start();
  const s = new Uint8Array(1 + 2 * HANDSHAKE_PACKET_SIZE).fill(9);
  s[0] = 3;
  assert.throws(() => client.push(s), (e: unknown) => e instanceof ParseError && e.reason === 'bad-digest');

  const c = new RtmpClientHandshake({ digest: true });
  const other = new RtmpServerHandshake();
  c.start();
  const stranger = new RtmpClientHandshake({ digest: true }).start(); // S2 signed over another C1
  const answer = other.push(stranger).send as Uint8Array;
  assert.throws(() => c.push(answer), (e: unknown) => e instanceof ParseError && e.reason === 'bad-signature');
});
