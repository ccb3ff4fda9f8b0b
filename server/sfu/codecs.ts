import type { types } from 'mediasoup';

/**
 * The codecs every Estuary router offers (mediasoup `RouterOptions.mediaCodecs`): what rooms,
 * WHIP publishers and bridged RTMP/RTSP streams may send, and what WHEP viewers receive.
 * mediasoup assigns the payload types and derives feedback (NACK, PLI, FIR, transport-cc,
 * goog-remb) from its own supported capabilities.
 *
 * - Opus (RFC 7587) stereo, in-band FEC.
 * - VP8 (RFC 7741): browsers' default camera codec.
 * - H.264 (RFC 6184 §8.1), packetization-mode 1, in the profiles an RTMP/RTSP source carries:
 *   constrained baseline (42e01f, what browsers send), baseline (42001f), main (4d001f) and high
 *   (640032). mediasoup matches H.264 producers by profile (not level), so a bridged High-profile
 *   camera needs the High entry; `level-asymmetry-allowed` lets a viewer decode any level.
 * - PCMU/PCMA (RFC 3551): G.711 from IP cameras, forwarded to browsers that accept it.
 */
export const ROUTER_MEDIA_CODECS: types.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, parameters: { useinbandfec: 1, minptime: 10 } },
  { kind: 'audio', mimeType: 'audio/PCMU', clockRate: 8000, preferredPayloadType: 0 },
  { kind: 'audio', mimeType: 'audio/PCMA', clockRate: 8000, preferredPayloadType: 8 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: {} },
  h264('42e01f'),
  h264('42001f'),
  h264('4d001f'),
  h264('640032'),
];

function h264(profileLevelId: string): types.RtpCodecCapability {
  return {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': profileLevelId, 'level-asymmetry-allowed': 1 },
  };
}
