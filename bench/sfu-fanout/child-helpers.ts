/** What the benchmark's helper processes share: resource figures from /proc/self and ICE gathering. */
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { PeerConnection } from 'node-datachannel';
import type { ProcessFigures } from './api.js';

/** Host candidates on 127.0.0.1 gather within milliseconds; this bounds a stuck gatherer. */
export const GATHER_TIMEOUT_MS = 5_000;
/** Grace for a helper to close its peers before it exits anyway (node-datachannel can hold the loop). */
export const EXIT_GRACE_MS = 1_500;

export function processFigures(): ProcessFigures {
  const cpu = process.cpuUsage();
  const status = readFileSync('/proc/self/status', 'utf8');
  return {
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    atMs: performance.now(),
    rssMb: Math.round((process.memoryUsage.rss() / 1048576) * 10) / 10,
    fds: readdirSync('/proc/self/fd').length,
    threads: Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? 0),
  };
}

/** Resolves when the peer connection has gathered its candidates, or after GATHER_TIMEOUT_MS. */
export function waitForGathering(pc: PeerConnection): Promise<void> {
  return new Promise((resolve) => {
    const deadline = Date.now() + GATHER_TIMEOUT_MS;
    const poll = (): void => {
      if (pc.gatheringState() === 'complete' || Date.now() > deadline) resolve();
      else setTimeout(poll, 5);
    };
    poll();
  });
}

/** Runs `cleanup`, then exits after a short grace whatever the engine still holds. */
export function exitAfter(cleanup: () => void, code = 0): void {
  try {
    cleanup();
  } finally {
    setTimeout(() => process.exit(code), EXIT_GRACE_MS);
  }
}
