import { fromStream, trackToFlvTag } from '../../protocol/flv/access-unit.js';
import { FlvTagType, type FlvTag } from '../../protocol/flv/tag.js';
import { buildOnMetaData } from '../../protocol/flv/script.js';
import type { AmfObject } from '../../protocol/rtmp/amf-value.js';
import type { AccessUnit } from '../../protocol/media/access-unit.js';
import type { ReaderItem } from '../hub/reader.js';

/**
 * The FLV tag body of each unit, built once and shared by every viewer of the stream (only
 * the 11-byte tag header differs between viewers: their rebased timestamps). Weak: a unit's
 * entry goes when the unit leaves the GOP cache and every reader queue.
 */
const tagBodies = new WeakMap<AccessUnit, FlvTag | null>();

function sharedTagOf(unit: AccessUnit): FlvTag | undefined {
  let tag = tagBodies.get(unit);
  if (tag === undefined) {
    tag = fromStream(unit) ?? null;
    tagBodies.set(unit, tag);
  }
  return tag ?? undefined;
}

/**
 * Turns a reader's items into FLV tags for one viewer (HTTP-FLV, WS-FLV and RTMP play send
 * the same tags; RTMP as messages): sequence headers for each track set, frames through the
 * FLV adapters (`fromStream`), onMetaData first. Timestamps are rebased so the viewer's first
 * frame is at 0 (a late reader starts mid-stream; players expect to start near zero), and
 * never go backwards within a track (FLV timestamps are decode times, E.4.1; audio and video
 * may interleave a few ms out of order, which demuxers accept).
 */
export class FlvTagMapper {
  #baseMs: number | undefined;
  readonly #lastMs = { video: 0, audio: 0 };

  /** The onMetaData script tag for a stream's metadata, or undefined when there is none. */
  metadataTag(metadata: AmfObject | null): FlvTag | undefined {
    if (!metadata) return undefined;
    return { type: FlvTagType.Script, timestamp: 0, data: buildOnMetaData(metadata) };
  }

  /** The tags one reader item becomes (none for codecs FLV does not carry). */
  map(item: ReaderItem): FlvTag[] {
    if (item.kind === 'tracks') {
      const out: FlvTag[] = [];
      for (const track of item.tracks) {
        const tag = trackToFlvTag(track, this.#lastMs[track.type]);
        if (tag) out.push(tag);
      }
      return out;
    }
    const tag = sharedTagOf(item.unit);
    if (!tag) return [];
    this.#baseMs ??= tag.timestamp;
    const ms = Math.max(this.#lastMs[item.unit.type], tag.timestamp - this.#baseMs);
    this.#lastMs[item.unit.type] = ms;
    return [{ ...tag, timestamp: ms }];
  }
}
