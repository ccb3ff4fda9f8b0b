/**
 * SDP as RTSP uses it (RFC 2326 Appendix C, RFC 7826 Appendix D): the media sections of a
 * DESCRIBE answer or an ANNOUNCE as tracks Estuary can receive (codec from rtpmap, parameters
 * from fmtp: H.264 sprop-parameter-sets RFC 6184 §8.1, H.265 sprop-vps/sps/pps RFC 7798 §7.1,
 * mpeg4-generic config RFC 3640 §4.1, MP4A-LATM config RFC 6416 §7.3), each with its control URL
 * resolved; and the SDP Estuary writes for its own streams, from the codec table.
 */
import { parseAudioSpecificConfig } from '../codec/aac.js';
import { buildAvcDecoderConfig } from '../codec/avc-config.js';
import { H264NalType } from '../codec/h264.js';
import { buildHevcDecoderConfig } from '../codec/hevc-config.js';
import { ParseError } from '../errors.js';
import type { Codec, TrackInfo } from '../media/access-unit.js';
import { AacDepacketizer } from '../rtp-formats/aac.js';
import { LatmDepacketizer, parseLatmConfig } from '../rtp-formats/latm.js';
import { rtpFormatFor, type RtpDepacketizer } from '../rtp-formats/index.js';
import { getAttribute, getAttributes, parseFmtp, parseRtpmap, parseSdp, writeSdp, type SessionDescription } from '../sdp/index.js';
import { resolveControl } from './url.js';

/** Most media sections taken from one RTSP SDP: cameras have 1–3 (video, audio, metadata). */
export const MAX_RTSP_TRACKS = 8;
/** Most parameter sets read from one sprop list (RFC 6184 allows several; real SDPs have 1–2). */
const MAX_SPROP_NALUS = 16;

/** RFC 3551 Table 4 static audio payload types an SDP may use without an rtpmap. */
const STATIC_PAYLOAD_TYPES: Readonly<Record<number, { encoding: string; clockRate: number; channels: number }>> = {
  0: { encoding: 'PCMU', clockRate: 8000, channels: 1 },
  8: { encoding: 'PCMA', clockRate: 8000, channels: 1 },
};

/** How an audio track's RTP payload is laid out when the codec has more than one format. */
export type AacPayload = { format: 'mpeg4-generic'; sizeLength: number; indexLength: number; indexDeltaLength: number } | { format: 'latm'; subFrames: number; samplesPerFrame: number };

/** One media section of an RTSP session. */
export interface RtspMediaTrack {
  /** The absolute URL to SETUP this track. */
  control: string;
  /** The m-line media (`video`, `audio`, `application`). */
  media: string;
  payloadType: number;
  /** rtpmap encoding name, upper-cased. */
  encoding: string;
  clockRate: number;
  channels: number;
  fmtp: Record<string, string>;
  /** The hub track this becomes, with its config when the SDP carries it; undefined when unsupported. */
  info?: TrackInfo;
  /** Why the track cannot be received, when `info` is undefined. */
  unsupported?: string;
  aac?: AacPayload;
}

const ENCODINGS: Readonly<Record<string, Codec>> = {
  H264: 'h264',
  H265: 'h265',
  'MPEG4-GENERIC': 'aac',
  'MP4A-LATM': 'aac',
  PCMA: 'pcma',
  PCMU: 'pcmu',
  OPUS: 'opus',
};

function spropNalus(text: string | undefined): Uint8Array[] {
  if (!text) return [];
  return text
    .split(',')
    .slice(0, MAX_SPROP_NALUS)
    .map((b) => Uint8Array.from(Buffer.from(b.trim(), 'base64')))
    .filter((n) => n.length > 0);
}

