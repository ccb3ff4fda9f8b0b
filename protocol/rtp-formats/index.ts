/**
 * The codec table of the RTP payload formats (STYLE §8): codec name → clock rate, default
 * payload type, SDP rtpmap / fmtp, and packetizer / depacketizer factories, so that the RTP
 * bridge, the RTSP server and client never switch per codec.
 */
import { parseAudioSpecificConfig } from '../codec/aac.js';
import type { AudioTrackInfo, Codec, TrackInfo } from '../media/access-unit.js';
import { AacDepacketizer, AacHbrPacketizer, aacHbrFmtp } from './aac.js';
import { createG711Depacketizer, G711_CLOCK_RATE, G711_PAYLOAD_TYPE, G711Packetizer } from './g711.js';
import { createH264Depacketizer, createH264Packetizer, h264Fmtp } from './h264.js';
import { createH265Depacketizer, createH265Packetizer, h265Fmtp } from './h265.js';
import { createOpusDepacketizer, OPUS_RTP_CLOCK_RATE, OpusPacketizer, opusFmtp } from './opus.js';
import type { DepacketizerOptions, PacketizerOptions, RtpDepacketizer, RtpPacketizer } from './types.js';
import { VP8_CLOCK_RATE, Vp8Depacketizer, Vp8Packetizer } from './vp8.js';

export * from './types.js';
export * from './clock.js';
export * from './h264.js';
export * from './h265.js';
export * from './vp8.js';
export * from './opus.js';
export * from './aac.js';
export * from './g711.js';

/** Options a depacketizer from the table accepts (video ones read `requireKeyframe`). */
export type FormatDepacketizerOptions = DepacketizerOptions & { requireKeyframe?: boolean };

export interface RtpFormat {
  readonly codec: Codec;
  /** Static payload type (RFC 3551 Table 4) or the dynamic one (96–127) offered by default. */
  readonly defaultPayloadType: number;
  clockRate(track: TrackInfo): number;
  /** The `a=rtpmap` value after the payload type: encoding/clock[/channels] (RFC 4566 §6). */
  rtpmap(track: TrackInfo): string;
  /** The `a=fmtp` value after the payload type, when the format has parameters. */
  fmtp(track: TrackInfo): string | undefined;
  createPacketizer(track: TrackInfo, options?: PacketizerOptions): RtpPacketizer;
  createDepacketizer(track: TrackInfo, options?: FormatDepacketizerOptions): RtpDepacketizer;
}

function audio(track: TrackInfo): AudioTrackInfo {
  if (track.type !== 'audio') throw new TypeError(`${track.codec} needs an audio track`);
  return track;
}

/** Video formats share the 90 kHz clock (RFC 6184 §8.2.1, RFC 7798 §7.1, RFC 7741 §6.1). */
const VIDEO_CLOCK_RATE = 90_000;

function g711(codec: 'pcmu' | 'pcma'): RtpFormat {
  return {
    codec,
    defaultPayloadType: G711_PAYLOAD_TYPE[codec],
    clockRate: () => G711_CLOCK_RATE,
    rtpmap: () => `${codec.toUpperCase()}/${G711_CLOCK_RATE}`,
    fmtp: () => undefined,
    createPacketizer: (_track, options) => new G711Packetizer(options),
    createDepacketizer: (_track, options) => createG711Depacketizer(codec, options),
  };
}

/** Every codec Estuary carries over RTP. AV1, VP9 and MP3 are not here yet. */
export const RTP_FORMATS: Readonly<Partial<Record<Codec, RtpFormat>>> = {
  h264: {
    codec: 'h264',
    defaultPayloadType: 96,
    clockRate: () => VIDEO_CLOCK_RATE,
    rtpmap: () => `H264/${VIDEO_CLOCK_RATE}`,
    fmtp: (track) => h264Fmtp(track.type === 'video' ? track.config : undefined),
    createPacketizer: (track, options) => createH264Packetizer({ ...options, ...(track.type === 'video' && track.config ? { config: track.config } : {}) }),
    createDepacketizer: (_track, options) => createH264Depacketizer(options),
  },
  h265: {
    codec: 'h265',
    defaultPayloadType: 97,
    clockRate: () => VIDEO_CLOCK_RATE,
    rtpmap: () => `H265/${VIDEO_CLOCK_RATE}`,
    fmtp: (track) => h265Fmtp(track.type === 'video' ? track.config : undefined),
    createPacketizer: (track, options) => createH265Packetizer({ ...options, ...(track.type === 'video' && track.config ? { config: track.config } : {}) }),
    createDepacketizer: (_track, options) => createH265Depacketizer(options),
  },
  vp8: {
    codec: 'vp8',
    defaultPayloadType: 98,
    clockRate: () => VP8_CLOCK_RATE,
    rtpmap: () => `VP8/${VP8_CLOCK_RATE}`,
    fmtp: () => undefined,
    createPacketizer: (_track, options) => new Vp8Packetizer(options),
    createDepacketizer: (_track, options) => new Vp8Depacketizer(options),
  },
  opus: {
    codec: 'opus',
    defaultPayloadType: 111,
    clockRate: () => OPUS_RTP_CLOCK_RATE,
    rtpmap: () => `opus/${OPUS_RTP_CLOCK_RATE}/2`,
    fmtp: (track) => opusFmtp(audio(track).channels),
    createPacketizer: (_track, options) => new OpusPacketizer(options),
    createDepacketizer: (_track, options) => createOpusDepacketizer(options),
  },
  aac: {
    codec: 'aac',
    defaultPayloadType: 100,
    clockRate: (track) => audio(track).sampleRate,
    rtpmap: (track) => `MPEG4-GENERIC/${audio(track).sampleRate}/${audio(track).channels}`,
    fmtp: (track) => {
      const config = audio(track).config;
      return config ? aacHbrFmtp(config) : undefined;
    },
    createPacketizer: (track, options) => new AacHbrPacketizer({ ...options, sampleRate: audio(track).sampleRate }),
    createDepacketizer: (track, options) => {
      const { sampleRate, config } = audio(track);
      return new AacDepacketizer({ ...options, sampleRate, ...(config ? { samplesPerFrame: parseAudioSpecificConfig(config).samplesPerFrame } : {}) });
    },
  },
  pcmu: g711('pcmu'),
  pcma: g711('pcma'),
};

/** The payload format of a codec, or undefined when Estuary cannot carry it over RTP. */
export function rtpFormatFor(codec: Codec): RtpFormat | undefined {
  return RTP_FORMATS[codec];
}
