import nodeDataChannel from 'node-datachannel';
import type { PeerConnection, Track } from 'node-datachannel';

/**
 * node-datachannel (libdatachannel) as a light WebRTC client for tests and benchmarks: a WHEP
 * viewer that hands raw RTP to JavaScript (H.264 checks, which @roamhq/wrtc cannot decode), and
 * the fan-out bench's subscribers. Engine traps handled once here.
 */

export { nodeDataChannel };
export type { PeerConnection, Track };

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
