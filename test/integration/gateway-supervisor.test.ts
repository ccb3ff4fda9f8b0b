import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, killChildren, publish, startTestServer, waitFor, type TestServer } from './gateway-helpers.js';

interface WorkerStats {
  id: number;
  pid: number | null;
  ready: boolean;
  crashes: number;
  restarts: number;
}

let t: TestServer;

before(async () => {
  t = await startTestServer();
});

after(async () => {
  killChildren();
  await t?.server.close();
});

const workers = async (): Promise<WorkerStats[]> => ((await getJson(`${t.http}/api/v1/gateway/workers`)).body as { workers: WorkerStats[] }).workers;
const live = async (path: string): Promise<boolean> => (await getJson(`${t.http}/api/v1/streams/${path}`)).status === 200;

test('DELETE /api/v1/streams/<path> kicks the publisher; a second DELETE answers 404', async () => {
  const p = publish(`${t.rtmp}/live/kickme`, 60);
  await waitFor('live/kickme published', () => live('live/kickme'));
  const del = () => fetch(`${t.http}/api/v1/streams/live/kickme`, { method: 'DELETE', signal: AbortSignal.timeout(5000) });
  assert.equal((await del()).status, 204);
  await waitFor('live/kickme unpublished', async () => !(await live('live/kickme')));
  const code = await Promise.race([p.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 10_000))]);
  assert.notEqual(code, 'running', 'the kicked ffmpeg exited');
  const again = await del();
  assert.equal(again.status, 404);
  await again.arrayBuffer();
});

test('a SIGKILLed gateway worker is restarted, its streams unpublished, its crash counted, and a new publish works', async () => {
  publish(`${t.rtmp}/live/before`, 60);
  await waitFor('live/before published', () => live('live/before'));
  const [w0] = await workers();
  assert.ok(w0?.pid);
  assert.equal(w0.crashes, 0);
  process.kill(w0.pid, 'SIGKILL');

  await waitFor('live/before unpublished', async () => !(await live('live/before')));
  const [w1] = await waitFor('a restarted worker', async () => {
    const ws = await workers();
    return ws[0]?.ready && ws[0].pid !== w0.pid ? ws : undefined;
  });
  assert.equal(w1?.crashes, 1);
  assert.equal(w1?.restarts, 1);

  publish(`${t.rtmp}/live/after`, 30);
  await waitFor('live/after published on the new worker', () => live('live/after'));
});

test('server.close() stops the worker process', async () => {
  const [w] = await workers();
  assert.ok(w?.pid);
  await t.server.close();
  await waitFor('worker exit', () => {
    try {
      process.kill(w.pid!, 0);
      return false;
    } catch {
      return true;
    }
  }, 5000);
});

test('startServer() fails fast, naming the cause, when the RTMP port is already taken', async () => {
  const net = await import('node:net');
  const blocker = net.createServer();
  const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
  try {
    const t0 = Date.now();
    await assert.rejects(startTestServer({ rtmp: { port, host: '127.0.0.1' } }), /before listening/);
    assert.ok(Date.now() - t0 < 15_000, 'failed before the start timeout');
  } finally {
    blocker.close();
  }
});
