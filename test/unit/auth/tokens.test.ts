import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { mintToken, verifyAdminToken, verifyRoomToken } from '../../../server/auth/tokens.js';
import { UnauthorizedError } from '../../../server/lib/errors.js';

const SECRET = 'unit-test-secret-0123456789';

test('verifyRoomToken() accepts a token for the room and grants both permissions by default', async () => {
  const grant = await verifyRoomToken(await mintToken(SECRET, { room: 'r1', name: 'Ann' }), SECRET, 'r1');
  assert.deepEqual(grant, { room: 'r1', canPublish: true, canSubscribe: true, name: 'Ann' });
});

test('verifyRoomToken() grants only the listed permissions', async () => {
  const grant = await verifyRoomToken(await mintToken(SECRET, { room: 'r1', permissions: ['subscribe'] }), SECRET, 'r1');
  assert.equal(grant.canPublish, false);
  assert.equal(grant.canSubscribe, true);
});

test('verifyRoomToken() with a token for another room rejects with UnauthorizedError', async () => {
  await assert.rejects(verifyRoomToken(await mintToken(SECRET, { room: 'r2' }), SECRET, 'r1'), UnauthorizedError);
});

test('verifyRoomToken() with an expired token rejects with UnauthorizedError', async () => {
  const now = Math.floor(Date.now() / 1000);
  const expired = await new SignJWT({ room: 'r1' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(now - 3600).setExpirationTime(now - 60).sign(new TextEncoder().encode(SECRET));
  await assert.rejects(verifyRoomToken(expired, SECRET, 'r1'), UnauthorizedError);
});

test('verifyRoomToken() with a bad signature, no token or garbage rejects with UnauthorizedError', async () => {
  await assert.rejects(verifyRoomToken(await mintToken('another-secret-0123456789', { room: 'r1' }), SECRET, 'r1'), UnauthorizedError);
  await assert.rejects(verifyRoomToken(undefined, SECRET, 'r1'), UnauthorizedError);
  await assert.rejects(verifyRoomToken('not.a.jwt', SECRET, 'r1'), UnauthorizedError);
});

test('verifyRoomToken() refuses an unsigned (alg none) token', async () => {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${b64({ alg: 'none' })}.${b64({ room: 'r1', exp: Math.floor(Date.now() / 1000) + 60 })}.`;
  await assert.rejects(verifyRoomToken(unsigned, SECRET, 'r1'), UnauthorizedError);
});

test('verifyRoomToken() refuses a token whose claims are not a room grant', async () => {
  await assert.rejects(verifyRoomToken(await mintToken(SECRET, { admin: true }), SECRET, 'r1'), UnauthorizedError);
});

test('verifyAdminToken() accepts admin: true and refuses a room token', async () => {
  await verifyAdminToken(await mintToken(SECRET, { admin: true }), SECRET);
  await assert.rejects(verifyAdminToken(await mintToken(SECRET, { room: 'r1', permissions: ['publish', 'subscribe'] }), SECRET), UnauthorizedError);
  await assert.rejects(verifyAdminToken(undefined, SECRET), UnauthorizedError);
});
