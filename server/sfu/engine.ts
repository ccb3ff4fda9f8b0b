import nodeDataChannel from 'node-datachannel';
import type { PeerConnection, RtcConfig, Track } from 'node-datachannel';
import { logger } from '../lib/logger.js';

/**
 * The one place Estuary touches node-datachannel's configuration (ARCHITECTURE.md, Media engine).
 * Everything engine-specific that is not a transport's own state lives here.
 */

export { nodeDataChannel };
export type { PeerConnection, Track };

const log = logger.child({ mod: 'sfu-engine' });

/** Host candidates on the bound address come within milliseconds; this bounds a stuck gatherer. */
export const GATHERING_TIMEOUT_MS = 5_000;

export interface EngineSettings {
  listenIp: string;
  udpMux: boolean;
  port: number;
  portMax: number;
  iceServers: { urls: string | string[]; username?: string; credential?: string }[];
}

/**
 * RtcConfig for a transport: one UDP port for every peer with ICE UDP mux
 * (`portRangeBegin = portRangeEnd`), else a range; bound to `listenIp` ('0.0.0.0' binds all);
 * negotiation driven explicitly by the transport (`disableAutoNegotiation`).
 */
export function rtcConfig(s: EngineSettings): RtcConfig {
  const config: RtcConfig = {
    iceServers: iceServerUrls(s.iceServers),
    portRangeBegin: s.port,
    portRangeEnd: s.udpMux ? s.port : s.portMax,
    enableIceUdpMux: s.udpMux,
    disableAutoNegotiation: true,
  };
  if (s.listenIp !== '0.0.0.0') config.bindAddress = s.listenIp;
  return config;
}

/**
 * libdatachannel takes ICE servers as URLs with credentials inline
 * (`turn:user:pass@host:port?transport=udp`); only stun: and turn: over UDP are usable (libjuice).
 */
export function iceServerUrls(servers: EngineSettings['iceServers']): string[] {
  const out: string[] = [];
  for (const s of servers) {
    for (const url of Array.isArray(s.urls) ? s.urls : [s.urls]) {
      const m = /^(stun|turn)s?:(.*)$/.exec(url);
      if (!m) continue;
      if (m[1] === 'turn' && s.username !== undefined && s.credential !== undefined) {
        out.push(`turn:${encodeURIComponent(s.username)}:${encodeURIComponent(s.credential)}@${m[2]}`);
      } else out.push(url);
    }
  }
  return out;
}

/** Resolves once ICE gathering completes, or after GATHERING_TIMEOUT_MS (what was gathered is used). */
export function waitForGathering(pc: PeerConnection, isClosed: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const deadline = Date.now() + GATHERING_TIMEOUT_MS;
    const poll = (): void => {
      if (isClosed() || pc.gatheringState() === 'complete' || Date.now() > deadline) resolve();
      else setTimeout(poll, 10);
    };
    poll();
  });
}

/**
 * Makes `track` release its hold on the event loop once it is closed. Engine trap
 * (node-datachannel 0.33, `src/cpp/media-track-wrapper.cpp`): every JS `Track` owns a
 * thread-safe function (a ref'd libuv handle) created in its constructor as a placeholder
 * `mOnClosedCallback`; it is released only by `doCleanup()`, which runs when a *registered*
 * `onClosed` callback is delivered (or by the process-wide `cleanup()`). `track.close()` releases
 * the open/message/error callbacks but not that one, so without this every track that ever
 * existed keeps the process alive until the wrapper happens to be garbage-collected. Call it on
 * every track as it is created (ours from `addTrack`, the remote's from `onTrack`), then
 * `track.close()` it when done. Returns the track.
 */
export function releaseOnClose(track: Track): Track {
  track.onClosed(() => {});
  return track;
}

/** Closes a track, ignoring the engine's throw for one it already closed. */
export function closeTrack(track: Track): void {
  try {
    track.close();
  } catch {
    // already closed by the engine
  }
}

/**
 * Sends one message on a track, swallowing the synchronous "Track is closed" throw of
 * `sendMessageBinary` (a track closes under us when its peer goes away). Returns whether it went.
 */
export function sendOnTrack(track: Track, data: Uint8Array): boolean {
  try {
    return track.sendMessageBinary(data instanceof Buffer ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  } catch (err) {
    log.debug({ err: (err as Error).message, mid: safeMid(track) }, 'send on closed track');
    return false;
  }
}

function safeMid(track: Track): string | undefined {
  try {
    return track.mid();
  } catch {
    return undefined;
  }
}
