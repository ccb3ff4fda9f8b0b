/**
 * The one media unit that passes from ingest to egress inside a gateway (after bluenviron's
 * unit types): one video frame or one audio frame, with its timing in a 90 kHz clock for
 * video and the track's sample rate for audio converted to milliseconds-free integer ticks.
 */

/** Codecs a track may carry; the codec table in each adapter is keyed by these names. */
export type VideoCodec = 'h264' | 'h265' | 'av1' | 'vp8' | 'vp9';
export type AudioCodec = 'aac' | 'opus' | 'mp3' | 'pcma' | 'pcmu';
export type Codec = VideoCodec | AudioCodec;

/** Clock rate of every AccessUnit timestamp: 90 kHz (MPEG-TS, RTP video, fMP4 video timescale). */
export const AU_CLOCK_RATE = 90_000;

/** Description of a track in a stream: enough for a muxer to write its init data. */
export interface VideoTrackInfo {
  type: 'video';
  codec: VideoCodec;
  /** H.264: the AVCDecoderConfigurationRecord (ISO 14496-15 §5.3.3.1); H.265: hvcC. */
  config?: Uint8Array;
  width?: number;
  height?: number;
}

export interface AudioTrackInfo {
  type: 'audio';
  codec: AudioCodec;
  /** AAC: the AudioSpecificConfig (ISO 14496-3 §1.6.2.1). */
  config?: Uint8Array;
  sampleRate: number;
  channels: number;
}

export type TrackInfo = VideoTrackInfo | AudioTrackInfo;

/** One frame. For video, `data` is the NAL units in AVCC form (4-byte lengths) for H.264/H.265. */
export interface AccessUnit {
  type: 'video' | 'audio';
  codec: Codec;
  /** Presentation and decode time, 90 kHz ticks since the stream started (not wrapped). */
  pts: number;
  dts: number;
  /** Video: an IDR / IRAP frame a decoder can start from. Audio: always true. */
  keyframe: boolean;
  /** The codec payload: AVCC NAL units for H.264/H.265, raw AAC frame (no ADTS), Opus packet. */
  data: Uint8Array;
}
