/**
 * Starts a real Estuary server for room tests: HTTP on 127.0.0.1 port 0, WebRTC on a random
 * UDP port (see `randomWebRtcPort`), gateway off.
 */
import { io, type Socket } from 'socket.io-client';
import { buildConfig } from '../../server/config.js';
import { startServer, type EstuaryServer } from '../../server/server.js';
import type { Ack } from '../../protocol/signaling/schemas.js';
import { exitWhenDrained } from './wrtc-exit.js';

/**
 * Test WebRTC ports: below Linux's ephemeral range (32768–60999) and mediasoup's own port range
 * for transports without a fixed port (10000–59999), so a port picked here is never one the
 * kernel or another server's plain/pipe transports took; even numbers, so worker i's `port + i`
 * of a two-worker server stays clear of another server's.
 */
const WEBRTC_PORT_MIN = 5_000;
const WEBRTC_PORT_SPAN = 4_900;
const CONNECT_TIMEOUT_MS = 5_000;
const ACK_TIMEOUT_MS = 10_000;

export function randomWebRtcPort(): number {
  return WEBRTC_PORT_MIN + 2 * Math.floor((Math.random() * WEBRTC_PORT_SPAN) / 2);
}

export async function startRoomServer(
  extra: { auth?: { secret: string }; rooms?: { reconnectGraceMs?: number }; webrtc?: Record<string, unknown> } = {},
): Promise<EstuaryServer & { url: string }> {
  const { webrtc, ...rest } = extra;
  const config = buildConfig({ http: { host: '127.0.0.1' }, webrtc: { listenIp: '127.0.0.1', port: randomWebRtcPort(), ...webrtc }, gateway: { enabled: false }, ...rest }, {});
  // The config schema refuses port 0 (ports are 1–65535); an ephemeral port is what tests need.
  config.http.port = 0;
  const server = await startServer(config);
  return Object.assign(server, { url: `http://127.0.0.1:${server.port}` });
}

/** A bare socket.io client, for driving the signaling protocol message by message. */
export async function connectRaw(url: string): Promise<Socket> {
  const socket = io(url, { path: '/socket.io', transports: ['websocket'], reconnection: false, timeout: CONNECT_TIMEOUT_MS });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

/** Sends a request and returns the raw ack. */
export async function request(socket: Socket, event: string, payload?: unknown): Promise<Ack<Record<string, unknown>>> {
  return (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload)) as Ack<Record<string, unknown>>;
}

/** Waits for one server notification. */
export function nextEvent<T>(socket: Socket, event: string, timeoutMs = ACK_TIMEOUT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    socket.once(event, (payload: T) => {
      clearTimeout(timer);
      resolve(payload);
    });
  });
}

/**
 * Ends the test process once its event loop drains, skipping the environment teardown that
 * crashes inside @roamhq/wrtc: see `wrtc-exit.ts`, the one place that workaround lives.
 */
export function exitWhenDone(): void {
  exitWhenDrained();
}
