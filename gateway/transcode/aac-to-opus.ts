import type { Logger } from 'pino';
import { buildAdtsHeader, parseAudioSpecificConfig, samplesToTicks } from '../../protocol/codec/aac.js';
import { OPUS_SAMPLE_RATE, opusPacketDuration } from '../../protocol/codec/opus.js';
import { ParseError } from '../../protocol/errors.js';
import { AU_CLOCK_RATE, type AccessUnit, type AudioTrackInfo } from '../../protocol/media/access-unit.js';
import { FfmpegProcess } from './ffmpeg-process.js';
import { MediaClock } from './media-clock.js';
import { OggPageReader } from './ogg.js';

/** Default Opus bitrate for WebRTC viewers, bits per second (`bridge.opusBitrate`): transparent for stereo music at 48 kHz. */
export const OPUS_BITRATE = 96_000;
/**
 * Opus frame length, ms (RFC 7587 §4.2 allows 2.5–120; WebRTC's default is 20). 10 ms: ffmpeg's
 * Ogg muxer writes a page only once the next one is complete, so each packet waits one frame
 * in the child; 10 ms frames halve that wait (measured: a packet leaves 30 ms after the AAC
 * frame it starts in went in, p50, against 40 ms with 20 ms frames), for ~3 kb/s more overhead.
 */
export const OPUS_FRAME_MS = 10;
/** Duration of each Ogg page ffmpeg writes, µs: one Opus packet per page. */
const OGG_PAGE_DURATION_US = OPUS_FRAME_MS * 1000;
/**
 * Input flags of the child: no probing delay. `-probesize 32` (ffmpeg's minimum) and no
 * analysis: the format is given (ADTS) and its first header says everything; `nobuffer` hands
 * each packet on as it is read.
 */
const LOW_DELAY_INPUT = ['-probesize', '32', '-analyzeduration', '0', '-fflags', 'nobuffer', '-flags', 'low_delay'];

/**
 * AAC → Opus through a supervised ffmpeg child (ADTS on stdin, Ogg/Opus on stdout, RFC 7845),
 * for WebRTC viewers of RTMP/RTSP streams, set for low delay (no probing, `-application
 * lowdelay`, 10 ms frames, a page per packet flushed at once). Output packets get the pts of
 * the source AAC frames they came from (MediaClock), not their arrival time, so audio and video
 * stay on the source's one clock across restarts (the bridge paces them by it).
 */
export class AacToOpus {
  readonly #process: FfmpegProcess;
  readonly #ogg = new OggPageReader();
  readonly #clock = new MediaClock();
  readonly #onPacket: (unit: AccessUnit) => void;
  #config: { objectType: number; sampleRate: number; channelConfiguration: number; samplesPerFrame: number };
  /** 48 kHz samples of Opus output since the child started, and the pre-skip from its OpusHead. */
  #outSamples = 0;
  #preSkip = 0;
  #headers = 0;
  /** Input AUs dropped (child down or behind). */
  dropped = 0;

  constructor(track: AudioTrackInfo, log: Logger, onPacket: (unit: AccessUnit) => void, bitrate = OPUS_BITRATE) {
    if (!track.config) throw new TypeError('AAC track without AudioSpecificConfig');
    const asc = parseAudioSpecificConfig(track.config);
    this.#config = { objectType: asc.objectType, sampleRate: asc.sampleRate, channelConfiguration: asc.channelConfiguration, samplesPerFrame: asc.samplesPerFrame };
    this.#onPacket = onPacket;
    this.#process = new FfmpegProcess({
      log,
      args: [...LOW_DELAY_INPUT, '-f', 'aac', '-i', 'pipe:0',
        '-map', '0:a', '-c:a', 'libopus', '-b:a', String(bitrate), '-ar', String(OPUS_SAMPLE_RATE), '-ac', '2', '-application', 'lowdelay', '-frame_duration', String(OPUS_FRAME_MS),
        '-f', 'ogg', '-page_duration', String(OGG_PAGE_DURATION_US), '-flush_packets', '1', 'pipe:1'],
      onStart: () => this.#restarted(),
      onData: (chunk) => this.#output(chunk),
    });
  }

  get process(): FfmpegProcess {
    return this.#process;
  }

  /** One raw AAC frame (no ADTS) at `unit.pts`. */
  push(unit: AccessUnit): void {
    const c = this.#config;
    const header = buildAdtsHeader({ objectType: c.objectType, sampleRate: c.sampleRate, channelConfiguration: c.channelConfiguration, payloadLength: unit.data.length });
    const adts = new Uint8Array(header.length + unit.data.length);
    adts.set(header, 0);
    adts.set(unit.data, header.length);
    if (!this.#process.write(adts)) {
      this.dropped++;
      return;
    }
    this.#clock.input(unit.pts, samplesToTicks(c.samplesPerFrame, c.sampleRate, AU_CLOCK_RATE));
  }

  close(): void {
    this.#process.close();
  }

  #restarted(): void {
    this.#clock.reset();
    this.#outSamples = 0;
    this.#preSkip = 0;
    this.#headers = 0;
    this.#ogg.reset();
  }

  #output(chunk: Uint8Array): void {
    for (const packet of this.#ogg.push(chunk)) {
      const data = packet.data;
      if (this.#headers < 2 && isHeader(data)) {
        this.#headers++;
        // OpusHead (RFC 7845 §5.1): pre-skip, little-endian u16 at octet 10.
        if (data[0] === 0x4f && data[4] === 0x48 && data.length >= 12) this.#preSkip = (data[10] as number) | ((data[11] as number) << 8);
        continue;
      }
      let duration: number;
      try {
        duration = opusPacketDuration(data);
      } catch (err) {
        if (err instanceof ParseError || err instanceof RangeError) continue;
        throw err;
      }
      const media = samplesToTicks(this.#outSamples - this.#preSkip, OPUS_SAMPLE_RATE, AU_CLOCK_RATE);
      this.#outSamples += duration;
      const pts = this.#clock.ptsOf(media);
      if (pts === undefined) continue;
      this.#onPacket({ type: 'audio', codec: 'opus', pts, dts: pts, keyframe: true, data });
    }
  }
}

/** "OpusHead" / "OpusTags" (RFC 7845 §5). */
function isHeader(data: Uint8Array): boolean {
  return data.length >= 8 && data[0] === 0x4f && data[1] === 0x70 && data[2] === 0x75 && data[3] === 0x73 && (data[4] === 0x48 || data[4] === 0x54);
}
