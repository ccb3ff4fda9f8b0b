import { AU_CLOCK_RATE, type AccessUnit } from '../../protocol/media/access-unit.js';

/**
 * How much faster than real time a bridge sends the backlog it starts with (the stream's
 * cached GOP and what arrived while `bridgeOpen` was answered). 4× brings a 2 s GOP to the SFU
 * in 0.5 s and catches up with live after backlog/3 (2 s → ~0.67 s), while a burst stays a few
 * packets per millisecond: no loopback socket buffer overflows and the AAC→Opus child keeps up.
 */
export const CATCH_UP_SPEED = 4;
/** Timer step of the pacer, ms: at 25 fps × 4 a step carries one or two frames. */
export const CATCH_UP_TICK_MS = 10;
/**
 * Most units the pacer holds (backlog plus live units that arrive behind it): past this it
 * sends everything at once rather than hold more. Above MAX_PENDING_UNITS of the bridge, so
 * a full backlog plus the live units of its catch-up fit.
 */
export const CATCH_UP_MAX_UNITS = 1024;

/**
 * Sends a backlog of access units at CATCH_UP_SPEED × real time (by dts), then the units that
 * arrived meanwhile, then steps aside: `push()` answers false once it has caught up and the
 * caller sends live units itself. Bounded by CATCH_UP_MAX_UNITS. Used when a bridge starts
 * from the stream's cached GOP, so the SFU (and its RTP GOP cache) holds a decodable picture
 * within a fraction of the GOP instead of waiting for the publisher's next keyframe.
 *
 * Units sent before the catch-up point get their timestamps moved forward to the live time at
 * which they are sent (`catchUpShift`): the backlog plays as a fast-forward that ends on the
 * live timeline. With the old timestamps a packet's RTP time would lag its send time by up to
 * the backlog's age, and mediasoup's Sender Reports (RTP time of the last packet forwarded ↔
 * now) would tell a browser a wrong capture clock for video: its lip sync would hold video
 * back by up to a few hundred ms until enough later reports outweigh it (~20 s in Chromium).
 */
export class CatchUpPacer {
  readonly #send: (unit: AccessUnit) => void;
  readonly #now: () => number;
  #queue: AccessUnit[] = [];
  #head = 0;
  #startMs = 0;
  #startDts = 0;
  /** dts of the newest backlog unit: the live edge when the catch-up started. */
  #liveDts = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(send: (unit: AccessUnit) => void, now: () => number = () => performance.now()) {
    this.#send = send;
    this.#now = now;
  }

  /** Whether a backlog is still being sent. */
  get active(): boolean {
    return this.#head < this.#queue.length;
  }

  /** Starts sending `backlog` (oldest first); the first unit goes out now. */
  start(backlog: readonly AccessUnit[]): void {
    this.close();
    const first = backlog[0];
    if (!first) return;
    this.#queue = [...backlog];
    this.#head = 0;
    this.#startMs = this.#now();
    this.#startDts = first.dts;
    this.#liveDts = backlog.reduce((m, u) => Math.max(m, u.dts), first.dts);
    this.#tick();
    if (this.active) this.#timer = setInterval(() => this.#tick(), CATCH_UP_TICK_MS);
  }

  /** A live unit: queued behind the backlog (true), or false when caught up (send it yourself). */
  push(unit: AccessUnit): boolean {
    if (!this.active) return false;
    this.#queue.push(unit);
    if (this.#queue.length - this.#head > CATCH_UP_MAX_UNITS) this.#flush();
    return true;
  }

  /** Drops what is queued and stops the timer. Idempotent. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#queue = [];
    this.#head = 0;
  }

  #tick(): void {
    const due = this.#startDts + ((this.#now() - this.#startMs) * CATCH_UP_SPEED * AU_CLOCK_RATE) / 1000;
    while (this.#head < this.#queue.length) {
      const unit = this.#queue[this.#head]!;
      if (unit.dts > due) break;
      this.#head++;
      const shift = catchUpShift(unit.dts, this.#startDts, this.#liveDts);
      this.#send(shift === 0 ? unit : { ...unit, pts: unit.pts + shift, dts: unit.dts + shift });
    }
    if (!this.active) this.close();
  }

  #flush(): void {
    const rest = this.#queue.slice(this.#head);
    this.close();
    for (const unit of rest) this.#send(unit);
  }
}

/**
 * How far (90 kHz ticks) a unit's timestamps move when the pacer sends it: to the live time at
 * its send time, `liveDts + (dts − startDts) / CATCH_UP_SPEED`, for units before the point where
 * that meets their own dts (the catch-up point); 0 from there on. Output timestamps rise
 * steadily at 1/CATCH_UP_SPEED of the input's pace and join the live ones without a jump.
 */
export function catchUpShift(dts: number, startDts: number, liveDts: number): number {
  return Math.max(0, Math.round(liveDts + (dts - startDts) / CATCH_UP_SPEED - dts));
}