/** A track's config from its fmtp; a config that does not parse is left out (in-band parameters may follow). */
function trackInfo(t: RtspMediaTrack, codec: Codec): TrackInfo {
  switch (codec) {
    case 'h264': {
      const nalus = spropNalus(t.fmtp['sprop-parameter-sets']);
      const sps = nalus.filter((n) => ((n[0] as number) & 0x1f) === H264NalType.Sps);
      const pps = nalus.filter((n) => ((n[0] as number) & 0x1f) === H264NalType.Pps);
      if (sps.length > 0 && pps.length > 0) {
        try {
          return { type: 'video', codec, config: buildAvcDecoderConfig({ sps, pps }) };
        } catch (err) {
          if (!(err instanceof ParseError) && !(err instanceof TypeError)) throw err;
        }
      }
      return { type: 'video', codec };
    }
    case 'h265': {
      const [vps] = spropNalus(t.fmtp['sprop-vps']);
      const [sps] = spropNalus(t.fmtp['sprop-sps']);
      const [pps] = spropNalus(t.fmtp['sprop-pps']);
      if (vps && sps && pps) {
        try {
          return { type: 'video', codec, config: buildHevcDecoderConfig({ vps, sps, pps }) };
        } catch (err) {
          if (!(err instanceof ParseError) && !(err instanceof TypeError)) throw err;
        }
      }
      return { type: 'video', codec };
    }
    case 'aac': {
      if (t.encoding === 'MP4A-LATM') {
        if (t.fmtp.cpresent !== '0') throw new ParseError('unsupported-latm', 'MP4A-LATM with in-band config (cpresent≠0)');
        const latm = parseLatmConfig(t.fmtp.config ?? '');
        t.aac = { format: 'latm', subFrames: latm.subFrames, samplesPerFrame: latm.samplesPerFrame };
        return { type: 'audio', codec, config: latm.audioSpecificConfig, sampleRate: latm.sampleRate, channels: latm.channels };
      }
      const config = Uint8Array.from(Buffer.from(t.fmtp.config ?? '', 'hex'));
      if (config.length < 2) throw new ParseError('bad-fmtp', 'mpeg4-generic without config');
      const asc = parseAudioSpecificConfig(config);
      const num = (name: string, fallback: number): number => (t.fmtp[name] !== undefined && /^\d{1,2}$/.test(t.fmtp[name] as string) ? Number(t.fmtp[name]) : fallback);
      const sizeLength = num('sizelength', 13);
      if (sizeLength < 1 || sizeLength > 16) throw new ParseError('bad-fmtp', `sizelength ${sizeLength}`);
      t.aac = { format: 'mpeg4-generic', sizeLength, indexLength: num('indexlength', 3), indexDeltaLength: num('indexdeltalength', 3) };
      return { type: 'audio', codec, config, sampleRate: asc.sampleRate, channels: Math.max(1, asc.channels || t.channels) };
    }
    case 'pcma':
    case 'pcmu':
      return { type: 'audio', codec, sampleRate: t.clockRate, channels: t.channels };
    case 'opus':
      return { type: 'audio', codec, sampleRate: 48_000, channels: 2 };
    default:
      throw new ParseError('unsupported-codec', codec);
  }
}

/**
 * The tracks of an RTSP session description. `base` is the URL media controls are relative
 * to (Content-Base, else Content-Location, else the request URL). A section whose codec is not
 * supported is kept with `unsupported` set, so callers can skip it and say why.
 */
