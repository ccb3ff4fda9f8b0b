/**
 * AAC over RTP as MP4A-LATM (RFC 6416 §6) with `cpresent=0`: the StreamMuxConfig travels in the
 * SDP `config` parameter and each RTP payload holds one audioMuxElement, or a fragment of one
 * (the marker bit ends it, §6.2). With one program and one layer (what cameras send) an
 * audioMuxElement is, per subframe (ISO 14496-3 §1.7.3, Table 1.44 PayloadLengthInfo):
 *
 *     +--------------------------------+---------------------------+
 *     | length: 0xFF* then one < 0xFF  | that many octets of AAC   |  × (numSubFrames + 1)
 *     +--------------------------------+---------------------------+
 */
import { BitReader } from '../bits/bit-reader.js';
import { concatBytes } from '../bits/byte-writer.js';
import { ParseError } from '../errors.js';
import { AAC_SAMPLES_PER_FRAME, buildAudioSpecificConfig, parseAudioSpecificConfig } from '../codec/aac.js';
import { AU_CLOCK_RATE, type AccessUnit } from '../media/access-unit.js';
import { rescaleTicks, RtpTimestampUnwrapper, SequenceTracker } from './clock.js';
import type { DepacketizeResult, DepacketizerOptions, DepacketizerStats, RtpDepacketizer, RtpPayloadIn } from './types.js';

/**
 * Largest audioMuxElement rebuilt from fragments. An AAC frame is at most 6144 bits per channel
 * (ISO 14496-3 §4.5.3.1): 8 channels × 768 octets; 64 KiB covers several subframes of that.
 */
export const MAX_LATM_ELEMENT_SIZE = 64 * 1024;
/** Most subframes in one element (numSubFrames is 6 bits: at most 64). */
export const MAX_LATM_SUBFRAMES = 64;

/** What a StreamMuxConfig tells the depacketizer. */
export interface LatmConfig {
  /** A plain AudioSpecificConfig for the hub track (core object type, rate, channels). */
  audioSpecificConfig: Uint8Array;
  sampleRate: number;
  channels: number;
  samplesPerFrame: number;
  /** numSubFrames + 1: AAC frames per audioMuxElement. */
  subFrames: number;
}

/**
 * Parses StreamMuxConfig (ISO 14496-3 §1.7.3 Table 1.42) for audioMuxVersion 0 with one
 * program and one layer, from the fmtp `config` hex. Other shapes are UnsupportedError-like
 * ParseError('unsupported-latm').
 */
export function parseLatmConfig(hex: string): LatmConfig {
  if (!/^([0-9a-fA-F]{2}){2,64}$/.test(hex)) throw new ParseError('bad-latm-config', hex.slice(0, 40));
  const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
  const r = new BitReader(bytes);
  if (r.readBit() !== 0) throw new ParseError('unsupported-latm', 'audioMuxVersion 1');
  r.readBit(); // allStreamsSameTimeFraming
  const subFrames = r.readBits(6) + 1;
  const programs = r.readBits(4) + 1;
  const layers = r.readBits(3) + 1;
  if (programs !== 1 || layers !== 1) throw new ParseError('unsupported-latm', `${programs} programs, ${layers} layers`);
  // The AudioSpecificConfig follows at bit 15 without byte alignment: shift it out.
  const asc = new Uint8Array(bytes.length);
  for (let i = 0; r.bitsLeft >= 8; i++) asc[i] = r.readBits(8);
  const parsed = parseAudioSpecificConfig(asc);
  const channels = Math.max(1, parsed.channels);
  const samplesPerFrame = parsed.samplesPerFrame;
  const audioSpecificConfig = buildAudioSpecificConfig({
    objectType: parsed.objectType,
    sampleRate: parsed.sampleRate,
    channelConfiguration: parsed.channelConfiguration,
    samplesPerFrame: samplesPerFrame === 960 ? 960 : 1024,
  });
  return { audioSpecificConfig, sampleRate: parsed.sampleRate, channels, samplesPerFrame, subFrames };
}

