import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { buildOpusHead, OPUS_SAMPLE_RATE, opusPacketDuration } from '../../protocol/codec/opus.js';
import { ParseError } from '../../protocol/errors.js';
import { AU_CLOCK_RATE, type AccessUnit } from '../../protocol/media/access-unit.js';
import { FfmpegProcess } from './ffmpeg-process.js';
import { AdtsOutput } from './adts-output.js';
import { buildOggPage, OGG_BOS } from './ogg.js';

/** AAC bitrate for HLS/FLV viewers of rooms: stereo at 48 kHz. */
export const AAC_BITRATE = '96k';
/**
 * Opus → AAC through a supervised ffmpeg child, for HLS/FLV/RTMP readers of rooms and WHIP:
 * Ogg/Opus on stdin (RFC 7845: OpusHead and OpusTags pages, then one packet per page with
 * its granule position), ADTS on stdout split with protocol/codec/aac. Output frames get the
 * pts of the input they came from (MediaClock).
 */
export class OpusToAac {
  readonly #process: FfmpegProcess;
  readonly #output: AdtsOutput;
  #serial = randomInt(0, 0x7fff_ffff);
  #sequence = 0;
  #granule = 0;
  dropped = 0;

  /** `onFrame` gets each AAC frame and the AudioSpecificConfig when it is new (else undefined). */
  constructor(log: Logger, onFrame: (unit: AccessUnit, asc: Uint8Array | undefined) => void) {
    this.#output = new AdtsOutput(onFrame);
    this.#process = new FfmpegProcess({
      log,
      args: ['-probesize', '4096', '-analyzeduration', '0', '-fflags', 'nobuffer', '-f', 'ogg', '-i', 'pipe:0',
        '-map', '0:a', '-c:a', 'aac', '-b:a', AAC_BITRATE, '-ar', String(OPUS_SAMPLE_RATE), '-ac', '2', '-f', 'adts', '-flush_packets', '1', 'pipe:1'],
      onStart: (process) => this.#started(process),
      onData: (chunk) => this.#output.push(chunk),
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
    this.#output.clock.input(unit.pts, Math.round((samples * AU_CLOCK_RATE) / OPUS_SAMPLE_RATE));
  }

  close(): void {
    this.#process.close();
  }

  /** A new child: a new logical stream, its two header pages first (RFC 7845 §3). */
  #started(process: FfmpegProcess): void {
    this.#output.reset();
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
}
