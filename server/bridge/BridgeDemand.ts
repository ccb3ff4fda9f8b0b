/**
 * Most paths with viewers or a linger timer tracked at once: one entry per watched stream, so
 * this is a bound on bookkeeping far above the streams one node carries (a leak would show here
 * as a refused join, logged by the caller, not as memory growth).
 */
export const MAX_DEMAND_PATHS = 10_000;

interface Demand {
  viewers: number;
  timer: NodeJS.Timeout | null;
}

/**
 * WebRTC viewers per stream path, for on-demand bridges (`bridge.mode: on-demand`): when a
 * path's last viewer leaves (or a bridge was started and nobody joined), `onIdle(path)` is
 * called after `lingerMs` unless a viewer joins first. A viewer is one WHEP session (the watch
 * page is a WHEP client too). Timers are plain `setTimeout`, so tests drive them with fake timers.
 */
export class BridgeDemand {
  readonly #demands = new Map<string, Demand>();
  readonly #lingerMs: number;
  readonly #onIdle: (path: string) => void;
  #closed = false;

  constructor(options: { lingerMs: number; onIdle: (path: string) => void }) {
    if (!Number.isInteger(options.lingerMs) || options.lingerMs < 0) throw new TypeError('lingerMs must be a non-negative integer');
    this.#lingerMs = options.lingerMs;
    this.#onIdle = options.onIdle;
  }

  /** Viewers of `path` now. */
  viewers(path: string): number {
    return this.#demands.get(path)?.viewers ?? 0;
  }

  /** Whether `path` is waiting out its linger time. */
  lingering(path: string): boolean {
    return this.#demands.get(path)?.timer != null;
  }

  /** A viewer of `path` arrived: cancels a pending idle. Returns false when the table is full. */
  join(path: string): boolean {
    if (this.#closed) return false;
    let d = this.#demands.get(path);
    if (!d) {
      if (this.#demands.size >= MAX_DEMAND_PATHS) return false;
      d = { viewers: 0, timer: null };
      this.#demands.set(path, d);
    }
    d.viewers++;
    this.#cancel(d);
    return true;
  }

  /** A viewer of `path` left: the last one arms the linger timer. */
  leave(path: string): void {
    const d = this.#demands.get(path);
    if (!d || d.viewers === 0) return;
    d.viewers--;
    if (d.viewers === 0) this.#arm(path, d);
  }

  /** Something started for `path` (a bridge) that nobody may join: idle after `lingerMs` unless someone does. */
  touch(path: string): void {
    if (this.#closed) return;
    let d = this.#demands.get(path);
    if (!d) {
      if (this.#demands.size >= MAX_DEMAND_PATHS) return;
      d = { viewers: 0, timer: null };
      this.#demands.set(path, d);
    }
    if (d.viewers === 0 && !d.timer) this.#arm(path, d);
  }

  /** Stops every timer; no `onIdle` after this. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const d of this.#demands.values()) this.#cancel(d);
    this.#demands.clear();
  }

  #arm(path: string, d: Demand): void {
    this.#cancel(d);
    d.timer = setTimeout(() => {
      d.timer = null;
      if (this.#demands.get(path) !== d || d.viewers > 0) return;
      this.#demands.delete(path);
      this.#onIdle(path);
    }, this.#lingerMs);
  }

  #cancel(d: Demand): void {
    if (d.timer) clearTimeout(d.timer);
    d.timer = null;
  }
}