/** Splits a whole audioMuxElement into its subframes' AAC frames (views into `element`). */
export function splitLatmElement(element: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let at = 0;
  while (at < element.length) {
    if (frames.length >= MAX_LATM_SUBFRAMES) throw new ParseError('too-many-aus', `more than ${MAX_LATM_SUBFRAMES} subframes`);
    let length = 0;
    for (;;) {
      if (at >= element.length) throw new ParseError('truncated', 'PayloadLengthInfo past the end');
      const b = element[at++] as number;
      length += b;
      if (b !== 0xff) break;
    }
    if (length > element.length - at) throw new ParseError('truncated', `subframe of ${length} octets, ${element.length - at} left`);
    frames.push(element.subarray(at, at + length));
    at += length;
  }
  return frames;
}

/** RFC 6416 payloads → AAC AccessUnits (raw frames, timestamps in the track's clock → 90 kHz). */
export class LatmDepacketizer implements RtpDepacketizer {
  readonly clockRate: number;
  readonly stats: DepacketizerStats = { lostPackets: 0, discardedPackets: 0, droppedUnits: 0 };
  readonly waitingForKeyframe = false;
  readonly #samplesPerFrame: number;
  readonly #sequence = new SequenceTracker();
  readonly #clock: RtpTimestampUnwrapper;
  #parts: Uint8Array[] = [];
  #size = 0;
  #timestamp: number | undefined;
  /** After a loss, fragments up to the next marker belong to a damaged element. */
  #damaged = false;

  constructor(options: DepacketizerOptions & { clockRate: number; samplesPerFrame?: number }) {
    this.clockRate = options.clockRate;
    this.#samplesPerFrame = options.samplesPerFrame ?? AAC_SAMPLES_PER_FRAME;
    this.#clock = new RtpTimestampUnwrapper(options.timestampOrigin);
  }

  push(packet: RtpPayloadIn): DepacketizeResult {
    const step = this.#sequence.step(packet.sequenceNumber);
    if (step.kind === 'old' || packet.payload.length === 0) {
      this.stats.discardedPackets += 1;
      return { units: [] };
    }
    if (step.kind === 'gap' || step.kind === 'jump' || (this.#timestamp !== undefined && this.#timestamp !== packet.timestamp)) {
      if (step.kind === 'gap') this.stats.lostPackets += step.lost;
      if (this.#parts.length > 0) this.stats.droppedUnits += 1;
      this.#reset();
      // A gap may have eaten the start of this element: skip to the next marker.
      this.#damaged = step.kind === 'gap';
    }
    if (this.#damaged) {
      if (packet.marker) this.#damaged = false;
      this.stats.discardedPackets += 1;
      return { units: [] };
    }
    this.#timestamp = packet.timestamp;
    this.#parts.push(packet.payload);
    this.#size += packet.payload.length;
    if (this.#size > MAX_LATM_ELEMENT_SIZE) {
      this.#reset();
      this.stats.droppedUnits += 1;
      return { units: [], error: new ParseError('au-too-large', `audioMuxElement over ${MAX_LATM_ELEMENT_SIZE} octets`) };
    }
    if (!packet.marker) return { units: [] };
    const element = this.#parts.length === 1 ? (this.#parts[0] as Uint8Array) : concatBytes(this.#parts);
    this.#reset();
    let frames: Uint8Array[];
    try {
      frames = splitLatmElement(element);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.stats.droppedUnits += 1;
      return { units: [], error: err };
    }
    const base = this.#clock.unwrap(packet.timestamp);
    const units: AccessUnit[] = frames.map((f, i) => {
      const pts = rescaleTicks(base + i * this.#samplesPerFrame, this.clockRate, AU_CLOCK_RATE);
      return { type: 'audio', codec: 'aac', pts, dts: pts, keyframe: true, data: f.slice() };
    });
    return { units };
  }

  #reset(): void {
    this.#parts = [];
    this.#size = 0;
    this.#timestamp = undefined;
  }
}
