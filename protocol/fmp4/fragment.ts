/**
 * Movie fragments (ISO 14496-12 §8.8): moof (mfhd, one traf per track with tfhd
 * default-base-is-moof, tfdt version 1, trun version 1 with per-sample duration, size, flags
 * and signed composition offsets) followed by one mdat holding every track's samples.
 */
import type { AccessUnit } from '../media/access-unit.js';
import { AU_CLOCK_RATE } from '../media/access-unit.js';
import { BOX_HEADER_SIZE, ByteWriter, box, fullBox } from './box.js';
import { fmp4Timescale, type Fmp4Track } from './init-segment.js';

/** tfhd flag: data offsets are relative to the start of the moof (§8.8.7.1). */
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;
/** trun flags (§8.8.8.1). */
const TRUN_DATA_OFFSET = 0x000001;
const TRUN_SAMPLE_DURATION = 0x000100;
const TRUN_SAMPLE_SIZE = 0x000200;
const TRUN_SAMPLE_FLAGS = 0x000400;
const TRUN_SAMPLE_CTO = 0x000800;
const TRUN_FLAGS = TRUN_DATA_OFFSET | TRUN_SAMPLE_DURATION | TRUN_SAMPLE_SIZE | TRUN_SAMPLE_FLAGS | TRUN_SAMPLE_CTO;

/**
 * sample_flags (§8.8.3.1): a sync sample depends on no other (sample_depends_on 2); a
 * non-sync sample depends on others (1) and sets sample_is_non_sync_sample.
 */
export const SAMPLE_FLAGS_SYNC = 0x02000000;
export const SAMPLE_FLAGS_NON_SYNC = 0x01010000;

/** One sample of a fragment, with times in the track's timescale. */
export interface Fmp4Sample {
  duration: number;
  /** Composition time minus decode time; may be negative (trun version 1). */
  compositionOffset: number;
  sync: boolean;
  data: Uint8Array;
}

export interface TrackFragment {
  trackId: number;
  /** Decode time of the first sample in the track timescale (tfdt, 64-bit). */
  baseDecodeTime: number;
  samples: readonly Fmp4Sample[];
}

/** Builds moof + mdat for one or more track fragments (empty ones are left out). */
export function buildFragment(sequenceNumber: number, fragments: readonly TrackFragment[]): Uint8Array {
  const trafs = fragments.filter((f) => f.samples.length > 0);
  if (trafs.length === 0) throw new TypeError('a fragment needs at least one sample');
  const dataSize = trafs.reduce((n, f) => n + f.samples.reduce((m, s) => m + s.data.length, 0), 0);
  const w = new ByteWriter(1024 + dataSize);
  const dataOffsetAt: number[] = [];
  box(w, 'moof', () => {
    fullBox(w, 'mfhd', 0, 0, () => w.u32(sequenceNumber));
    for (const f of trafs) {
      box(w, 'traf', () => {
        fullBox(w, 'tfhd', 0, TFHD_DEFAULT_BASE_IS_MOOF, () => w.u32(f.trackId));
        fullBox(w, 'tfdt', 1, 0, () => w.u64(f.baseDecodeTime));
        fullBox(w, 'trun', 1, TRUN_FLAGS, () => {
          w.u32(f.samples.length);
          dataOffsetAt.push(w.length);
          w.i32(0); // data_offset, patched below
          for (const s of f.samples) {
            if (!Number.isInteger(s.duration) || s.duration < 0) throw new TypeError(`bad sample duration ${s.duration}`);
            w.u32(s.duration).u32(s.data.length).u32(s.sync ? SAMPLE_FLAGS_SYNC : SAMPLE_FLAGS_NON_SYNC).i32(s.compositionOffset);
          }
        });
      });
    }
  });
  // data_offset counts from the first byte of the moof, which starts this buffer.
  let offset = w.length + BOX_HEADER_SIZE;
  trafs.forEach((f, i) => {
    w.setU32At(dataOffsetAt[i] as number, offset);
    offset += f.samples.reduce((n, s) => n + s.data.length, 0);
  });
  box(w, 'mdat', () => {
    for (const f of trafs) for (const s of f.samples) w.bytes(s.data);
  });
  return w.finish();
}

/** The units of one track for `buildFragmentFromUnits`. */
export interface TrackUnits {
  track: Fmp4Track;
  /** In decode order, times in the 90 kHz AccessUnit clock. */
  units: readonly AccessUnit[];
  /** DTS (90 kHz) of the unit after the last one, when known: gives the last duration. */
  nextDts?: number;
  /** Last sample duration (90 kHz) when nextDts is unknown. */
  defaultDuration?: number;
}

/** 90 kHz time → track timescale, rounded (exact for 90 kHz video and 1024-sample AAC frames). */
function toTimescale(t: number, timescale: number): number {
  return timescale === AU_CLOCK_RATE ? t : Math.round((t * timescale) / AU_CLOCK_RATE);
}

/**
 * Builds a fragment from AccessUnits per track: durations from successive DTS (the last from
 * `nextDts` or `defaultDuration`), composition offsets from PTS − DTS, sync from keyframe.
 * Video data must use 4-byte NAL lengths, matching the avcC/hvcC of the init segment.
 */
export function buildFragmentFromUnits(sequenceNumber: number, tracks: readonly TrackUnits[]): Uint8Array {
  return buildFragment(sequenceNumber, tracks.filter((t) => t.units.length > 0).map((t): TrackFragment => {
    const scale = fmp4Timescale(t.track.info);
    const dts = t.units.map((u) => toTimescale(u.dts, scale));
    const last = t.units[t.units.length - 1] as AccessUnit;
    let end: number;
    if (t.nextDts !== undefined) end = toTimescale(t.nextDts, scale);
    else if (t.defaultDuration !== undefined) end = toTimescale(last.dts + t.defaultDuration, scale);
    else throw new TypeError(`track ${t.track.id}: give nextDts or defaultDuration for the last sample`);
    dts.push(end);
    const samples = t.units.map((u, i): Fmp4Sample => {
      const duration = (dts[i + 1] as number) - (dts[i] as number);
      if (duration < 0) throw new TypeError(`track ${t.track.id}: DTS goes backwards at sample ${i}`);
      return { duration, compositionOffset: toTimescale(u.pts, scale) - (dts[i] as number), sync: u.type === 'audio' || u.keyframe, data: u.data };
    });
    return { trackId: t.track.id, baseDecodeTime: dts[0] as number, samples };
  }));
}
