/**
 * FLV (and RTMP media message) ↔ AccessUnit adapters (ARCHITECTURE.md "The stream model").
 *
 * Timing: an FLV timestamp is the decode time in ms; video carries pts − dts in ms as the
 * composition time (E.4.3.2). AccessUnits run on the 90 kHz clock: dts = ms × 90,
 * pts = dts + cts × 90; back again, ms = round(dts / 90). Payloads pass through untouched:
 * AVCC NAL units for H.264/H.265, raw AAC frames, OBUs for AV1.
 */
import { parseAudioSpecificConfig } from '../codec/aac.js';
import { ParseError } from '../errors.js';
import { AU_CLOCK_RATE, type AccessUnit, type AudioTrackInfo, type TrackInfo, type VideoCodec, type VideoTrackInfo } from '../media/access-unit.js';
import { buildAudioTag, parseAudioTag, SOUND_RATES } from './audio.js';
import { FlvTagType, type FlvTag } from './tag.js';
import { buildVideoTag, parseVideoTag } from './video.js';

/** 90 kHz ticks per FLV millisecond. */
const TICKS_PER_MS = AU_CLOCK_RATE / 1000;
/** G.711 in FLV is always 8 kHz mono (E.4.2.1 note: SoundRate is ignored for it). */
const G711_SAMPLE_RATE = 8000;

/** What one FLV tag means for a stream: a new track description, a frame, or nothing. */
export type FlvStreamItem =
  | { kind: 'track'; track: TrackInfo }
  | { kind: 'unit'; unit: AccessUnit }
  | { kind: 'end'; codec: VideoCodec };

/**
 * Converts an FLV tag (or an RTMP audio/video message as a tag) into a track update (sequence
 * headers), an AccessUnit (frames), an end of sequence, or undefined for what a stream does not
 * carry (script tags, command frames, enhanced metadata, codecs outside the AccessUnit codec
 * list). `timestamp` may be an unwrapped value (RTMP); AU times are not wrapped.
 * ParseError from the tag body parsers pass through; a bad AudioSpecificConfig is
 * ParseError('bad-audio-config').
 */
export function toStream(tag: FlvTag): FlvStreamItem | undefined {
  const dts = tag.timestamp * TICKS_PER_MS;
  if (tag.type === FlvTagType.Video) {
    const v = parseVideoTag(tag.data);
    if (v.codec === 'other') return undefined;
    switch (v.packet) {
      case 'sequenceStart': {
        const track: VideoTrackInfo = { type: 'video', codec: v.codec, config: v.data.slice() };
        return { kind: 'track', track };
      }
      case 'codedFrames':
        return {
          kind: 'unit',
          unit: {
            type: 'video',
            codec: v.codec,
            dts,
            pts: dts + v.compositionTime * TICKS_PER_MS,
            keyframe: v.keyframe,
            data: v.data.slice(),
          },
        };
      case 'sequenceEnd':
        return { kind: 'end', codec: v.codec };
      default:
        return undefined;
    }
  }
  if (tag.type === FlvTagType.Audio) {
    const a = parseAudioTag(tag.data);
    if (a.codec === 'other') return undefined;
    if (a.codec === 'aac' && a.packet === 'sequenceStart') {
      let asc;
      try {
        asc = parseAudioSpecificConfig(a.data);
      } catch (err) {
        if (err instanceof ParseError) throw new ParseError('bad-audio-config', err.message);
        throw err;
      }
      const track: AudioTrackInfo = {
        type: 'audio',
        codec: 'aac',
        config: a.data.slice(),
        sampleRate: asc.sampleRate,
        channels: asc.channels || a.soundType + 1,
      };
      return { kind: 'track', track };
    }
    return {
      kind: 'unit',
      unit: { type: 'audio', codec: a.codec, dts, pts: dts, keyframe: true, data: a.data.slice() },
    };
  }
  return undefined;
}

/**
 * The track description a non-AAC audio tag implies (MP3, G.711 have no sequence header):
 * call it on the first audio tag when `toStream` gave a unit without a track before it.
 */
export function audioTrackOf(tag: FlvTag): AudioTrackInfo | undefined {
  if (tag.type !== FlvTagType.Audio) return undefined;
  const a = parseAudioTag(tag.data);
  if (a.codec === 'other' || a.codec === 'aac') return undefined;
  const g711 = a.codec === 'pcma' || a.codec === 'pcmu';
  return {
    type: 'audio',
    codec: a.codec,
    sampleRate: g711 ? G711_SAMPLE_RATE : (SOUND_RATES[a.soundRate] ?? 44100),
    channels: g711 ? 1 : a.soundType + 1,
  };
}

const msOf = (ticks: number): number => Math.round(ticks / TICKS_PER_MS);

/**
 * The sequence-header tag for a track (AVC/HEVC/AV1/VP9 configuration record, AAC
 * AudioSpecificConfig), to send before its frames. Undefined when the track has no config or
 * FLV has no sequence header for the codec (MP3, G.711: nothing to send; Opus, VP8: not
 * carried).
 */
export function trackToFlvTag(track: TrackInfo, timestampMs = 0): FlvTag | undefined {
  if (!track.config) return undefined;
  if (track.type === 'video') {
    if (track.codec === 'vp8') return undefined;
    const data = buildVideoTag({ codec: track.codec, packet: 'sequenceStart', keyframe: true, data: track.config });
    return { type: FlvTagType.Video, timestamp: timestampMs, data };
  }
  if (track.codec !== 'aac') return undefined;
  return {
    type: FlvTagType.Audio,
    timestamp: timestampMs,
    data: buildAudioTag({ codec: 'aac', packet: 'sequenceStart', data: track.config }),
  };
}

/** The end-of-sequence video tag (AVCPacketType 2 / Enhanced SequenceEnd) for a codec FLV carries. */
export function endOfSequenceTag(codec: VideoCodec, timestampMs: number): FlvTag | undefined {
  if (codec === 'vp8') return undefined;
  const data = buildVideoTag({ codec, packet: 'sequenceEnd', keyframe: false, data: new Uint8Array(0) });
  return { type: FlvTagType.Video, timestamp: timestampMs, data };
}

/**
 * Converts an AccessUnit into an FLV tag (also the body of an RTMP media message).
 * Undefined for codecs FLV does not carry (Opus, VP8). The timestamp is the dts in ms,
 * not wrapped (buildFlvTag and the RTMP writer send it modulo 2^32).
 */
export function fromStream(unit: AccessUnit): FlvTag | undefined {
  const timestamp = msOf(unit.dts);
  if (unit.type === 'video') {
    if (unit.codec !== 'h264' && unit.codec !== 'h265' && unit.codec !== 'av1' && unit.codec !== 'vp9') return undefined;
    const cts = unit.codec === 'h264' || unit.codec === 'h265' ? msOf(unit.pts) - timestamp : 0;
    const data = buildVideoTag({
      codec: unit.codec,
      packet: 'codedFrames',
      keyframe: unit.keyframe,
      compositionTime: cts,
      data: unit.data,
    });
    return { type: FlvTagType.Video, timestamp, data };
  }
  if (unit.codec !== 'aac' && unit.codec !== 'mp3' && unit.codec !== 'pcma' && unit.codec !== 'pcmu') return undefined;
  return { type: FlvTagType.Audio, timestamp, data: buildAudioTag({ codec: unit.codec, packet: 'raw', data: unit.data }) };
}
