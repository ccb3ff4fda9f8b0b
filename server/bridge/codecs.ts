import type { BridgeTrack, IngestTrack } from '../../protocol/control/messages.js';
import { SUPPORTED_CODECS, type RtpCodec } from '../sfu/index.js';

/**
 * The codec tables of the bridge contract (protocol/control/messages.ts): bridge tracks
 * (gateway → SFU) become producer codecs, producers become ingest tracks (SFU → gateway).
 */

/** Feedback a bridged video producer asks of the gateway: PLI (RFC 4585 §6.3.1) and FIR (RFC 5104 §4.3.1). */
const BRIDGE_VIDEO_FEEDBACK = [{ type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }];

/** Payload types the SFU asks the gateway to send with: Estuary's own (ortc.ts), the static ones for G.711 (RFC 3551 Table 4). */
const BRIDGE_CODECS: Record<BridgeTrack['codec'], { mimeType: string; payloadType: number }> = {
  h264: { mimeType: 'video/H264', payloadType: SUPPORTED_CODECS.find((c) => c.mimeType === 'video/H264')?.payloadType ?? 102 },
  opus: { mimeType: 'audio/opus', payloadType: SUPPORTED_CODECS.find((c) => c.mimeType === 'audio/opus')?.payloadType ?? 111 },
  pcma: { mimeType: 'audio/PCMA', payloadType: 8 },
  pcmu: { mimeType: 'audio/PCMU', payloadType: 0 },
};

/** `a=b;c=d` (RFC 8866 §6.15 fmtp parameters) → record; bounded by the contract's MAX_FMTP_LENGTH. */
export function parseFmtpParameters(fmtp: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of fmtp.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

/** The producer codec for a bridge track. */
export function bridgeTrackCodec(track: BridgeTrack): RtpCodec {
  const { mimeType, payloadType } = BRIDGE_CODECS[track.codec];
  if (track.kind === 'video') {
    return { mimeType, clockRate: track.clockRate, payloadType, parameters: parseFmtpParameters(track.fmtp), rtcpFeedback: [...BRIDGE_VIDEO_FEEDBACK] };
  }
  return { mimeType, clockRate: track.clockRate, channels: track.channels, payloadType, parameters: {}, rtcpFeedback: [] };
}

const INGEST_CODECS: Record<string, IngestTrack['codec']> = { 'video/h264': 'h264', 'video/vp8': 'vp8', 'audio/opus': 'opus' };

/** The ingest track for a consumer sending `codec` with `ssrc`; undefined for a codec the gateway does not ingest. */
export function ingestTrack(kind: 'audio' | 'video', codec: RtpCodec, ssrc: number): IngestTrack | undefined {
  const name = INGEST_CODECS[codec.mimeType.toLowerCase()];
  if (!name) return undefined;
  const track: IngestTrack = { kind, codec: name, payloadType: codec.payloadType, clockRate: codec.clockRate, ssrc };
  if (codec.channels !== undefined) track.channels = codec.channels;
  const fmtp = Object.entries(codec.parameters)
    .map(([k, v]) => `${k}=${v}`)
    .join(';');
  if (fmtp) track.fmtp = fmtp;
  return track;
}
