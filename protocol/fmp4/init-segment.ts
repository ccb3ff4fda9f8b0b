/**
 * CMAF / fragmented MP4 initialization segment (ISO 14496-12, ISO 23000-19 §7.3.2.2):
 * ftyp + moov (mvhd, one trak per track with empty sample tables, mvex/trex).
 */
import { AU_CLOCK_RATE, type TrackInfo } from '../media/access-unit.js';
import { ByteWriter, box, fullBox, packLanguage, writeUnityMatrix } from './box.js';
import { videoSize, writeSampleEntry } from './sample-entry.js';

/** One track of an fMP4 presentation. */
export interface Fmp4Track {
  /** track_ID, ≥ 1 and unique (§8.3.2.3). */
  id: number;
  info: TrackInfo;
}

/** Movie timescale for mvhd: milliseconds; nothing is timed at movie level in fMP4. */
const MOVIE_TIMESCALE = 1000;
/** tkhd flags: track_enabled | track_in_movie (§8.3.2.3). */
const TKHD_ENABLED_IN_MOVIE = 0x000003;
/** dref entry flag: media data in the same file (§8.7.2.3). */
const URL_SELF_CONTAINED = 0x000001;
/** vmhd flags are 1 by definition (§12.1.2.2). */
const VMHD_FLAGS = 0x000001;
/** Volume 1.0 in 8.8 fixed point for audio tracks. */
const FULL_VOLUME = 0x0100;

/**
 * Media timescale of a track: 90 kHz for video (the AccessUnit clock), the sample rate for
 * AAC (so every frame lasts exactly 1024 ticks), 48 kHz for Opus (RFC 7845 §4).
 */
export function fmp4Timescale(info: TrackInfo): number {
  if (info.type === 'video') return AU_CLOCK_RATE;
  if (info.codec === 'opus') return 48000;
  return info.sampleRate;
}

/** Builds the initialization segment for the given tracks. */
export function buildInitSegment(tracks: readonly Fmp4Track[]): Uint8Array {
  if (tracks.length === 0) throw new TypeError('init segment needs at least one track');
  const ids = new Set(tracks.map((t) => t.id));
  if (ids.size !== tracks.length || tracks.some((t) => !Number.isInteger(t.id) || t.id < 1)) throw new TypeError('track ids must be unique integers ≥ 1');
  const w = new ByteWriter(1024);
  box(w, 'ftyp', () => {
    // iso6 for tfdt v1 and default-base-is-moof; cmfc only for a single-track (CMAF) file.
    w.ascii('iso6').u32(0).ascii('iso6').ascii('iso5').ascii('mp41');
    if (tracks.length === 1) w.ascii('cmfc');
  });
  box(w, 'moov', () => {
    fullBox(w, 'mvhd', 0, 0, () => {
      w.u32(0).u32(0).u32(MOVIE_TIMESCALE).u32(0); // creation, modification, timescale, duration
      w.u32(0x00010000).u16(0x0100).fill(0, 10); // rate 1.0, volume 1.0, reserved
      writeUnityMatrix(w);
      w.fill(0, 24).u32(Math.max(...ids) + 1); // pre_defined, next_track_ID
    });
    for (const t of tracks) writeTrak(w, t);
    box(w, 'mvex', () => {
      for (const t of tracks) {
        fullBox(w, 'trex', 0, 0, () => {
          // track_ID, default sample description 1, duration/size/flags set per fragment
          w.u32(t.id).u32(1).u32(0).u32(0).u32(0);
        });
      }
    });
  });
  return w.finish();
}

function writeTrak(w: ByteWriter, t: Fmp4Track): void {
  const video = t.info.type === 'video';
  box(w, 'trak', () => {
    fullBox(w, 'tkhd', 0, TKHD_ENABLED_IN_MOVIE, () => {
      w.u32(0).u32(0).u32(t.id).u32(0).u32(0); // creation, modification, track_ID, reserved, duration
      w.fill(0, 8).u16(0).u16(0).u16(video ? 0 : FULL_VOLUME).u16(0); // reserved, layer, alternate_group, volume, reserved
      writeUnityMatrix(w);
      const { width, height } = t.info.type === 'video' ? videoSize(t.info) : { width: 0, height: 0 };
      w.u32(width * 0x10000).u32(height * 0x10000); // 16.16
    });
    box(w, 'mdia', () => {
      fullBox(w, 'mdhd', 0, 0, () => {
        w.u32(0).u32(0).u32(fmp4Timescale(t.info)).u32(0).u16(packLanguage('und')).u16(0);
      });
      fullBox(w, 'hdlr', 0, 0, () => {
        w.u32(0).ascii(video ? 'vide' : 'soun').fill(0, 12).ascii(video ? 'VideoHandler' : 'SoundHandler').u8(0);
      });
      box(w, 'minf', () => {
        if (video) fullBox(w, 'vmhd', 0, VMHD_FLAGS, () => w.u16(0).fill(0, 6));
        else fullBox(w, 'smhd', 0, 0, () => w.i16(0).u16(0));
        box(w, 'dinf', () => {
          fullBox(w, 'dref', 0, 0, () => {
            w.u32(1);
            fullBox(w, 'url ', 0, URL_SELF_CONTAINED, () => undefined);
          });
        });
        box(w, 'stbl', () => {
          fullBox(w, 'stsd', 0, 0, () => {
            w.u32(1);
            writeSampleEntry(w, t.info, t.id);
          });
          fullBox(w, 'stts', 0, 0, () => w.u32(0));
          fullBox(w, 'stsc', 0, 0, () => w.u32(0));
          fullBox(w, 'stsz', 0, 0, () => w.u32(0).u32(0));
          fullBox(w, 'stco', 0, 0, () => w.u32(0));
        });
      });
    });
  });
}
