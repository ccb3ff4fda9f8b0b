import { logger } from '../lib/logger.js';
import type { GatewayModuleFactory } from '../module.js';
import { RtspPull } from './rtsp-pull.js';

const log = logger.child({ mod: 'rtsp-pull' });

/** Most sources one worker pulls (each holds a connection, maybe UDP pairs, maybe a G.711 child). */
export const MAX_PULLS = 500;

/**
 * Runs the pulls the server assigns to this worker (`pullStart` / `pullStop`), one RtspPull
 * per path, and reports their state (`pullStatus`). A second `pullStart` for a path replaces
 * the first (the server re-sends its list when a worker restarts).
 */
export const pullModule: GatewayModuleFactory = async ({ hub, channel }) => {
  const pulls = new Map<string, RtspPull>();
  channel.onNotification((n) => {
    switch (n.method) {
      case 'pullStart': {
        pulls.get(n.params.path)?.close('replaced by a new pull');
        pulls.delete(n.params.path);
        if (pulls.size >= MAX_PULLS) {
          channel.notify('pullStatus', { path: n.params.path, state: 'failed', error: `worker pulls ${MAX_PULLS} sources already` });
          return;
        }
        const pull = new RtspPull(n.params, hub, log, (state, error) => {
          if (pulls.get(n.params.path) === pull) channel.notify('pullStatus', { path: n.params.path, state, ...(error ? { error } : {}) });
        });
        pulls.set(n.params.path, pull);
        return;
      }
      case 'pullStop':
        pulls.get(n.params.path)?.close(n.params.reason);
        pulls.delete(n.params.path);
        return;
    }
  });
  return {
    name: 'rtsp-pull',
    close: () => {
      for (const p of pulls.values()) p.close('worker stopping');
      pulls.clear();
    },
  };
};
