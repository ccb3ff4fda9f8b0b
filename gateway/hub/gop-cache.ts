import type { AccessUnit } from '../../protocol/media/access-unit.js';

/**
 * Most units kept for a late reader. At 60 fps with a 4 s GOP plus ~47 AAC frames/s that is
 * ~430 units; 600 covers common encoder settings (OBS default keyint 2–4 s) with room.
 */
export const GOP_CACHE_MAX_UNITS = 600;
/**
 * Most bytes kept: a 4 s GOP at 12 Mb/s is 6 MB; beyond 16 MB the stream is not a live
 * stream a player should start mid-GOP on, and memory per stream stays bounded.
 */
export const GOP_CACHE_MAX_BYTES = 16 * 1024 * 1024;

/**
 * The access units from the last video keyframe on (ARCHITECTURE.md "each stream keeps its
 * last GOP"), so a late reader starts at once on a decodable frame. Replaced at each video
 * keyframe. When a GOP outgrows the bounds the cache empties and stays empty until the next
 * keyframe (a late reader then waits for it, as it would without a cache). In an audio-only
 * stream every unit is a keyframe, so the cache holds the last frame.
 */
export class GopCache {
  #units: AccessUnit[] = [];
  #bytes = 0;
  /** True after an overflow, until the next keyframe. */
  #overflowed = false;
  #hasVideo = false;

  get units(): readonly AccessUnit[] {
    return this.#units;
  }

  get bytes(): number {
    return this.#bytes;
  }

  push(unit: AccessUnit): void {
    const startsGop = unit.type === 'video' ? unit.keyframe : !this.#hasVideo;
    if (unit.type === 'video') this.#hasVideo = true;
    if (startsGop) {
      this.#units = [];
      this.#bytes = 0;
      this.#overflowed = false;
    } else if (this.#overflowed || this.#units.length === 0) {
      // No keyframe to hang this unit on yet (stream start or after an overflow).
      return;
    }
    if (this.#units.length + 1 > GOP_CACHE_MAX_UNITS || this.#bytes + unit.data.byteLength > GOP_CACHE_MAX_BYTES) {
      this.#units = [];
      this.#bytes = 0;
      this.#overflowed = true;
      return;
    }
    this.#units.push(unit);
    this.#bytes += unit.data.byteLength;
  }

  clear(): void {
    this.#units = [];
    this.#bytes = 0;
  }
}
