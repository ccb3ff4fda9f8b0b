import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfig, ConfigError } from '../../../server/config.js';

test('buildConfig() with nothing gives the documented defaults', () => {
  const c = buildConfig({}, {});
  assert.equal(c.http.port, 8080);
  assert.equal(c.rtmp.port, 1935);
  assert.equal(c.flv.port, 8088);
  assert.equal(c.webrtc.port, 40000);
  assert.equal(c.webrtc.udpMux, true);
  assert.equal(c.auth.secret, null);
});

test('buildConfig() applies ESTUARY_* overrides over the file', () => {
  const c = buildConfig(
    { http: { port: 9000 }, webrtc: { announcedIp: '10.0.0.1' } },
    { ESTUARY_HTTP_PORT: '9001', ESTUARY_WEBRTC_ANNOUNCED_IP: '203.0.113.7', ESTUARY_WEBRTC_UDP_MUX: 'false' },
  );
  assert.equal(c.http.port, 9001);
  assert.equal(c.webrtc.announcedIp, '203.0.113.7');
  assert.equal(c.webrtc.udpMux, false);
});

const bad: Array<[string, unknown, Record<string, string>, RegExp]> = [
  ['unknown file key', { http: { prt: 1 } }, {}, /http\.prt/],
  ['wrong type from env', {}, { ESTUARY_HTTP_PORT: 'eighty' }, /http\.port/],
  ['port out of range', { rtmp: { port: 70000 } }, {}, /rtmp\.port/],
  ['unknown env override', {}, { ESTUARY_HTTP_PROT: '1' }, /ESTUARY_HTTP_PROT/],
  ['short secret', { auth: { secret: 'short' } }, {}, /auth\.secret/],
  ['bad enum', { hls: { format: 'webm' } }, {}, /hls\.format/],
];
for (const [name, file, env, key] of bad) {
  test(`buildConfig() with ${name} throws ConfigError naming the key`, () => {
    assert.throws(() => buildConfig(file, env), (err: unknown) => err instanceof ConfigError && key.test((err as Error).message));
  });
}

test('estuary.example.yaml documents exactly the defaults', async () => {
  const { readFileSync } = await import('node:fs');
  const { parse } = await import('yaml');
  const { configSchema } = await import('../../../server/config.js');
  const example = buildConfig(parse(readFileSync(new URL('../../../estuary.example.yaml', import.meta.url), 'utf8')), {});
  assert.deepEqual(example, configSchema.parse({}));
});
