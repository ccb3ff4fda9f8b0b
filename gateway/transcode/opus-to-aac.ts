import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { buildAudioSpecificConfig, splitAdtsFrames } from '../../protocol/codec/aac.js';
import { buildOpusHead, OPUS_SAMPLE_RATE, opusPacketDuration } from '../../protocol/codec/opus.js';
import { ParseError } from '../../protocol/errors.js';
import { AU_CLOCK_RATE, type AccessUnit } from '../../protocol/media/access-unit.js';
import { FfmpegProcess } from './ffmpeg-process.js';
import { MediaClock } from './media-clock.js';
import { buildOggPage, OGG_BOS } from './ogg.js';

/** AAC bitrate for HLS/FLV viewers of rooms: stereo at 48 kHz. */
export const AAC_BITRATE = '96k';
/** Encoder delay of ffmpeg's AAC encoder (priming samples before the first real output sample). */
export const AAC_PRIMING_SAMPLES = 1024;
/** Samples per AAC-LC frame (ISO 14496-3 §4.5.1.1: frameLengthFlag 0). */
const AAC_FRAME_SAMPLES = 1024;
/** Most ADTS bytes buffered waiting for a frame's end: a few frames; more is garbage. */
const MAX_ADTS_BUFFER = 64 * 1024;

/**
 * Opus → AAC through a supervised ffmpeg child, for HLS/FLV/RTMP readers of rooms and WHIP:
 * Ogg/Opus on stdin (RFC 7845: OpusHead and OpusTags pages, then one packet per page with
 * its granule position), ADTS on stdout split with protocol/codec/aac. Output frames get the
 * pts of the input they came from (MediaClock).
 */
export class OpusToAac {
  readonly #process: FfmpegProcess;
  readonly #clock = new MediaClock();
  readonly #onFrame: (unit: AccessUnit, asc: Uint8Array | undefined) => void;
  #serial = randomInt(0, 0x7fff_ffff);
  #sequence = 0;
  #granule = 0;
  #adts: Uint8Array = new Uint8Array(0);
  #outSamples = 0;
  #asc: Uint8Array | undefined;
  dropped = 0;

  /** `onFrame` gets each AAC frame and the AudioSpecificConfig when it is new (else undefined). */
  constructor(log: Logger, onFrame: (unit: AccessUnit, asc: Uint8Array | undefined) => void) {
    this.#onFrame = onFrame;
    this.#process = new FfmpegProcess({
      log,
      args: ['-probesize', '4096', '-analyzeduration', '0', '-fflags', 'nobuffer', '-f', 'ogg', '-i', 'pipe:0',
        '-map', '0:a', '-c:a', 'aac', '-b:a', AAC_BITRATE, '-ar', String(OPUS_SAMPLE_RATE), '-ac', '2', '-f', 'adts', '-flush_packets', '1', 'pipe:1'],
      onStart: (process) => this.#started(process),
      onData: (chunk) => this.#output(chunk),
    });
  }

  get process(): FfmpegProcess {
    return this.#process;
  }

  push(unit: AccessUnit): void {
    let samples: number;
    try {
      samples = opusPacketDuration(unit.data);
    } catch (err) {
      if (err instanceof ParseError || err instanceof RangeError) {
        this.dropped++;
        return;
      }
      throw err;
    }
    this.#granule += samples;
    if (!this.#process.write(buildOggPage({ packets: [unit.data], granule: this.#granule, serial: this.#serial, sequence: this.#sequence++ }))) {
      this.dropped++;
      this.#granule -= samples;
      this.#sequence--;
      return;
    }
    this.#clock.input(unit.pts, Math.round((samples * AU_CLOCK_RATE) / OPUS_SAMPLE_RATE));
  }

  close(): void {
    this.#process.close();
  }

  /** A new child: a new logical stream, its two header pages first (RFC 7845 §3). */
  #started(process: FfmpegProcess): void {
    this.#clock.reset();
    this.#adts = new Uint8Array(0);
    this.#outSamples = 0;
    this.#granule = 0;
    this.#sequence = 0;
    this.#serial = randomInt(0, 0x7fff_ffff);
    const head = buildOpusHead({ channels: 2, preSkip: 0, inputSampleRate: OPUS_SAMPLE_RATE, outputGain: 0, mappingFamily: 0 });
    const vendor = new TextEncoder().encode('estuary');
    const tags = new Uint8Array(8 + 4 + vendor.length + 4);
    tags.set(new TextEncoder().encode('OpusTags'), 0);
    new DataView(tags.buffer).setUint32(8, vendor.length, true);
    tags.set(vendor, 12);
    process.write(buildOggPage({ packets: [head], granule: 0, serial: this.#serial, sequence: this.#sequence++, headerType: OGG_BOS }));
    process.write(buildOggPage({ packets: [tags], granule: 0, serial: this.#serial, sequence: this.#sequence++ }));
  }

  #output(chunk: Uint8Array): void {
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
      const pts = this.#clock.ptsOf(media);
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
