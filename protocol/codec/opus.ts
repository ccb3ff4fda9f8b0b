/**
 * Opus: the identification header "OpusHead" (RFC 7845 §5.1) and frame durations from the
 * TOC byte (RFC 6716 §3.1, §3.2).
 */
import { ParseError } from '../errors.js';

const OPUS_HEAD_MAGIC = 'OpusHead';
/** Magic (8) + version, channels, pre-skip (2), input rate (4), gain (2), family (RFC 7845 §5.1). */
const OPUS_HEAD_MIN_SIZE = 19;
/** Opus always decodes at 48 kHz (RFC 7845 §4); durations are counted in these samples. */
export const OPUS_SAMPLE_RATE = 48_000;
/** RFC 6716 §3.2.5: a packet holds at most 120 ms of audio. */
export const OPUS_MAX_PACKET_DURATION = 5760;

export interface OpusHead {
  /** Version byte; 1 today, and any 0..15 is a compatible minor version (§5.1). */
  version: number;
  channels: number;
  /** Samples at 48 kHz to discard from the decoder output at the start. */
  preSkip: number;
  /** Original input rate, informational only. */
  inputSampleRate: number;
  /** Output gain in Q7.8 dB. */
  outputGain: number;
  mappingFamily: number;
  /** For mapping family ≠ 0: stream count, coupled count and the channel mapping table. */
  mapping?: { streamCount: number; coupledCount: number; channelMapping: Uint8Array };
}

/** Parses an OpusHead packet (RFC 7845 §5.1; little-endian fields). */
export function parseOpusHead(data: Uint8Array): OpusHead {
  if (data.length < OPUS_HEAD_MIN_SIZE) throw new ParseError('truncated', `OpusHead needs ${OPUS_HEAD_MIN_SIZE} bytes`);
  for (let i = 0; i < OPUS_HEAD_MAGIC.length; i += 1) {
    if (data[i] !== OPUS_HEAD_MAGIC.charCodeAt(i)) throw new ParseError('bad-magic', 'not an OpusHead');
  }
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = v.getUint8(8);
  if (version > 15) throw new ParseError('bad-version', `major version ${version >>> 4} is incompatible`);
  const channels = v.getUint8(9);
  if (channels === 0) throw new ParseError('bad-channels', 'channel count 0');
  const head: OpusHead = {
    version,
    channels,
    preSkip: v.getUint16(10, true),
    inputSampleRate: v.getUint32(12, true),
    outputGain: v.getInt16(16, true),
    mappingFamily: v.getUint8(18),
  };
  if (head.mappingFamily === 0) {
    if (channels > 2) throw new ParseError('bad-channels', `${channels} channels need a mapping table`);
    return head;
  }
  if (data.length < OPUS_HEAD_MIN_SIZE + 2 + channels) throw new ParseError('truncated', 'channel mapping table cut short');
  const streamCount = v.getUint8(19);
  const coupledCount = v.getUint8(20);
  if (streamCount === 0 || coupledCount > streamCount) throw new ParseError('bad-mapping', `${streamCount} streams, ${coupledCount} coupled`);
  head.mapping = { streamCount, coupledCount, channelMapping: data.slice(21, 21 + channels) };
  return head;
}

/** Builds an OpusHead packet (RFC 7845 §5.1). */
export function buildOpusHead(h: Omit<OpusHead, 'version'> & { version?: number }): Uint8Array {
  if (h.mappingFamily === 0 && (h.channels < 1 || h.channels > 2)) throw new TypeError('mapping family 0 carries 1 or 2 channels');
  if (h.mappingFamily !== 0 && (!h.mapping || h.mapping.channelMapping.length !== h.channels)) throw new TypeError('mapping table must list every channel');
  const size = OPUS_HEAD_MIN_SIZE + (h.mappingFamily === 0 ? 0 : 2 + h.channels);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  for (let i = 0; i < OPUS_HEAD_MAGIC.length; i += 1) out[i] = OPUS_HEAD_MAGIC.charCodeAt(i);
  v.setUint8(8, h.version ?? 1);
  v.setUint8(9, h.channels);
  v.setUint16(10, h.preSkip, true);
  v.setUint32(12, h.inputSampleRate, true);
  v.setInt16(16, h.outputGain, true);
  v.setUint8(18, h.mappingFamily);
  if (h.mapping && h.mappingFamily !== 0) {
    v.setUint8(19, h.mapping.streamCount);
    v.setUint8(20, h.mapping.coupledCount);
    out.set(h.mapping.channelMapping, 21);
  }
  return out;
}

/**
 * Samples per frame at 48 kHz for a TOC config number (RFC 6716 §3.1 Table 2): SILK-only
 * configs 0–11 cycle 10/20/40/60 ms, hybrid 12–15 cycle 10/20 ms, CELT-only 16–31 cycle
 * 2.5/5/10/20 ms.
 */
export function opusFrameSamples(config: number): number {
  if (!Number.isInteger(config) || config < 0 || config > 31) throw new RangeError(`bad Opus config ${config}`);
  if (config < 12) return [480, 960, 1920, 2880][config % 4] as number;
  if (config < 16) return [480, 960][config % 2] as number;
  return [120, 240, 480, 960][config % 4] as number;
}

/**
 * Duration of an Opus packet in 48 kHz samples from its TOC byte and frame count
 * (RFC 6716 §3.1–3.2: code 0 one frame, 1 and 2 two frames, 3 the count in byte 1).
 */
export function opusPacketDuration(packet: Uint8Array): number {
  if (packet.length < 1) throw new ParseError('truncated', 'empty Opus packet');
  const toc = packet[0] as number;
  const frameSamples = opusFrameSamples(toc >>> 3);
  const code = toc & 0x03;
  let frames = code === 0 ? 1 : 2;
  if (code === 3) {
    if (packet.length < 2) throw new ParseError('truncated', 'code 3 packet without frame count');
    frames = (packet[1] as number) & 0x3f;
  }
  const duration = frames * frameSamples;
  if (frames === 0 || duration > OPUS_MAX_PACKET_DURATION) throw new ParseError('bad-frame-count', `${frames} frames of ${frameSamples} samples`);
  return duration;
}