export function parseRtspSdp(text: string, base: string): RtspMediaTrack[] {
  const desc = parseSdp(text);
  const sessionControl = getAttribute(desc.lines, 'control');
  const sessionBase = sessionControl !== undefined && /^rtsps?:\/\//i.test(sessionControl) ? sessionControl : base;
  if (desc.media.length > MAX_RTSP_TRACKS) throw new ParseError('too-many-media', `more than ${MAX_RTSP_TRACKS} media sections`);
  return desc.media.map((m) => {
    const pt = Number(m.formats[0]);
    if (!Number.isInteger(pt) || pt < 0 || pt > 127) throw new ParseError('bad-media-line', `payload type ${m.formats[0] ?? 'missing'}`);
    const rtpmap = getAttributes(m.lines, 'rtpmap').map(parseRtpmap).find((r) => r.payloadType === pt);
    const fmtp = getAttributes(m.lines, 'fmtp').map(parseFmtp).find((f) => f.payloadType === pt);
    const fallback = STATIC_PAYLOAD_TYPES[pt];
    const encoding = (rtpmap?.encoding ?? fallback?.encoding ?? '').toUpperCase();
    const track: RtspMediaTrack = {
      control: resolveControl(sessionBase, getAttribute(m.lines, 'control')),
      media: m.kind,
      payloadType: pt,
      encoding,
      clockRate: rtpmap?.clockRate ?? fallback?.clockRate ?? 90_000,
      channels: rtpmap?.channels ?? fallback?.channels ?? 1,
      fmtp: fmtp?.parameters ?? {},
    };
    const codec = ENCODINGS[encoding];
    if (!codec) {
      track.unsupported = `codec ${encoding || `payload type ${pt}`}`;
      return track;
    }
    try {
      track.info = trackInfo(track, codec);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      track.unsupported = err.message;
    }
    return track;
  });
}

/** A depacketizer for a supported track, set up from its SDP parameters. */
export function createTrackDepacketizer(track: RtspMediaTrack): RtpDepacketizer {
  const info = track.info;
  if (!info) throw new TypeError(`track ${track.control} is not supported`);
  const aac = track.aac;
  if (aac?.format === 'latm') return new LatmDepacketizer({ clockRate: track.clockRate, samplesPerFrame: aac.samplesPerFrame });
  if (aac?.format === 'mpeg4-generic' && info.type === 'audio') {
    const samplesPerFrame = info.config ? parseAudioSpecificConfig(info.config).samplesPerFrame : undefined;
    return new AacDepacketizer({ sampleRate: track.clockRate, sizeLength: aac.sizeLength, indexLength: aac.indexLength, indexDeltaLength: aac.indexDeltaLength, ...(samplesPerFrame ? { samplesPerFrame } : {}) });
  }
  const format = rtpFormatFor(info.codec);
  if (!format) throw new TypeError(`no RTP format for ${info.codec}`);
  return format.createDepacketizer(info);
}

/** The control attribute Estuary gives track `index` of its own SDPs. */
export function trackControl(index: number): string {
  return `trackID=${index}`;
}

/**
 * The SDP Estuary serves for a stream (DESCRIBE) or announces (push client): one media section
 * per track the codec table can carry, each with `a=control:trackID=<i>`. Tracks it cannot
 * carry are left out; the result says which were written.
 */
export function writeRtspSdp(tracks: readonly TrackInfo[], options: { sessionName: string; origin?: string }): { sdp: string; tracks: TrackInfo[] } {
  const desc: SessionDescription = {
    lines: [
      { type: 'v', value: '0' },
      { type: 'o', value: `- 0 0 IN IP4 ${options.origin ?? '127.0.0.1'}` },
      { type: 's', value: options.sessionName.replace(/[\r\n]/g, ' ') || '-' },
      { type: 'c', value: 'IN IP4 0.0.0.0' },
      { type: 't', value: '0 0' },
      { type: 'a', value: 'control:*' },
      { type: 'a', value: 'range:npt=0-' },
    ],
    media: [],
  };
  const written: TrackInfo[] = [];
  for (const track of tracks) {
    const format = rtpFormatFor(track.codec);
    if (!format) continue;
    const pt = format.defaultPayloadType;
    const lines = [{ type: 'a', value: `rtpmap:${pt} ${format.rtpmap(track)}` }];
    const fmtp = format.fmtp(track);
    if (fmtp) lines.push({ type: 'a', value: `fmtp:${pt} ${fmtp}` });
    lines.push({ type: 'a', value: `control:${trackControl(written.length)}` });
    desc.media.push({ kind: track.type, port: 0, protocol: 'RTP/AVP', formats: [String(pt)], lines });
    written.push(track);
  }
  return { sdp: writeSdp(desc), tracks: written };
}
