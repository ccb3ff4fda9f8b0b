/**
 * Sample entries for the stsd box: avc1 + avcC and hvc1 + hvcC (ISO 14496-15 §5.4.2, §8.4.1),
 * mp4a + esds (ISO 14496-14 §5.6), Opus + dOps ("Encapsulation of Opus in ISO Base Media File
 * Format" §4.3), on the VisualSampleEntry / AudioSampleEntry layouts of ISO 14496-12 §12.1.3
 * and §12.2.3.
 */
import { parseAudioSpecificConfig } from '../codec/aac.js';
import { parseAvcDecoderConfig } from '../codec/avc-config.js';
import { parseH264Sps } from '../codec/h264.js';
import { H265NalType, parseH265Sps } from '../codec/h265.js';
import { hevcConfigNalu, parseHevcDecoderConfig } from '../codec/hevc-config.js';
import { parseOpusHead, type OpusHead } from '../codec/opus.js';
import type { AudioTrackInfo, TrackInfo, VideoTrackInfo } from '../media/access-unit.js';
import { box, fullBox, type ByteWriter } from './box.js';

/** 72 dpi in 16.16 fixed point: the horizresolution/vertresolution every entry carries. */
const RESOLUTION_72_DPI = 0x00480000;
/** Colour with no alpha (§12.1.3.3). */
const DEPTH_24 = 0x0018;
/** compressorname is a 32-byte Pascal string. */
const COMPRESSOR_NAME_SIZE = 32;

/** ES_Descriptor tags (ISO 14496-1 §7.2.2.1 Table 1). */
const Tag = { EsDescr: 0x03, DecoderConfig: 0x04, DecSpecificInfo: 0x05, SlConfig: 0x06 } as const;
/** objectTypeIndication for ISO 14496-3 audio (ISO 14496-1 Table 5). */
const OBJECT_TYPE_AUDIO_14496_3 = 0x40;
/** streamType 0x05 (AudioStream) << 2 | upStream 0 | reserved 1 (§7.2.6.6). */
const STREAM_TYPE_AUDIO_BYTE = 0x15;

/** Width and height of a video track: from TrackInfo, else from the SPS in its config. */
export function videoSize(track: VideoTrackInfo): { width: number; height: number } {
  if (track.width && track.height) return { width: track.width, height: track.height };
  if (!track.config) throw new TypeError('video track needs width/height or a config');
  if (track.codec === 'h264') {
    const sps = parseAvcDecoderConfig(track.config).sps[0];
    if (!sps) throw new TypeError('avcC has no SPS');
    return parseH264Sps(sps);
  }
  const sps = hevcConfigNalu(parseHevcDecoderConfig(track.config), H265NalType.Sps);
  if (!sps) throw new TypeError('hvcC has no SPS');
  return parseH265Sps(sps);
}

function visualSampleEntry(w: ByteWriter, type: string, track: VideoTrackInfo, configType: string, config: Uint8Array): void {
  const { width, height } = videoSize(track);
  box(w, type, () => {
    w.fill(0, 6).u16(1); // reserved, data_reference_index
    w.u16(0).u16(0).fill(0, 12); // pre_defined, reserved, pre_defined[3]
    w.u16(width).u16(height).u32(RESOLUTION_72_DPI).u32(RESOLUTION_72_DPI).u32(0).u16(1);
    w.fill(0, COMPRESSOR_NAME_SIZE).u16(DEPTH_24).i16(-1);
    box(w, configType, () => w.bytes(config));
  });
}

function audioSampleEntry(w: ByteWriter, type: string, channels: number, sampleRate: number, fillConfig: () => void): void {
  if (sampleRate > 0xffff) throw new TypeError(`sample rate ${sampleRate} does not fit AudioSampleEntry`);
  box(w, type, () => {
    w.fill(0, 6).u16(1); // reserved, data_reference_index
    w.fill(0, 8).u16(channels).u16(16).u16(0).u16(0); // reserved, channelcount, samplesize, pre_defined, reserved
    w.u32(sampleRate * 0x10000); // samplerate 16.16
    fillConfig();
  });
}

