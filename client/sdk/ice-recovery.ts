import type { types as msc } from 'mediasoup-client';

/**
 * A transport that stays `disconnected` this long (or goes `failed`) restarts ICE: a network
 * change or outage recovers without leaving the room. libwebrtc declares `disconnected` after
 * ~5 s of silence; 2 s more avoids restarting over a blip it would ride out.
 */
export const ICE_RESTART_AFTER_MS = 2_000;
/** Between two restarts of one transport while it stays down. */
export const ICE_RESTART_RETRY_MS = 5_000;

/** Calls `restart` when `transport` goes `failed` or stays `disconnected`, and again while it stays down. */
export function watchIce(transport: msc.Transport, restart: () => void): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = (ms: number): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (transport.closed) return;
      const state = transport.connectionState;
      if (state !== 'failed' && state !== 'disconnected') return;
      restart();
      schedule(ICE_RESTART_RETRY_MS);
    }, ms);
  };
  transport.on('connectionstatechange', (state) => {
    if (state === 'failed') schedule(0);
    else if (state === 'disconnected') schedule(ICE_RESTART_AFTER_MS);
    else if (state === 'connected' || state === 'closed') clearTimeout(timer);
  });
  transport.observer.on('close', () => clearTimeout(timer));
}
