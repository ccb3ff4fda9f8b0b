import { AAC_SAMPLES_PER_FRAME, parseAudioSpecificConfig } from '../../protocol/codec/aac.js';
import { OPUS_SAMPLE_RATE, opusPacketDuration } from '../../protocol/codec/opus.js';
import { buildFragmentFromUnits, type TrackUnits } from '../../protocol/fmp4/fragment.js';
import { buildInitSegment, type Fmp4Track } from '../../protocol/fmp4/init-segment.js';
import { AU_CLOCK_RATE, type AccessUnit, type TrackInfo } from '../../protocol/media/access-unit.js';
import { TsWriter } from '../../protocol/mpegts/ts-writer.js';
import type { SegmenterPart } from './segmenter.js';

/**
 * How segment bytes are made: fragmented MP4 (RFC 8216bis §3.3, with an init segment and
 * parts) or MPEG-TS (§3.2, self-contained segments, no parts). One instance per stream; the
 * codec table of each lives in protocol/fmp4 and protocol/mpegts.
 */
export interface SegmentFormat {
  readonly extension: 'm4s' | 'ts';
  /** Whether this format has an init segment (EXT-X-MAP) and can be cut into parts. */
  readonly fragmented: boolean;
  /** Tracks this format can carry (codec supported and its decoder config present). */
  usable(track: TrackInfo): boolean;
  /** Starts a track-set generation: the init segment (fMP4) or undefined (TS). */
  start(tracks: readonly TrackInfo[]): Uint8Array | undefined;
  /** Bytes of one part (fMP4) or segment (TS); `first`: the first piece of a segment. */
  encode(part: SegmenterPart, first: boolean): Uint8Array;
}

const hasConfig = (t: TrackInfo): boolean => t.config !== undefined && t.config.byteLength > 0;

/** fMP4: one moof + mdat per part, a segment is its parts back to back (CMAF chunks). */
export function fmp4Format(): SegmentFormat {
  let tracks: Fmp4Track[] = [];
  let sequenceNumber = 1;
  return {
    extension: 'm4s',
    fragmented: true,
    usable: (t) => ((t.codec === 'h264' || t.codec === 'h265' || t.codec === 'aac') && hasConfig(t)) || t.codec === 'opus',
    start(info) {
      tracks = info.map((t, i) => ({ id: i + 1, info: t }));
      return buildInitSegment(tracks);
    },
    encode(part) {
      const perTrack = tracks.map((track): TrackUnits => {
        const units = part.units.filter((u) => u.type === track.info.type);
        const last = units[units.length - 1];
        // The reference track ends where the next part starts; the other track's last frame
        // lasts its codec frame duration.
        if (track.info.type === 'video' || !tracks.some((t) => t.info.type === 'video')) return { track, units, nextDts: part.endDts };
        return { track, units, defaultDuration: last ? audioFrameTicks(track.info, last) : 0 };
      });
      return buildFragmentFromUnits(sequenceNumber++, perTrack);
    },
  };
}

/** MPEG-TS: PAT/PMT at the start of each segment, then every unit as one PES packet. */
export function mpegtsFormat(): SegmentFormat {
  let writer: TsWriter | undefined;
  let indexOf = new Map<string, number>();
  return {
    extension: 'ts',
    fragmented: false,
    usable: (t) => (t.codec === 'h264' || t.codec === 'h265' || t.codec === 'aac') && hasConfig(t),
    start(info) {
      writer = new TsWriter(info);
      indexOf = new Map(info.map((t, i) => [t.type, i]));
      return undefined;
    },
    encode(part, first) {
      if (!writer) throw new Error('encode before start');
      const chunks: Uint8Array[] = first ? [writer.writeTables()] : [];
      for (const u of part.units) {
        const index = indexOf.get(u.type);
        if (index !== undefined) chunks.push(writer.writeAccessUnit(index, u));
      }
      return concat(chunks);
    },
  };
}

/** Duration of one audio frame in 90 kHz ticks (AAC: 1024 or 960 samples; Opus: from its TOC). */
function audioFrameTicks(info: TrackInfo, unit: AccessUnit): number {
  if (info.type !== 'audio') return 0;
  if (info.codec === 'opus') return (opusPacketDuration(unit.data) * AU_CLOCK_RATE) / OPUS_SAMPLE_RATE;
  const samples = info.config ? parseAudioSpecificConfig(info.config).samplesPerFrame : AAC_SAMPLES_PER_FRAME;
  return (samples * AU_CLOCK_RATE) / info.sampleRate;
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
