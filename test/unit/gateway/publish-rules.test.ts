import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { decidePublish, streamMatches } from '../../../server/gateway/publish-rules.js';

const SECRET = 'a-test-secret-of-32-characters!!';

async function key(claims: Record<string, unknown>, options: { secret?: string; expiresIn?: string | number } = {}): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (options.expiresIn !== undefined) jwt = jwt.setExpirationTime(options.expiresIn);
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

const open = { path: 'live/demo', query: '', live: false, conflict: 'reject' as const, secret: null };

test('without a secret a publish on a free path is allowed', async () => {
  assert.deepEqual(await decidePublish(open), { allow: true, takeover: false });
});

test('a second publisher on a live path is rejected with conflict by default', async () => {
  const r = await decidePublish({ ...open, live: true });
  assert.equal(r.allow, false);
  assert.equal(!r.allow && r.code, 'conflict');
});

test('with publish.conflict takeover a second publisher is allowed and told to take over', async () => {
  assert.deepEqual(await decidePublish({ ...open, live: true, conflict: 'takeover' }), { allow: true, takeover: true });
});

const table: { name: string; query: () => Promise<string>; allow: boolean; reason?: RegExp }[] = [
  { name: 'no key', query: async () => '', allow: false, reason: /needs a key/ },
  { name: 'a key for this stream', query: async () => `key=${await key({ stream: 'live/demo', publish: true })}`, allow: true },
  { name: 'a prefix key live/*', query: async () => `key=${await key({ stream: 'live/*', publish: true })}`, allow: true },
  { name: 'a key for another stream', query: async () => `key=${await key({ stream: 'live/other', publish: true })}`, allow: false, reason: /another stream/ },
  { name: 'a prefix key for another app', query: async () => `key=${await key({ stream: 'vod/*', publish: true })}`, allow: false, reason: /another stream/ },
  { name: 'a key without publish: true', query: async () => `key=${await key({ stream: 'live/demo' })}`, allow: false, reason: /does not allow/ },
  { name: 'an expired key', query: async () => `key=${await key({ stream: 'live/demo', publish: true }, { expiresIn: Math.floor(Date.now() / 1000) - 60 })}`, allow: false, reason: /expired/ },
  { name: 'a key signed with another secret', query: async () => `key=${await key({ stream: 'live/demo', publish: true }, { secret: 'another-secret-of-32-characters!' })}`, allow: false, reason: /invalid/ },
  { name: 'garbage', query: async () => 'key=not.a.jwt', allow: false, reason: /invalid/ },
];

for (const row of table) {
  test(`with auth.secret, publishing with ${row.name} is ${row.allow ? 'allowed' : 'refused as unauthorized'}`, async () => {
    const r = await decidePublish({ ...open, secret: SECRET, query: await row.query() });
    assert.equal(r.allow, row.allow);
    if (!r.allow) {
      assert.equal(r.code, 'unauthorized');
      assert.match(r.reason, row.reason!);
    }
  });
}

test('a bad key is refused before the conflict rule (a takeover needs a valid key)', async () => {
  const r = await decidePublish({ ...open, secret: SECRET, live: true, conflict: 'takeover', query: 'key=x' });
  assert.equal(!r.allow && r.code, 'unauthorized');
});

test('streamMatches() matches exact paths and /* prefixes only', () => {
  assert.equal(streamMatches('live/demo', 'live/demo'), true);
  assert.equal(streamMatches('live/demo', 'live/demo2'), false);
  assert.equal(streamMatches('live/*', 'live/a/b'), true);
  assert.equal(streamMatches('live/*', 'livex/a'), false);
  assert.equal(streamMatches('*', 'anything/at/all'), true);
});
