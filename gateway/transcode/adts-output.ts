import { buildAudioSpecificConfig, splitAdtsFrames } from '../../protocol/codec/aac.js';
import { ParseError } from '../../protocol/errors.js';
import { AU_CLOCK_RATE, type AccessUnit } from '../../protocol/media/access-unit.js';
import { MediaClock } from './media-clock.js';

/** Encoder delay of ffmpeg's AAC encoder (priming samples before the first real output sample). */
export const AAC_PRIMING_SAMPLES = 1024;
/** Samples per AAC-LC frame (ISO 14496-3 §4.5.1.1: frameLengthFlag 0). */
const AAC_FRAME_SAMPLES = 1024;
/** Most ADTS bytes buffered waiting for a frame's end: a few frames; more is garbage. */
const MAX_ADTS_BUFFER = 64 * 1024;

/**
 * The output side of an "anything → AAC" ffmpeg child: ADTS on its stdout split into raw AAC
 * frames (protocol/codec/aac), each given the pts of the input it came from through a
 * MediaClock that the input side feeds, and the AudioSpecificConfig once.
 */
export class AdtsOutput {
  readonly clock = new MediaClock();
  readonly #onFrame: (unit: AccessUnit, asc: Uint8Array | undefined) => void;
  #adts: Uint8Array = new Uint8Array(0);
  #outSamples = 0;
  #asc: Uint8Array | undefined;

  constructor(onFrame: (unit: AccessUnit, asc: Uint8Array | undefined) => void) {
    this.#onFrame = onFrame;
  }

  /** A new child: its output counts from zero again. */
  reset(): void {
    this.clock.reset();
    this.#adts = new Uint8Array(0);
    this.#outSamples = 0;
  }

  push(chunk: Uint8Array): void {
    const merged = new Uint8Array(this.#adts.length + chunk.length);
    merged.set(this.#adts, 0);
    merged.set(chunk, this.#adts.length);
    let split: ReturnType<typeof splitAdtsFrames>;
    try {
      split = splitAdtsFrames(merged);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.#adts = new Uint8Array(0);
      return;
    }
    this.#adts = merged.length - split.consumed > MAX_ADTS_BUFFER ? new Uint8Array(0) : merged.slice(split.consumed);
    for (const { header, payload } of split.frames) {
      const media = Math.round(((this.#outSamples - AAC_PRIMING_SAMPLES) * AU_CLOCK_RATE) / header.sampleRate);
      this.#outSamples += AAC_FRAME_SAMPLES;
      const pts = this.clock.ptsOf(media);
      if (pts === undefined || pts < 0) continue;
      let asc: Uint8Array | undefined;
      if (!this.#asc) {
        asc = buildAudioSpecificConfig({ objectType: header.objectType, sampleRate: header.sampleRate, channelConfiguration: header.channelConfiguration });
        this.#asc = asc;
      }
      this.#onFrame({ type: 'audio', codec: 'aac', pts, dts: pts, keyframe: true, data: payload.slice() }, asc);
    }
  }
}
