import type { AccessUnit } from '../../protocol/media/access-unit.js';

/**
 * How long after its capture time (the stream's wall clock of its pts) a transcoded audio
 * packet leaves the bridge. The SFU (mediasoup) anchors the Sender Reports it sends viewers to
 * the time it forwarded a packet, not to the bridge's reports, so a browser lines audio and
 * video up by when they left the bridge: audio must leave at a fixed, short offset from its
 * source pts, evenly spaced. AAC → Opus (10 ms frames, gateway/transcode/aac-to-opus.ts) puts
 * a packet out ~45–60 ms after its pts (AAC frame of 23 ms, resampler and Opus look-ahead, one
 * Ogg page); packets earlier than this wait, later ones go at once. Measured in Chromium
 * (bench/latency-webrtc/browser.ts, 2 loaded cores): with 60 ms audio trailed video by a
 * median 28–47 ms (p95 62–93 ms) at 121–128 ms glass to glass (p50); with 45 ms the offset was
 * no smaller (median 46–64 ms, p95 63–99 ms) and latency higher (126–149 ms): the audio came
 * less evenly and Chromium's jitter buffer held more.
 */
export const TRANSCODED_AUDIO_DELAY_MS = 60;
/** Audio passed through (Opus, G.711) leaves as soon as it is due: on arrival. */
export const PASSTHROUGH_AUDIO_DELAY_MS = 0;
/**
 * A packet this far behind its send time is dropped, not sent: the cached GOP's audio when a
 * bridge starts, the burst after a transcoder restart, a CPU stall. A burst of late audio
 * makes the browser's jitter buffer grow (and video wait for it) for tens of seconds; a short
 * gap is concealed at once.
 */
export const AUDIO_MAX_LATE_MS = 200;
/**
 * At the start, and after a gap in the packets (a transcoder restart, a stall), packets later
 * than this are dropped until one comes in time: the transcoder's first output comes late and
 * at once (ffmpeg starting), and sending that burst would fill the browser's jitter buffer,
 * which then drains over tens of seconds (measured: lip sync 105 ms at the start, 53 ms after
 * 15 s, with a 200 ms limit alone).
 */
export const AUDIO_START_MAX_LATE_MS = 20;
/** No packet for this long counts as a gap (restart, stall): the pacer starts in time again. */
export const AUDIO_RESYNC_GAP_MS = 500;
/** A packet due further ahead than this is sent now (a clock jump; never hold audio longer). */
export const AUDIO_MAX_HOLD_MS = 500;
/** Most packets held: 500 ms of 10 ms packets, twice over. */
export const AUDIO_PACER_MAX_PACKETS = 100;

/**
 * Sends audio packets at their capture time (`unixMsOf(pts)`) + a fixed delay, in order: early
 * packets wait on one timer, late ones go at once, very late ones are dropped and counted
 * (more strictly until the first one in time, after the start or a gap).
 */
export class AudioPacer {
  readonly #send: (unit: AccessUnit) => void;
  readonly #unixMsOf: (pts: number) => number;
  readonly #delayMs: number;
  readonly #now: () => number;
  #queue: { unit: AccessUnit; due: number }[] = [];
  #timer: NodeJS.Timeout | null = null;
  /** Whether a packet has come in time since the start or the last gap. */
  #inTime = false;
  #lastPushAt = -Infinity;
  /** Packets dropped as too late. */
  dropped = 0;

  constructor(options: { send: (unit: AccessUnit) => void; unixMsOf: (pts: number) => number; delayMs: number; now?: () => number }) {
    this.#send = options.send;
    this.#unixMsOf = options.unixMsOf;
    this.#delayMs = options.delayMs;
    this.#now = options.now ?? Date.now;
  }

  /** A packet to send at its time. */
  push(unit: AccessUnit): void {
    const now = this.#now();
    const due = this.#unixMsOf(unit.pts) + this.#delayMs;
    if (now - this.#lastPushAt > AUDIO_RESYNC_GAP_MS) this.#inTime = false;
    this.#lastPushAt = now;
    if (due < now - (this.#inTime ? AUDIO_MAX_LATE_MS : AUDIO_START_MAX_LATE_MS)) {
      this.dropped++;
      return;
    }
    this.#inTime = true;
    this.#queue.push({ unit, due: Math.min(due, now + AUDIO_MAX_HOLD_MS) });
    if (this.#queue.length > AUDIO_PACER_MAX_PACKETS) {
      this.#queue.shift();
      this.dropped++;
    }
    this.#flush();
  }

  /** Drops what is held and stops the timer. Idempotent. */
  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#queue = [];
  }

  #flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const now = this.#now();
    while (this.#queue.length > 0 && this.#queue[0]!.due <= now) this.#send(this.#queue.shift()!.unit);
    const next = this.#queue[0];
    if (next) this.#timer = setTimeout(() => this.#flush(), Math.max(1, next.due - now));
  }
}
