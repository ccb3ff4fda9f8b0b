import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParseError } from '../../../../protocol/errors.js';
import {
  basicChallenge, basicCredentials, decodeBasic, digestChallenge, digestCredentials, digestResponse, parseAuthHeader, verifyDigest,
} from '../../../../protocol/rtsp/auth.js';

test('Digest response matches the RFC 2617 §3.5 example (qop=auth)', () => {
  const response = digestResponse({
    username: 'Mufasa', password: 'Circle Of Life', realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
    method: 'GET', uri: '/dir/index.html', qop: 'auth', nc: '00000001', cnonce: '0a4f113b',
  });
  assert.equal(response, '6629fae49393a05397450978507c4ef1');
});

test('digestCredentials() answers the RFC 2617 challenge with the RFC\'s Authorization', () => {
  const challenge = parseAuthHeader('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  const header = digestCredentials(challenge, { username: 'Mufasa', password: 'Circle Of Life' }, 'GET', '/dir/index.html', '0a4f113b', 1);
  const parsed = parseAuthHeader(header);
  assert.equal(parsed.params.response, '6629fae49393a05397450978507c4ef1');
  assert.equal(parsed.params.qop, 'auth');
  assert.equal(parsed.params.nc, '00000001');
  assert.equal(parsed.params.opaque, '5ccc069c403ebaf9f0171e9517f40e41');
  assert.equal(verifyDigest(parsed, 'Circle Of Life', { realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', method: 'GET' }), true);
  assert.equal(verifyDigest(parsed, 'wrong', { realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', method: 'GET' }), false);
  assert.equal(verifyDigest(parsed, 'Circle Of Life', { realm: 'testrealm@host.com', nonce: 'other', method: 'GET' }), false);
});

test('Digest without qop (the form most cameras send) round trips through our own challenge', () => {
  const challenge = parseAuthHeader('Digest realm="IP Camera(12345)", nonce="abcdef", stale="FALSE"');
  const header = digestCredentials(challenge, { username: 'admin', password: '12345' }, 'DESCRIBE', 'rtsp://10.0.0.5/stream1', 'c', 1);
  const parsed = parseAuthHeader(header);
  assert.equal(parsed.params.qop, undefined);
  assert.equal(verifyDigest(parsed, '12345', { realm: 'IP Camera(12345)', nonce: 'abcdef', method: 'DESCRIBE' }), true);
  const ours = parseAuthHeader(digestChallenge('Estuary', 'n0nce'));
  assert.deepEqual(ours.params, { realm: 'Estuary', nonce: 'n0nce', algorithm: 'MD5', qop: 'auth' });
});

test('Basic credentials and challenges', () => {
  const creds = parseAuthHeader(basicCredentials('user', 'pa:ss'));
  assert.deepEqual(decodeBasic(creds), { username: 'user', password: 'pa:ss' });
  assert.deepEqual(parseAuthHeader(basicChallenge('r')), { scheme: 'basic', params: { realm: 'r' } });
  assert.equal(decodeBasic(parseAuthHeader('Basic bm9jb2xvbg==')), undefined);
});

const BAD: { name: string; text: string; reason: string }[] = [
  { name: 'an unknown scheme', text: 'Bearer abc', reason: 'unsupported-auth' },
  { name: 'an unterminated quote', text: 'Digest realm="abc', reason: 'bad-auth' },
  { name: 'a parameter without =', text: 'Digest realm', reason: 'bad-auth' },
  { name: 'a header over the limit', text: `Digest realm="${'a'.repeat(3000)}"`, reason: 'bad-auth' },
];
for (const c of BAD) {
  test(`auth header malformed: ${c.name} is ParseError(${c.reason})`, () => {
    assert.throws(() => parseAuthHeader(c.text), (err: unknown) => err instanceof ParseError && err.reason === c.reason);
  });
}

test('digestCredentials() refuses algorithms other than MD5 with ParseError(unsupported-auth)', () => {
  const challenge = parseAuthHeader('Digest realm="r", nonce="n", algorithm=SHA-256');
  assert.throws(() => digestCredentials(challenge, { username: 'u', password: 'p' }, 'DESCRIBE', '/', 'c'), (err: unknown) => err instanceof ParseError && err.reason === 'unsupported-auth');
});
