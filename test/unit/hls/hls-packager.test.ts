import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HlsPackager } from '../../../gateway/hls/hls-packager.js';
import { Hub } from '../../../gateway/hub/hub.js';
import type { AccessUnit } from '../../../protocol/media/access-unit.js';
import { withTempDir } from '../protocol/media-tools.js';
import { AUDIO_TRACK, VIDEO_TRACK, avUnits } from './synthetic.js';

const publisher = { remoteAddress: '127.0.0.1', close: () => undefined };
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Publishes live/a on the hub and pushes `units` with both tracks; lets the packager drain. */
async function publishUnits(hub: Hub, units: AccessUnit[]): Promise<ReturnType<Hub['publish']>> {
  const stream = hub.publish('live/a', 'rtmp', publisher);
  stream.setTrack(VIDEO_TRACK);
  stream.setTrack(AUDIO_TRACK);
  for (const u of units) stream.pushUnit(u);
  await tick();
  return stream;
}

test('packager continues a playlist republished within the grace period after a discontinuity', async () => {
  await withTempDir(async (root) => {
    const hub = new Hub();
    const packager = new HlsPackager({ enabled: true, dir: root, format: 'fmp4', segmentDuration: 1, partDuration: 0.25, windowSegments: 6, cleanupDelay: 10 });
    hub.observe(packager);
    try {
      const first = await publishUnits(hub, avUnits(2.5, 30));
      hub.unpublish(first, 'publisher left');
      await packager.muxer('live/a')!.idle();
      const dir = join(root, 'live', 'a');
      assert.doesNotMatch(readFileSync(join(dir, 'index.m3u8'), 'utf8'), /PRELOAD-HINT/);
      await publishUnits(hub, avUnits(1.1, 30)); // timestamps start again at 0
      await packager.muxer('live/a')!.idle();
      const text = readFileSync(join(dir, 'index.m3u8'), 'utf8');
      assert.match(text, /seg2\.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init1\.mp4"\n/);
      assert.match(text, /seg3\.m4s\n/);
    } finally {
      await packager.close();
    }
    assert.equal(existsSync(join(root, 'live')), false, 'close() removes the stream directories');
  });
});

test('packager removes an ended stream\'s directory after cleanupDelay, not before', async () => {
  await withTempDir(async (root) => {
    const hub = new Hub();
    const packager = new HlsPackager({ enabled: true, dir: root, format: 'fmp4', segmentDuration: 1, partDuration: 0.25, windowSegments: 6, cleanupDelay: 0.3 });
    hub.observe(packager);
    try {
      const stream = await publishUnits(hub, avUnits(1.5, 30));
      hub.unpublish(stream, 'publisher left');
      await packager.muxer('live/a')!.idle();
      const dir = join(root, 'live', 'a');
      assert.ok(existsSync(join(dir, 'index.m3u8')));
      const deadline = Date.now() + 3000;
      while (existsSync(dir) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(existsSync(dir), false);
      assert.equal(existsSync(join(root, 'live')), false, 'empty parent removed too');
      assert.equal(packager.muxer('live/a'), undefined);
    } finally {
      await packager.close();
    }
  });
});
