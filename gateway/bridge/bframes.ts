/**
 * B-frame detection for H.264 (ITU-T H.264 §A.2): WebRTC decoders expect frames in
 * presentation order, so a stream with B-frames (frames decoded before they are shown) is
 * re-encoded for WebRTC viewers unless `bridge.bframes: passthrough`.
 */
import { parseAvcDecoderConfig } from '../../protocol/codec/avc-config.js';
import { ParseError } from '../../protocol/errors.js';

/** profile_idc of Baseline (§A.2.1, also Constrained Baseline §A.2.1.1): no B slices allowed. */
export const H264_PROFILE_BASELINE = 66;
/**
 * Video frames looked at before deciding "no B-frames". An encoder with B-frames reorders
 * from the first GOP on (the IDR already has pts > dts); 8 frames is ~0.3 s at 25 fps.
 */
export const BFRAME_PROBE_FRAMES = 8;

export type BFrameVerdict = 'none' | 'present' | 'unknown';

/** Whether the SPS's profile rules B-frames out (baseline), from an avcC. */
export function profileForbidsBFrames(config: Uint8Array | undefined): boolean {
  if (!config) return false;
  try {
    return parseAvcDecoderConfig(config).profileIdc === H264_PROFILE_BASELINE;
  } catch (err) {
    if (err instanceof ParseError) return false;
    throw err;
  }
}

/**
 * The verdict from the stream's avcC and its first video frames (decode order): 'present' as
 * soon as one frame has pts ≠ dts (a composition offset, ISO 14496-12 §8.6.1.3), 'none' for a
 * baseline profile or after BFRAME_PROBE_FRAMES frames without one, else 'unknown' (look at more).
 */
export function detectBFrames(config: Uint8Array | undefined, frames: readonly { pts: number; dts: number }[]): BFrameVerdict {
  if (profileForbidsBFrames(config)) return 'none';
  if (frames.some((f) => f.pts !== f.dts)) return 'present';
  return frames.length >= BFRAME_PROBE_FRAMES ? 'none' : 'unknown';
}
