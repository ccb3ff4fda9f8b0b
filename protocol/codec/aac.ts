/**
 * AAC (ISO 14496-3): AudioSpecificConfig (§1.6.2.1), ADTS headers (§1.A.2), frame duration
 * and the RFC 6381 codec string.
 */
import { BitReader } from '../bits/bit-reader.js';
import { BitWriter } from '../bits/bit-writer.js';
import { ParseError } from '../errors.js';

/** samplingFrequencyIndex → Hz (ISO 14496-3 Table 1.18); 13 and 14 reserved, 15 escape. */
export const AAC_SAMPLE_RATES: readonly number[] = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];
/** samplingFrequencyIndex that says a 24-bit explicit frequency follows. */
export const AAC_SAMPLE_RATE_ESCAPE = 15;

/** Samples per AAC-LC frame (frameLengthFlag 0; 960 with frameLengthFlag 1). */
export const AAC_SAMPLES_PER_FRAME = 1024;

/** Audio object types used here (Table 1.17). */
export const AacObjectType = { Main: 1, Lc: 2, Ssr: 3, Ltp: 4, Sbr: 5, Ps: 29 } as const;

/** Object types whose AudioSpecificConfig holds GASpecificConfig (§1.6.2.1). */
const GA_OBJECT_TYPES = new Set([1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23]);

/** channelConfiguration → channel count (Table 1.19); 0 means a program_config_element. */
const CHANNELS_BY_CONFIG: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 8];

/** syncExtensionType for backward-compatible SBR / PS signalling (§1.6.5.2). */
const SYNC_EXTENSION_SBR = 0x2b7;
const SYNC_EXTENSION_PS = 0x548;

export interface AudioSpecificConfig {
  /** The core object type (2 for AAC-LC, also under explicit SBR/PS signalling). */
  objectType: number;
  sampleRate: number;
  channelConfiguration: number;
  /** Channels from channelConfiguration; 0 when a program_config_element defines them. */
  channels: number;
  /** Samples per frame: 1024, or 960 when frameLengthFlag is set. */
  samplesPerFrame: number;
  /** Explicit or backward-compatible SBR: the output rate after SBR. */
  sbr?: { sampleRate: number };
  /** Parametric stereo signalled. */
  ps?: boolean;
}

function readSampleRate(r: BitReader): number {
  const index = r.readBits(4);
  if (index === AAC_SAMPLE_RATE_ESCAPE) {
    const rate = r.readBits(24);
    if (rate === 0) throw new ParseError('bad-sample-rate', 'explicit samplingFrequency 0');
    return rate;
  }
  const rate = AAC_SAMPLE_RATES[index];
  if (rate === undefined) throw new ParseError('bad-sample-rate', `samplingFrequencyIndex ${index}`);
  return rate;
}

function readObjectType(r: BitReader): number {
  const t = r.readBits(5);
  return t === 31 ? 32 + r.readBits(6) : t;
}

/**
 * Parses an AudioSpecificConfig (§1.6.2.1). Explicit hierarchical SBR/PS signalling (object
 * type 5 or 29) and the backward-compatible sync extension (§1.6.5.2) are recognised; other
 * trailing data is ignored. Only GA object types (AAC Main/LC/SSR/LTP/…) are accepted.
 */
export function parseAudioSpecificConfig(data: Uint8Array): AudioSpecificConfig {
  const r = new BitReader(data);
  let objectType = readObjectType(r);
  const sampleRate = readSampleRate(r);
  const channelConfiguration = r.readBits(4);
  if (channelConfiguration >= CHANNELS_BY_CONFIG.length) {
    throw new ParseError('bad-channel-config', `channelConfiguration ${channelConfiguration}`);
  }
  let sbr: { sampleRate: number } | undefined;
  let ps = false;
  if (objectType === AacObjectType.Sbr || objectType === AacObjectType.Ps) {
    ps = objectType === AacObjectType.Ps;
    sbr = { sampleRate: readSampleRate(r) };
    objectType = readObjectType(r);
  }
  if (!GA_OBJECT_TYPES.has(objectType)) throw new ParseError('unsupported-object-type', `audioObjectType ${objectType}`);
  // GASpecificConfig (§4.4.1): frameLengthFlag, dependsOnCoreCoder, extensionFlag.
  const samplesPerFrame = r.readFlag() ? 960 : AAC_SAMPLES_PER_FRAME;
  if (r.readFlag()) r.skipBits(14); // coreCoderDelay
  r.skipBits(1); // extensionFlag (its payload only exists for ER object types, not parsed)
  if (!sbr && r.bitsLeft >= 16 && r.readBits(11) === SYNC_EXTENSION_SBR) {
    if (readObjectType(r) === AacObjectType.Sbr && r.readFlag()) {
      sbr = { sampleRate: readSampleRate(r) };
      if (r.bitsLeft >= 12 && r.readBits(11) === SYNC_EXTENSION_PS) ps = r.readFlag();
    }
  }
  const config: AudioSpecificConfig = {
    objectType, sampleRate, channelConfiguration,
    channels: CHANNELS_BY_CONFIG[channelConfiguration] as number,
    samplesPerFrame,
  };
  if (sbr) config.sbr = sbr;
  if (ps) config.ps = true;
  return config;
}

