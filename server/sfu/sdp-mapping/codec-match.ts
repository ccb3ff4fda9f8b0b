import type { types } from 'mediasoup';
import type { OfferedCodec } from './offer.js';

/**
 * Whether an offered codec is the same codec as a router capability, by the rules mediasoup's
 * `ortc.matchCodecs(strict)` applies when it maps a producer: mimeType, clock rate and channels;
 * H.264 packetization-mode and profile (RFC 6184 §8.1; the level may differ); VP9 profile-id.
 */
export function sameCodec(offered: OfferedCodec, cap: types.RtpCodecCapability): boolean {
  const mime = offered.mimeType.toLowerCase();
  if (mime !== cap.mimeType.toLowerCase() || offered.clockRate !== cap.clockRate) return false;
  if (cap.kind === 'audio' && offered.channels !== (cap.channels ?? 1)) return false;
  const a = offered.parameters;
  const b = cap.parameters ?? {};
  switch (mime) {
    case 'video/h264':
      return Number(a['packetization-mode'] ?? 0) === Number(b['packetization-mode'] ?? 0) && h264Profile(a['profile-level-id']) !== undefined && h264Profile(a['profile-level-id']) === h264Profile(b['profile-level-id']);
    case 'video/vp9':
      return Number(a['profile-id'] ?? 0) === Number(b['profile-id'] ?? 0);
    default:
      return true;
  }
}

export type H264Profile = 'constrained-baseline' | 'baseline' | 'main' | 'extended' | 'high' | 'constrained-high' | 'high-444-predictive';

/**
 * RFC 6184 §8.1 / ITU-T H.264 A.2: profile_idc and the constraint-flag bits of profile-iop that
 * decide the profile (mask, value over the high 4 bits and the low 4 reserved ones). The table
 * of libwebrtc's and mediasoup's `h264-profile-level-id`, the first match winning.
 */
const H264_PROFILE_PATTERNS: readonly { idc: number; mask: number; value: number; profile: H264Profile }[] = [
  { idc: 0x42, mask: 0x4f, value: 0x40, profile: 'constrained-baseline' }, // x1xx0000
  { idc: 0x4d, mask: 0x8f, value: 0x80, profile: 'constrained-baseline' }, // 1xxx0000
  { idc: 0x58, mask: 0xcf, value: 0xc0, profile: 'constrained-baseline' }, // 11xx0000
  { idc: 0x42, mask: 0x4f, value: 0x00, profile: 'baseline' }, // x0xx0000
  { idc: 0x58, mask: 0xcf, value: 0x80, profile: 'baseline' }, // 10xx0000
  { idc: 0x4d, mask: 0xaf, value: 0x00, profile: 'main' }, // 0x0x0000
  { idc: 0x64, mask: 0xff, value: 0x00, profile: 'high' }, // 00000000
  { idc: 0x64, mask: 0xff, value: 0x0c, profile: 'constrained-high' }, // 00001100
  { idc: 0xf4, mask: 0xff, value: 0x00, profile: 'high-444-predictive' }, // 00000000
];

/** The profile of an H.264 `profile-level-id` (6 hex digits); absent means 42000A, Baseline (RFC 6184 §8.1). */
export function h264Profile(profileLevelId: string | number | undefined): H264Profile | undefined {
  const text = profileLevelId === undefined ? '42000a' : String(profileLevelId);
  if (!/^[0-9a-fA-F]{6}$/.test(text)) return undefined;
  const idc = parseInt(text.slice(0, 2), 16);
  const iop = parseInt(text.slice(2, 4), 16);
  return H264_PROFILE_PATTERNS.find((p) => p.idc === idc && (iop & p.mask) === p.value)?.profile;
}
