/**
 * Helpers for WHIP/WHEP and bridge tests: a real server on 127.0.0.1 (HTTP port 0, WebRTC on a
 * random test UDP port), SDP POSTs, a wrtc WHEP viewer, and a bounded process exit.
 */
import { buildConfig } from '../../server/config.js';
import { startServer, type EstuaryServer } from '../../server/server.js';
import { randomWebRtcPort } from './room-server.js';
import { WrtcBot } from './wrtc-bot.js';


/** Starts a server; `extra` is merged into the config file object (gateway off unless given). */
export async function startStreamsServer(extra: Record<string, unknown> & { webrtc?: Record<string, unknown> } = {}): Promise<EstuaryServer & { url: string }> {
  const { webrtc, ...rest } = extra;
  const config = buildConfig(
    { http: { host: '127.0.0.1' }, webrtc: { listenIp: '127.0.0.1', port: randomWebRtcPort(), ...webrtc }, gateway: { enabled: false }, hls: { dir: `tmp/hls-test-${process.pid}` }, ...rest },
    {},
  );
  config.http.port = 0;
  const server = await startServer(config);
  return Object.assign(server, { url: `http://127.0.0.1:${server.port}` });
}

export function postSdp(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'application/sdp', ...headers } });
}

/** A WHEP viewer: recvonly video + audio transceivers, offer POSTed, answer applied. Returns the response too. */
export async function whepView(url: string, headers: Record<string, string> = {}): Promise<{ bot: WrtcBot; res: Response; answer: string }> {
  const bot = new WrtcBot();
  bot.pc.addTransceiver('video', { direction: 'recvonly' });
  bot.pc.addTransceiver('audio', { direction: 'recvonly' });
  const res = await postSdp(url, await bot.offer(), headers);
  const answer = await res.text();
  if (res.status === 201) await bot.applyAnswer(answer);
  return { bot, res, answer };
}

/**
 * Ends the test process once its tests are done, without tearing the media engines down.
 * Workaround: in a process hosting both node-datachannel and libwebrtc (@roamhq/wrtc), closing
 * a server whose transports saw a wrtc offer and then exiting crashes at teardown (SIGSEGV,
 * SIGABRT or SIGTRAP, reproduced with waits of 0.3–3 s and with `cleanup()`); exiting with the
 * peer connections still open does not. Kill child processes (ffmpeg) before calling this; the
 * OS reclaims sockets and threads. Results are already reported when this runs.
 */
export function exitWithoutTeardown(ms = 200): void {
  setTimeout(() => process.exit(process.exitCode ?? 0), ms);
}