/** samplingFrequencyIndex for a rate, or the escape value when the rate is not in the table. */
export function aacSampleRateIndex(sampleRate: number): number {
  const i = AAC_SAMPLE_RATES.indexOf(sampleRate);
  return i >= 0 ? i : AAC_SAMPLE_RATE_ESCAPE;
}

/**
 * Builds a plain AudioSpecificConfig (§1.6.2.1 with GASpecificConfig): object type, sample
 * rate (escaped to 24 bits when not in Table 1.18), channel configuration.
 */
export function buildAudioSpecificConfig(p: { objectType: number; sampleRate: number; channelConfiguration: number; samplesPerFrame?: 960 | 1024 }): Uint8Array {
  if (!GA_OBJECT_TYPES.has(p.objectType)) throw new TypeError(`unsupported AAC object type ${p.objectType}`);
  if (!Number.isInteger(p.sampleRate) || p.sampleRate <= 0 || p.sampleRate >= 2 ** 24) throw new TypeError(`bad sample rate ${p.sampleRate}`);
  if (p.channelConfiguration < 0 || p.channelConfiguration > 7) throw new TypeError(`bad channel configuration ${p.channelConfiguration}`);
  const w = new BitWriter();
  if (p.objectType >= 31) w.writeBits(31, 5).writeBits(p.objectType - 32, 6);
  else w.writeBits(p.objectType, 5);
  const index = aacSampleRateIndex(p.sampleRate);
  w.writeBits(index, 4);
  if (index === AAC_SAMPLE_RATE_ESCAPE) w.writeBits(p.sampleRate, 24);
  w.writeBits(p.channelConfiguration, 4);
  w.writeFlag(p.samplesPerFrame === 960).writeFlag(false).writeFlag(false);
  return w.finish();
}

/** RFC 6381 §3.3 / RFC 6416 codec string: `mp4a.40.<audioObjectType>`. */
export function aacCodecString(config: Pick<AudioSpecificConfig, 'objectType' | 'sbr' | 'ps'>): string {
  const t = config.ps ? AacObjectType.Ps : config.sbr ? AacObjectType.Sbr : config.objectType;
  return `mp4a.40.${t}`;
}

/**
 * Duration of `samples` audio samples in a clock of `clockRate` ticks per second, rounded.
 * Muxers should convert running sample counts, not add rounded per-frame durations.
 */
export function samplesToTicks(samples: number, sampleRate: number, clockRate: number): number {
  return Math.round((samples * clockRate) / sampleRate);
}

/** ADTS header without and with crc_check (§1.A.2.2). */
export const ADTS_HEADER_SIZE = 7;
export const ADTS_HEADER_SIZE_CRC = 9;
/** aac_frame_length is 13 bits (§1.A.3.2.2) and includes the header. */
export const ADTS_MAX_FRAME_LENGTH = 0x1fff;
const ADTS_BUFFER_FULLNESS_VBR = 0x7ff;

export interface AdtsHeader {
  /** MPEG-4 audio object type: profile_ObjectType + 1 (1..4). */
  objectType: number;
  sampleRateIndex: number;
  sampleRate: number;
  channelConfiguration: number;
  /** protection_absent == 0: a 16-bit crc_check follows the fixed and variable headers. */
  crcPresent: boolean;
  /** crc_check value when present (covers header and parts of the raw data, §1.A.3.2.3). */
  crc?: number;
  headerLength: number;
  /** aac_frame_length: header plus payload. */
  frameLength: number;
  bufferFullness: number;
  /** number_of_raw_data_blocks_in_frame + 1. */
  rawDataBlocks: number;
}

/**
 * Parses the ADTS header at `offset` (§1.A.2.2: adts_fixed_header + adts_variable_header,
 * then crc_check when protection_absent is 0). Returns undefined when fewer bytes than the
 * header are available (need more bytes); throws ParseError on a bad header.
 */