/** An ISO 14496-1 descriptor: tag, expandable size (§8.3.3, 7 bits per byte), body. */
function descriptor(tag: number, body: Uint8Array): Uint8Array {
  const size: number[] = [];
  let n = body.length;
  do {
    size.unshift(n & 0x7f);
    n >>>= 7;
  } while (n > 0);
  for (let i = 0; i < size.length - 1; i += 1) size[i] = (size[i] as number) | 0x80;
  return Uint8Array.from([tag, ...size, ...body]);
}

/** esds body: ES_Descriptor > DecoderConfigDescriptor > DecoderSpecificInfo (the ASC) + SLConfig. */
function esdsDescriptor(asc: Uint8Array, trackId: number): Uint8Array {
  const decSpecific = descriptor(Tag.DecSpecificInfo, asc);
  const decoderConfig = descriptor(Tag.DecoderConfig, Uint8Array.from([
    OBJECT_TYPE_AUDIO_14496_3, STREAM_TYPE_AUDIO_BYTE,
    0, 0, 0, // bufferSizeDB: unknown
    0, 0, 0, 0, // maxBitrate: unknown
    0, 0, 0, 0, // avgBitrate: unknown (variable)
    ...decSpecific,
  ]));
  const sl = descriptor(Tag.SlConfig, Uint8Array.of(0x02)); // predefined 2: reserved for MP4 (§7.3.2.3.1)
  return descriptor(Tag.EsDescr, Uint8Array.from([trackId >>> 8, trackId & 0xff, 0, ...decoderConfig, ...sl]));
}

/** dOps body (Opus in ISOBMFF §4.3.2): OpusHead fields, big-endian, version 0. */
function writeDops(w: ByteWriter, head: OpusHead): void {
  w.u8(0).u8(head.channels).u16(head.preSkip).u32(head.inputSampleRate).i16(head.outputGain).u8(head.mappingFamily);
  if (head.mappingFamily !== 0 && head.mapping) {
    w.u8(head.mapping.streamCount).u8(head.mapping.coupledCount).bytes(head.mapping.channelMapping);
  }
}

/** The OpusHead of an Opus track: its config, or a plain mono/stereo head. */
export function opusHeadOf(track: AudioTrackInfo): OpusHead {
  if (track.config) return parseOpusHead(track.config);
  if (track.channels < 1 || track.channels > 2) throw new TypeError('Opus with more than 2 channels needs an OpusHead config');
  return { version: 1, channels: track.channels, preSkip: 0, inputSampleRate: 48000, outputGain: 0, mappingFamily: 0 };
}

/** Writes the sample entry of a track into an stsd box being built. */
export function writeSampleEntry(w: ByteWriter, track: TrackInfo, trackId: number): void {
  if (track.type === 'video') {
    if (!track.config) throw new TypeError(`${track.codec} track needs its decoder config`);
    if (track.codec === 'h264') return visualSampleEntry(w, 'avc1', track, 'avcC', track.config);
    if (track.codec === 'h265') return visualSampleEntry(w, 'hvc1', track, 'hvcC', track.config);
    throw new TypeError(`fMP4 writer does not carry ${track.codec}`);
  }
  if (track.codec === 'aac') {
    if (!track.config) throw new TypeError('AAC track needs its AudioSpecificConfig');
    const asc = parseAudioSpecificConfig(track.config);
    const config = track.config;
    return audioSampleEntry(w, 'mp4a', asc.channels || track.channels, asc.sampleRate, () =>
      fullBox(w, 'esds', 0, 0, () => w.bytes(esdsDescriptor(config, trackId))));
  }
  if (track.codec === 'opus') {
    const head = opusHeadOf(track);
    // Opus §4.3.1: samplerate is 48000, channelcount the OpusHead output channel count.
    return audioSampleEntry(w, 'Opus', head.channels, 48000, () => box(w, 'dOps', () => writeDops(w, head)));
  }
  throw new TypeError(`fMP4 writer does not carry ${track.codec}`);
}
