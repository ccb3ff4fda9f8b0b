import type { AccessUnit, TrackInfo } from '../../protocol/media/access-unit.js';

/**
 * How long the gate waits, from the first track it learns, for the others: a WHIP or room
 * stream's audio config (AudioSpecificConfig) comes out of the Opus → AAC child a few hundred
 * ms after its first packet, the H.264 config with the first keyframe (or out of the VP8 →
 * H.264 encoder, ~1 s). 2 s covers both on a loaded machine; past it the stream starts with
 * what is known and a late track opens a new generation in the packagers.
 */
export const INGEST_TRACKS_TIMEOUT_MS = 2_000;
/**
 * Most units held while the gate is shut: 2 s of 30 fps video and 48 kHz AAC (~47 frames/s)
 * is ~155; 256 leaves room for 60 fps. Past it the oldest go (HLS and FLV then start at the
 * next keyframe, which they wait for anyway).
 */
export const INGEST_GATE_MAX_UNITS = 256;

/** Where the gate publishes: the hub stream. */
export interface TrackSink {
  setTrack(track: TrackInfo): void;
  pushUnit(unit: AccessUnit): void;
}

/**
 * Holds a stream's first units until every expected track has its codec config, so that the
 * packagers (HLS init segment, FLV headers) start with all tracks at once instead of video
 * alone followed by a discontinuity and a new init segment when audio's config arrives. Opens
 * when all expected tracks are known or INGEST_TRACKS_TIMEOUT_MS after the first one; then
 * publishes the tracks, the held units in dts order, and passes everything straight through.
 */
export class TrackGate {
  readonly #sink: TrackSink;
  readonly #expected: ReadonlySet<TrackInfo['type']>;
  readonly #timeoutMs: number;
  readonly #known = new Map<TrackInfo['type'], TrackInfo>();
  #held: AccessUnit[] = [];
  #open = false;
  #timer: NodeJS.Timeout | null = null;
  /** Units dropped because the gate held too many. */
  dropped = 0;

  constructor(sink: TrackSink, expected: Iterable<TrackInfo['type']>, timeoutMs = INGEST_TRACKS_TIMEOUT_MS) {
    this.#sink = sink;
    this.#expected = new Set(expected);
    this.#timeoutMs = timeoutMs;
    if (this.#expected.size === 0) this.#open = true;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Whether the track of `type` is known (its config arrived), published or not. */
  has(type: TrackInfo['type']): boolean {
    return this.#known.has(type);
  }

  /** A track (new or changed config). */
  setTrack(track: TrackInfo): void {
    this.#known.set(track.type, track);
    if (this.#open) {
      this.#sink.setTrack(track);
      return;
    }
    if ([...this.#expected].every((t) => this.#known.has(t))) this.#openNow();
    else this.#timer ??= setTimeout(() => this.#openNow(), this.#timeoutMs);
  }

  pushUnit(unit: AccessUnit): void {
    if (this.#open) {
      this.#sink.pushUnit(unit);
      return;
    }
    this.#held.push(unit);
    if (this.#held.length > INGEST_GATE_MAX_UNITS) {
      this.#held.shift();
      this.dropped++;
    }
  }

  /** Stops the timer and forgets held units. Idempotent. */
  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#held = [];
  }

  #openNow(): void {
    if (this.#open) return;
    this.#open = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const track of this.#known.values()) this.#sink.setTrack(track);
    const held = this.#held;
    this.#held = [];
    // Stable sort: each track keeps its order; tracks interleave by time for FLV and HLS.
    held.sort((a, b) => a.dts - b.dts);
    for (const unit of held) if (this.#known.has(unit.type)) this.#sink.pushUnit(unit);
  }
}
