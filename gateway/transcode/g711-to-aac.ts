import type { Logger } from 'pino';
import { AU_CLOCK_RATE, type AccessUnit } from '../../protocol/media/access-unit.js';
import { AdtsOutput } from './adts-output.js';
import { FfmpegProcess } from './ffmpeg-process.js';

/**
 * AAC sample rate of transcoded G.711: twice the 8 kHz input, the lowest rate every HLS and FLV
 * player decodes (some MSE decoders refuse 8 kHz AAC); no information is lost.
 */
export const G711_AAC_SAMPLE_RATE = 16_000;
/** AAC bitrate for G.711 speech: mono voice at 16 kHz needs little. */
export const G711_AAC_BITRATE = '32k';

/**
 * G.711 (PCMA/PCMU, ITU-T G.711, one octet per sample) → AAC through a supervised ffmpeg child,
 * for HLS/FLV/RTMP readers of cameras: raw A-law/µ-law on stdin, ADTS on stdout. Output frames
 * get the pts of the input they came from (AdtsOutput's MediaClock).
 */
export class G711ToAac {
  readonly #process: FfmpegProcess;
  readonly #output: AdtsOutput;
  readonly #sampleRate: number;
  dropped = 0;

  constructor(codec: 'pcma' | 'pcmu', sampleRate: number, log: Logger, onFrame: (unit: AccessUnit, asc: Uint8Array | undefined) => void) {
    this.#sampleRate = sampleRate;
    this.#output = new AdtsOutput(onFrame);
    this.#process = new FfmpegProcess({
      log,
      args: ['-probesize', '32', '-analyzeduration', '0', '-fflags', 'nobuffer', '-f', codec === 'pcma' ? 'alaw' : 'mulaw', '-ar', String(sampleRate), '-ac', '1', '-i', 'pipe:0',
        '-map', '0:a', '-c:a', 'aac', '-b:a', G711_AAC_BITRATE, '-ar', String(G711_AAC_SAMPLE_RATE), '-ac', '1', '-f', 'adts', '-flush_packets', '1', 'pipe:1'],
      onStart: () => this.#output.reset(),
      onData: (chunk) => this.#output.push(chunk),
    });
  }

  push(unit: AccessUnit): void {
    if (unit.data.length === 0) return;
    if (!this.#process.write(unit.data)) {
      this.dropped++;
      return;
    }
    this.#output.clock.input(unit.pts, Math.round((unit.data.length * AU_CLOCK_RATE) / this.#sampleRate));
  }

  close(): void {
    this.#process.close();
  }
}
