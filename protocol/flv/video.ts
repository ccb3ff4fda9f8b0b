/**
 * FLV video tag bodies, legacy and Enhanced RTMP.
 *
 * Legacy (FLV spec v10.1 E.4.3.1 VIDEODATA, E.4.3.2 AVCVIDEOPACKET):
 *   FrameType(4) CodecID(4) | AVCPacketType(8) CompositionTime(SI24) | data      (CodecID 7 = AVC)
 * Enhanced RTMP (veovera enhanced-rtmp v1 "ExVideoTagHeader", v2 adds multitrack/ModEx):
 *   IsExHeader(1)=1 FrameType(3) PacketType(4) | FourCC(32) | [CompositionTime(SI24)] | data
 * where CompositionTime is present only for PacketType CodedFrames with FourCC avc1/hvc1
 * (CodedFramesX means "CodedFrames with CompositionTime 0" and omits it).
 */
import { ByteReader } from '../bytes/byte-reader.js';
import { ByteWriter } from '../bits/byte-writer.js';
import { ParseError } from '../errors.js';

/** FrameType (E.4.3.1; same values in the enhanced 3-bit field). */
export const FrameType = { Key: 1, Inter: 2, DisposableInter: 3, GeneratedKey: 4, Command: 5 } as const;

/** Legacy CodecID values (E.4.3.1), plus 12: HEVC in the pre-Enhanced-RTMP "CodecID 12" extension. */
export const VideoCodecId = { SorensonH263: 2, Screen: 3, Vp6: 4, Vp6Alpha: 5, Screen2: 6, Avc: 7, HevcLegacy: 12 } as const;

/** Enhanced RTMP PacketType values. */
export const ExPacketType = {
  SequenceStart: 0,
  CodedFrames: 1,
  SequenceEnd: 2,
  CodedFramesX: 3,
  Metadata: 4,
  Mpeg2TsSequenceStart: 5,
  Multitrack: 6,
  ModEx: 7,
} as const;

/** Enhanced RTMP FourCCs for the codecs we carry. */
export const VideoFourCc = { h264: 'avc1', h265: 'hvc1', av1: 'av01', vp9: 'vp09' } as const;
export type FlvVideoCodec = keyof typeof VideoFourCc | 'other';

const CODEC_OF_FOURCC: Record<string, FlvVideoCodec> = { avc1: 'h264', hvc1: 'h265', av01: 'av1', vp09: 'vp9' };

/**
 * A parsed video tag body, legacy or enhanced, in one shape:
 * - `sequenceStart`: decoder configuration (AVCDecoderConfigurationRecord, hvcC, av1C, vpcC);
 * - `codedFrames`: one frame (AVCC NAL units for H.264/H.265; OBUs for AV1; a frame for VP9);
 * - `sequenceEnd`: end of sequence; `metadata`: enhanced AMF metadata (e.g. colorInfo);
 * - `command`: FrameType 5 (a one-byte command, seek start/end); `raw`: legacy non-AVC codecs.
 */
export interface FlvVideo {
  frameType: number;
  /** Key frame (FrameType 1 or 4). */
  keyframe: boolean;
  codec: FlvVideoCodec;
  enhanced: boolean;
  /** Legacy CodecID (enhanced tags: undefined). */
  codecId: number | undefined;
  /** Enhanced FourCC (legacy tags: undefined). */
  fourCc: string | undefined;
  packet: 'sequenceStart' | 'codedFrames' | 'sequenceEnd' | 'metadata' | 'command' | 'raw';
  /** Composition time offset in ms (pts − dts), signed. */
  compositionTime: number;
  /** The payload after the headers (a view into the input). */
  data: Uint8Array;
}

const ascii4 = (b: Uint8Array): string => String.fromCharCode(b[0] ?? 0, b[1] ?? 0, b[2] ?? 0, b[3] ?? 0);

/**
 * Parses a video tag body. ParseError 'truncated' for short headers, 'bad-packet-type' for an
 * unknown AVCPacketType, 'unsupported-packet-type' for Enhanced RTMP v2 multitrack/ModEx.
 */
export function parseVideoTag(body: Uint8Array): FlvVideo {
  const r = new ByteReader(body);
  const b0 = r.u8();
  if (b0 & 0x80) return parseEnhanced(r, b0);
  const frameType = b0 >> 4;
  const codecId = b0 & 0x0f;
  const keyframe = frameType === FrameType.Key || frameType === FrameType.GeneratedKey;
  const base = { frameType, keyframe, enhanced: false, codecId, fourCc: undefined };
  if (frameType === FrameType.Command) {
    return { ...base, codec: 'other', packet: 'command', compositionTime: 0, data: r.rest() };
  }
  if (codecId !== VideoCodecId.Avc && codecId !== VideoCodecId.HevcLegacy) {
    return { ...base, codec: 'other', packet: 'raw', compositionTime: 0, data: r.rest() };
  }
  const codec: FlvVideoCodec = codecId === VideoCodecId.Avc ? 'h264' : 'h265';
  const t = r.u8();
  const compositionTime = r.i24();
  if (t > 2) throw new ParseError('bad-packet-type', `AVCPacketType ${t}`);
  const packet = t === 0 ? 'sequenceStart' : t === 1 ? 'codedFrames' : 'sequenceEnd';
  return { ...base, codec, packet, compositionTime: t === 1 ? compositionTime : 0, data: r.rest() };
}

