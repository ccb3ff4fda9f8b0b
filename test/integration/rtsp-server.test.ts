/**
 * RTSP server end to end with real peers: ffmpeg pushes with RTSP RECORD over TCP and UDP and
 * ffprobe plays the stream back over RTSP; an RTMP-published stream plays over RTSP in ffprobe
 * and in GStreamer's rtspsrc.
 */
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { freePort, getJson, killChildren, probe, publish, startTestServer, waitFor, type TestServer } from './gateway-helpers.js';

let t: TestServer;
let rtsp: string;
const pushers: ChildProcess[] = [];

before(async () => {
  const port = await freePort();
  t = await startTestServer({ rtsp: { enabled: true, host: '127.0.0.1', port } });
  rtsp = `rtsp://127.0.0.1:${port}`;
});

after(async () => {
  for (const c of pushers) c.kill('SIGKILL');
  killChildren();
  await t?.server.close();
});

/** ffmpeg pushing H.264 + AAC with RTSP RECORD over `transport` for `seconds`. */
function pushRtsp(url: string, transport: 'tcp' | 'udp', seconds = 40): ChildProcess {
  const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', '-t', String(seconds),
    '-f', 'rtsp', '-rtsp_transport', transport, url], { stdio: ['ignore', 'ignore', 'pipe'] });
  pushers.push(child);
  return child;
}

/** ffprobe of an RTSP URL over `transport`: codecs and size. */
function probeRtsp(url: string, transport: 'tcp' | 'udp'): Promise<{ codec_name: string; width?: number; sample_rate?: string }[]> {
  return new Promise((resolve, reject) => {
    execFile('ffprobe', ['-v', 'error', '-rtsp_transport', transport, '-timeout', '5000000', '-show_entries', 'stream=codec_name,width,height,sample_rate', '-of', 'json', url], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}: ${stderr}`));
      resolve((JSON.parse(stdout) as { streams: never[] }).streams);
    });
  });
}

async function streamOf(path: string): Promise<{ origin: string; tracks: { codec: string }[] } | undefined> {
  const r = await getJson(`${t.http}/api/v1/streams/${path}`);
  return r.status === 200 ? (r.body as { origin: string; tracks: { codec: string }[] }) : undefined;
}

for (const transport of ['tcp', 'udp'] as const) {
  test(`ffmpeg pushes with RTSP RECORD over ${transport}; ffprobe plays it back over RTSP ${transport}`, async () => {
    const path = `live/push-${transport}`;
    const child = pushRtsp(`${rtsp}/${path}`, transport);
    const entry = await waitFor(`${path} published`, async () => {
      const s = await streamOf(path);
      return s && s.tracks.length === 2 ? s : undefined;
    }, 20_000);
    assert.equal(entry.origin, 'rtsp-push');
    assert.deepEqual(entry.tracks.map((tr) => tr.codec).sort(), ['aac', 'h264']);
    const streams = await probeRtsp(`${rtsp}/${path}`, transport);
    const video = streams.find((s) => s.codec_name === 'h264');
    assert.equal(video?.width, 320);
    assert.ok(streams.some((s) => s.codec_name === 'aac' && s.sample_rate === '44100'), JSON.stringify(streams));
    // The same stream reaches HTTP-FLV readers.
    const flv = await probe(`${t.flv}/${path}.flv`);
    assert.deepEqual(flv.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    child.kill('SIGKILL');
    await waitFor(`${path} unpublished`, async () => !(await streamOf(path)), 15_000);
  });
}

test('an RTMP-published stream plays over RTSP in ffprobe (TCP and UDP) and in GStreamer rtspsrc', async () => {
  const path = 'live/from-rtmp';
  publish(`${t.rtmp}/${path}`, 40);
  await waitFor(`${path} published`, async () => {
    const s = await streamOf(path);
    return s && s.tracks.length === 2;
  }, 20_000);
  for (const transport of ['tcp', 'udp'] as const) {
    const streams = await probeRtsp(`${rtsp}/${path}`, transport);
    assert.deepEqual(streams.map((s) => s.codec_name).sort(), ['aac', 'h264'], transport);
  }
  const gst = await new Promise<{ code: number | null; out: string }>((resolve) => {
    execFile('gst-launch-1.0', ['-q', 'rtspsrc', `location=${rtsp}/${path}`, 'protocols=tcp', 'latency=0', '!', 'application/x-rtp,media=video', '!', 'rtph264depay', '!', 'h264parse', '!', 'avdec_h264', '!', 'fakesink', 'num-buffers=25'],
      { timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }));
  });
  assert.equal(gst.code, 0, gst.out);
});

test('RTSP play of a stream that is not live is 404; an unknown method is 501', async () => {
  await assert.rejects(probeRtsp(`${rtsp}/live/nothing-here`, 'tcp'), /404|Not Found|Server returned/);
  const url = new URL(rtsp.replace('rtsp:', 'http:'));
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(url.port), '127.0.0.1', () => socket.write(`FOO ${rtsp}/live/x RTSP/1.0\r\nCSeq: 7\r\n\r\nOPTIONS * RTSP/1.0\r\n\r\n`));
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    setTimeout(() => socket.destroy(), 5_000).unref();
  });
  assert.match(reply, /^RTSP\/1.0 501 Not Implemented\r\nCSeq: 7\r\n/);
  assert.match(reply, /RTSP\/1.0 400 Bad Request/, 'a request without CSeq is 400 and ends the connection');
});