export function parseAdtsHeader(data: Uint8Array, offset = 0): AdtsHeader | undefined {
  if (data.length - offset < ADTS_HEADER_SIZE) return undefined;
  const b = (k: number): number => data[offset + k] as number;
  // syncword 12 bits '1111 1111 1111', ID 1, layer 2 ('00'), protection_absent 1
  if (b(0) !== 0xff || (b(1) & 0xf0) !== 0xf0) throw new ParseError('bad-sync', 'ADTS syncword missing');
  if ((b(1) & 0x06) !== 0) throw new ParseError('bad-layer', 'ADTS layer must be 0');
  const crcPresent = (b(1) & 0x01) === 0;
  const headerLength = crcPresent ? ADTS_HEADER_SIZE_CRC : ADTS_HEADER_SIZE;
  if (data.length - offset < headerLength) return undefined;
  // profile_ObjectType 2, sampling_frequency_index 4, private_bit 1, channel_configuration 3, …
  const objectType = (b(2) >>> 6) + 1;
  const sampleRateIndex = (b(2) >>> 2) & 0x0f;
  const sampleRate = AAC_SAMPLE_RATES[sampleRateIndex];
  if (sampleRate === undefined) throw new ParseError('bad-sample-rate', `sampling_frequency_index ${sampleRateIndex}`);
  const channelConfiguration = ((b(2) & 0x01) << 2) | (b(3) >>> 6);
  // aac_frame_length 13 bits over bytes 3..5, adts_buffer_fullness 11, raw blocks 2.
  const frameLength = ((b(3) & 0x03) << 11) | (b(4) << 3) | (b(5) >>> 5);
  if (frameLength < headerLength) throw new ParseError('bad-frame-length', `aac_frame_length ${frameLength}`);
  const header: AdtsHeader = {
    objectType, sampleRateIndex, sampleRate, channelConfiguration, crcPresent, headerLength, frameLength,
    bufferFullness: ((b(5) & 0x1f) << 6) | (b(6) >>> 2),
    rawDataBlocks: (b(6) & 0x03) + 1,
  };
  if (crcPresent) header.crc = (b(7) << 8) | b(8);
  return header;
}

/**
 * Builds an ADTS header for one raw data block of `payloadLength` bytes. Object type 1..4
 * only (ADTS has 2 bits for it). With `crc`, writes protection_absent 0 and that crc_check
 * word: computing it needs the raw data block's error-sensitive bits, left to the caller.
 */
export function buildAdtsHeader(p: { objectType: number; sampleRate: number; channelConfiguration: number; payloadLength: number; crc?: number }): Uint8Array {
  if (p.objectType < 1 || p.objectType > 4) throw new TypeError(`ADTS cannot carry object type ${p.objectType}`);
  const index = AAC_SAMPLE_RATES.indexOf(p.sampleRate);
  if (index < 0) throw new TypeError(`ADTS cannot carry sample rate ${p.sampleRate}`);
  if (p.channelConfiguration < 0 || p.channelConfiguration > 7) throw new TypeError(`bad channel configuration ${p.channelConfiguration}`);
  const headerLength = p.crc === undefined ? ADTS_HEADER_SIZE : ADTS_HEADER_SIZE_CRC;
  const frameLength = headerLength + p.payloadLength;
  if (frameLength > ADTS_MAX_FRAME_LENGTH) throw new TypeError(`AAC frame too long for ADTS: ${p.payloadLength}`);
  const out = new Uint8Array(headerLength);
  out[0] = 0xff;
  out[1] = 0xf0 | (p.crc === undefined ? 0x01 : 0x00); // ID 0 (MPEG-4), layer 00
  out[2] = ((p.objectType - 1) << 6) | (index << 2) | (p.channelConfiguration >>> 2);
  out[3] = ((p.channelConfiguration & 0x03) << 6) | (frameLength >>> 11);
  out[4] = (frameLength >>> 3) & 0xff;
  out[5] = ((frameLength & 0x07) << 5) | (ADTS_BUFFER_FULLNESS_VBR >>> 6);
  out[6] = (ADTS_BUFFER_FULLNESS_VBR & 0x3f) << 2; // number_of_raw_data_blocks_in_frame 0
  if (p.crc !== undefined) {
    if (!Number.isInteger(p.crc) || p.crc < 0 || p.crc > 0xffff) throw new TypeError('crc must be 16 bits');
    out[7] = p.crc >>> 8;
    out[8] = p.crc & 0xff;
  }
  return out;
}

export interface AdtsFrame {
  header: AdtsHeader;
  /** The raw_data_block: a view into the input. */
  payload: Uint8Array;
}

/**
 * Splits concatenated ADTS frames. Returns the frames and the bytes consumed; a partial
 * frame at the end is left for the next call (need more bytes). Frames holding several raw
 * data blocks are rejected: their blocks cannot be separated without decoding.
 */
export function splitAdtsFrames(data: Uint8Array): { frames: AdtsFrame[]; consumed: number } {
  const frames: AdtsFrame[] = [];
  let i = 0;
  while (i < data.length) {
    const header = parseAdtsHeader(data, i);
    if (!header || data.length - i < header.frameLength) break;
    if (header.rawDataBlocks !== 1) throw new ParseError('multiple-raw-data-blocks', `${header.rawDataBlocks} blocks in one ADTS frame`);
    frames.push({ header, payload: data.subarray(i + header.headerLength, i + header.frameLength) });
    i += header.frameLength;
  }
  return { frames, consumed: i };
}
