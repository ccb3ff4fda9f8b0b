import type { TrackSummary } from '../../protocol/control/messages.js';
import type { TrackInfo } from '../../protocol/media/access-unit.js';
import { parseAvcDecoderConfig } from '../../protocol/codec/avc-config.js';
import { parseH264Sps } from '../../protocol/codec/h264.js';
import { H265NalType, parseH265Sps } from '../../protocol/codec/h265.js';
import { hevcConfigNalu, parseHevcDecoderConfig } from '../../protocol/codec/hevc-config.js';
import { ParseError } from '../../protocol/errors.js';

/**
 * Fills a video track's width/height from its configuration record's SPS (H.264: ISO 14496-15
 * §5.3.3.1 avcC → ITU-T H.264 §7.3.2.1.1; H.265: §8.3.3.1 hvcC → ITU-T H.265 §7.3.2.2).
 * A config that does not parse leaves the track as it is: the stream still plays, the API
 * just shows no resolution.
 */
export function withDimensions(track: TrackInfo): TrackInfo {
  if (track.type !== 'video' || !track.config || (track.width && track.height)) return track;
  try {
    if (track.codec === 'h264') {
      const sps = parseAvcDecoderConfig(track.config).sps[0];
      if (!sps) return track;
      const { width, height } = parseH264Sps(sps);
      return { ...track, width, height };
    }
    if (track.codec === 'h265') {
      const sps = hevcConfigNalu(parseHevcDecoderConfig(track.config), H265NalType.Sps);
      if (!sps) return track;
      const { width, height } = parseH265Sps(sps);
      return { ...track, width, height };
    }
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
  }
  return track;
}

/** The registry's view of a track (no config bytes). */
export function trackSummary(track: TrackInfo): TrackSummary {
  if (track.type === 'video') {
    return { type: 'video', codec: track.codec, ...(track.width ? { width: track.width } : {}), ...(track.height ? { height: track.height } : {}) };
  }
  return { type: 'audio', codec: track.codec, sampleRate: track.sampleRate, channels: Math.max(1, track.channels) };
}
