import type { BridgeTrack, IngestTrack } from '../../protocol/control/messages.js';
import type { RtpCodecParameters, RtpParameters } from '../sfu/index.js';

/**
 * The codec tables of the bridge contract (protocol/control/messages.ts): bridge tracks
 * (gateway → SFU) become producer RTP parameters, consumers become ingest tracks (SFU → gateway).
 */

/** Feedback a bridged video producer asks of the gateway: PLI (RFC 4585 §6.3.1) and FIR (RFC 5104 §4.3.1). */
const BRIDGE_VIDEO_FEEDBACK = [
  { type: 'nack', parameter: 'pli' },
  { type: 'ccm', parameter: 'fir' },
];

/**
 * Payload types the gateway sends with: dynamic ones for H.264 and Opus (any will do: mediasoup
 * maps producer payload types to the router's), the static ones for G.711 (RFC 3551 Table 4).
 */
const BRIDGE_CODECS: Record<BridgeTrack['codec'], { mimeType: string; payloadType: number }> = {
  h264: { mimeType: 'video/H264', payloadType: 102 },
  opus: { mimeType: 'audio/opus', payloadType: 111 },
  pcma: { mimeType: 'audio/PCMA', payloadType: 8 },
  pcmu: { mimeType: 'audio/PCMU', payloadType: 0 },
};

/** `a=b;c=d` (RFC 8866 §6.15 fmtp parameters) → record; bounded by the contract's MAX_FMTP_LENGTH. */
export function parseFmtpParameters(fmtp: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const part of fmtp.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const value = part.slice(eq + 1).trim();
    // mediasoup compares packetization-mode and friends as numbers.
    out[part.slice(0, eq).trim()] = /^\d+$/.test(value) ? Number(value) : value;
  }
  return out;
}

/** The producer RTP parameters for a bridge track the gateway sends with `ssrc`. */
export function bridgeRtpParameters(track: BridgeTrack, ssrc: number): RtpParameters {
  const { mimeType, payloadType } = BRIDGE_CODECS[track.codec];
  const codec: RtpCodecParameters =
    track.kind === 'video'
      ? { mimeType, clockRate: track.clockRate, payloadType, parameters: parseFmtpParameters(track.fmtp), rtcpFeedback: [...BRIDGE_VIDEO_FEEDBACK] }
      : { mimeType, clockRate: track.clockRate, channels: track.channels, payloadType, parameters: {}, rtcpFeedback: [] };
  if (track.kind === 'video') {
    // mediasoup matches H.264 by profile; a level alone is enough from the SPS.
    codec.parameters['packetization-mode'] ??= 1;
    codec.parameters['level-asymmetry-allowed'] = 1;
  }
  return { codecs: [codec], encodings: [{ ssrc }], rtcp: { cname: `estuary-bridge-${ssrc}`, reducedSize: true } };
}

const INGEST_CODECS: Record<string, IngestTrack['codec']> = { 'video/h264': 'h264', 'video/vp8': 'vp8', 'audio/opus': 'opus' };

/** The ingest track of a consumer with these RTP parameters; undefined for a codec the gateway does not ingest. */
export function ingestTrack(kind: 'audio' | 'video', rtpParameters: RtpParameters): IngestTrack | undefined {
  const codec = rtpParameters.codecs[0];
  const ssrc = rtpParameters.encodings?.[0]?.ssrc;
  if (!codec || ssrc === undefined) return undefined;
  const name = INGEST_CODECS[codec.mimeType.toLowerCase()];
  if (!name) return undefined;
  const track: IngestTrack = { kind, codec: name, payloadType: codec.payloadType, clockRate: codec.clockRate, ssrc };
  if (codec.channels !== undefined) track.channels = codec.channels;
  const fmtp = Object.entries(codec.parameters ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(';');
  if (fmtp) track.fmtp = fmtp;
  return track;
}