function parseEnhanced(r: ByteReader, b0: number): FlvVideo {
  const frameType = (b0 >> 4) & 0x07;
  const packetType = b0 & 0x0f;
  if (packetType === ExPacketType.Multitrack || packetType === ExPacketType.ModEx) {
    throw new ParseError('unsupported-packet-type', `Enhanced RTMP PacketType ${packetType}`);
  }
  const fourCc = ascii4(r.bytesView(4));
  const codec = CODEC_OF_FOURCC[fourCc] ?? 'other';
  const keyframe = frameType === FrameType.Key || frameType === FrameType.GeneratedKey;
  const base = { frameType, keyframe, codec, enhanced: true, codecId: undefined, fourCc };
  if (frameType === FrameType.Command && packetType !== ExPacketType.Metadata) {
    return { ...base, packet: 'command', compositionTime: 0, data: r.rest() };
  }
  switch (packetType) {
    case ExPacketType.SequenceStart:
    case ExPacketType.Mpeg2TsSequenceStart:
      return { ...base, packet: 'sequenceStart', compositionTime: 0, data: r.rest() };
    case ExPacketType.CodedFrames: {
      const cts = fourCc === 'avc1' || fourCc === 'hvc1' ? r.i24() : 0;
      return { ...base, packet: 'codedFrames', compositionTime: cts, data: r.rest() };
    }
    case ExPacketType.CodedFramesX:
      return { ...base, packet: 'codedFrames', compositionTime: 0, data: r.rest() };
    case ExPacketType.SequenceEnd:
      return { ...base, packet: 'sequenceEnd', compositionTime: 0, data: r.rest() };
    case ExPacketType.Metadata:
      return { ...base, packet: 'metadata', compositionTime: 0, data: r.rest() };
    default:
      throw new ParseError('bad-packet-type', `Enhanced RTMP PacketType ${packetType}`);
  }
}

/**
 * Builds a video tag body. H.264 uses the legacy AVC form unless `enhanced` is set; H.265,
 * AV1 and VP9 use Enhanced RTMP (FourCC hvc1/av01/vp09). Coded frames with composition time 0
 * in the enhanced form are written as CodedFramesX (3 bytes shorter, same meaning).
 */
export function buildVideoTag(v: {
  codec: Exclude<FlvVideoCodec, 'other'>;
  packet: 'sequenceStart' | 'codedFrames' | 'sequenceEnd' | 'metadata';
  keyframe: boolean;
  compositionTime?: number;
  data: Uint8Array;
  enhanced?: boolean;
}): Uint8Array {
  // Sequence start and end tags are written as key frames, as ffmpeg's flvenc writes them.
  const frameType = v.keyframe || v.packet === 'sequenceStart' || v.packet === 'sequenceEnd' ? FrameType.Key : FrameType.Inter;
  const cts = v.compositionTime ?? 0;
  const w = new ByteWriter(v.data.length + 8);
  if (v.codec === 'h264' && !v.enhanced) {
    if (v.packet === 'metadata') throw new TypeError('legacy AVC tags carry no metadata packet');
    const t = v.packet === 'sequenceStart' ? 0 : v.packet === 'codedFrames' ? 1 : 2;
    w.u8((frameType << 4) | VideoCodecId.Avc).u8(t).i24(t === 1 ? cts : 0);
  } else {
    const fourCc = VideoFourCc[v.codec];
    const hasCts = v.codec === 'h264' || v.codec === 'h265';
    let packetType: number;
    if (v.packet === 'sequenceStart') packetType = ExPacketType.SequenceStart;
    else if (v.packet === 'sequenceEnd') packetType = ExPacketType.SequenceEnd;
    else if (v.packet === 'metadata') packetType = ExPacketType.Metadata;
    else packetType = hasCts && cts !== 0 ? ExPacketType.CodedFrames : ExPacketType.CodedFramesX;
    if (!hasCts && cts !== 0) throw new TypeError(`${v.codec} tags carry no composition time`);
    w.u8(0x80 | (frameType << 4) | packetType);
    for (let i = 0; i < 4; i++) w.u8(fourCc.charCodeAt(i));
    if (packetType === ExPacketType.CodedFrames) w.i24(cts);
  }
  return w.bytes(v.data).finish();
}
