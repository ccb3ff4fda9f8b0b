import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FlvTagType } from '../../protocol/flv/tag.js';
import { parseVideoTag } from '../../protocol/flv/video.js';
import { getJson, killChildren, probe, publish, readFlv, startTestServer, waitFor, type TestServer } from './gateway-helpers.js';

interface WorkerStats {
  id: number;
  pid: number | null;
  ready: boolean;
  rtmpPort: number | null;
  flvPort: number | null;
  relayPort: number | null;
}

let t: TestServer;

before(async () => {
  t = await startTestServer({ gateway: { workers: 2 } });
  publish(`${t.rtmp}/live/multi`, 90);
  await waitFor('live/multi with both tracks', async () => {
    const { body } = await getJson(`${t.http}/api/v1/streams/live/multi`);
    return (body as { tracks?: unknown[] }).tracks?.length === 2;
  });
});

after(async () => {
  killChildren();
  await t?.server.close();
});

test('gateway.workers: 2 starts two workers sharing the RTMP and FLV ports, each with its own relay port', async () => {
  const { workers } = (await getJson(`${t.http}/api/v1/gateway/workers`)).body as { workers: WorkerStats[] };
  assert.equal(workers.length, 2);
  assert.ok(workers.every((w) => w.ready && w.pid));
  assert.notEqual(workers[0]!.pid, workers[1]!.pid);
  assert.deepEqual(new Set(workers.map((w) => w.rtmpPort)), new Set([t.rtmpPort]));
  assert.deepEqual(new Set(workers.map((w) => w.flvPort)), new Set([t.flvPort]));
  assert.notEqual(workers[0]!.relayPort, workers[1]!.relayPort);
});

test('every HTTP-FLV viewer gets the stream whichever worker accepted it (relay from the owner)', async (ctx) => {
  // The kernel spreads connections over both workers; the viewers stay 6 s so that a stats
  // report shows how many the owner serves itself (a relay counts as one of its readers).
  const VIEWERS = 12;
  const reads = Array.from({ length: VIEWERS }, () => readFlv(`${t.flv}/live/multi.flv`, () => false, 6000, true));
  await new Promise((r) => setTimeout(r, 4500));
  const { body } = await getJson(`${t.http}/api/v1/streams`);
  const listed = (body as { streams: { path: string; readers: { flv?: number } }[] }).streams.filter((s) => s.path === 'live/multi');
  assert.equal(listed.length, 1, 'listed once: mirrors are not reported');
  const ownerFlvReaders = listed[0]!.readers.flv ?? 0;
  assert.ok(ownerFlvReaders >= 1, `owner serves ${ownerFlvReaders} FLV readers of ${VIEWERS}`);
  // Which worker accepts a connection is the kernel's choice: now and then all land on the owner.
  if (ownerFlvReaders === VIEWERS) ctx.diagnostic('every viewer landed on the owner this run: the relay path was not exercised');
  for (const r of await Promise.all(reads)) {
    assert.equal(r.status, 200);
    const frames = r.tags.filter((x) => x.type === FlvTagType.Video && parseVideoTag(x.data).packet === 'codedFrames');
    assert.ok(frames.length > 50, `${frames.length} video frames in 6 s`);
    assert.equal(parseVideoTag(frames[0]!.data).keyframe, true);
  }
});

test('the relay listener refuses requests without the relay token', async () => {
  const { workers } = (await getJson(`${t.http}/api/v1/gateway/workers`)).body as { workers: WorkerStats[] };
  // The relay listener of the worker that holds the stream (the kernel picks which worker takes
  // the publish; another worker's relay listener answers 404 for a stream it does not hold).
  const owner = ((await getJson(`${t.http}/api/v1/streams/live/multi`)).body as { worker: number }).worker;
  const relayPort = workers.find((w) => w.id === owner)?.relayPort;
  assert.ok(relayPort, `no relay port for worker ${owner}`);
  const res = await fetch(`http://127.0.0.1:${relayPort}/live/multi.flv`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 403);
  await res.arrayBuffer();
});

test('RTMP play works from either worker', async () => {
  for (let i = 0; i < 4; i++) {
    const streams = await probe(`${t.rtmp}/live/multi`);
    assert.ok(streams.some((s) => s.codec_name === 'h264' && s.width === 320));
  }
});

test('an unknown stream is 404 on every worker', async () => {
  for (let i = 0; i < 4; i++) {
    const res = await fetch(`${t.flv}/live/none.flv`, { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  }
});
