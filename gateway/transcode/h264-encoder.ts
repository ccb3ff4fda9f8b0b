import type { Logger } from 'pino';
import { buildAvcDecoderConfig, parseAvcDecoderConfig } from '../../protocol/codec/avc-config.js';
import { avccToAnnexB, joinAnnexB } from '../../protocol/codec/nal.js';
import type { AccessUnit } from '../../protocol/media/access-unit.js';
import { FfmpegProcess } from './ffmpeg-process.js';
import { AudFrameSplitter, PtsQueue } from './h264-output.js';

/**
 * Keyframe interval cap of the encoder, frames. Keyframes follow the source's
 * (`-force_key_frames source`); this only bounds a source that sends none for a long time.
 */
export const ENCODER_MAX_GOP_FRAMES = 250;

/** ffmpeg output options: H.264 a WebRTC decoder plays well (RFC 6184 mode 1 baseline, no B-frames, no lookahead). */
const ENCODE_ARGS = [
  '-map', '0:v', '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-bf', '0', '-pix_fmt', 'yuv420p',
  '-force_key_frames', 'source', '-g', String(ENCODER_MAX_GOP_FRAMES), '-sc_threshold', '0', '-x264-params', 'aud=1',
  '-fps_mode', 'passthrough', '-f', 'h264', '-flush_packets', '1', 'pipe:1',
];

/** IVF file header size and frame header size (libvpx ivfenc; the container ffmpeg's `ivf` demuxer reads). */
const IVF_HEADER_SIZE = 32;
const IVF_FRAME_HEADER_SIZE = 12;

/** What goes into the encoder: H.264 (B-frames to remove) or VP8 (rooms, to re-encode). */
export type EncoderInput = { codec: 'h264'; config?: Uint8Array } | { codec: 'vp8' };

/**
 * Re-encodes video to baseline H.264 without B-frames through a supervised ffmpeg child:
 * H.264 goes in as Annex B (SPS/PPS before each IDR), VP8 as IVF; Annex B with AUDs comes out
 * and each frame gets back its input's pts (PtsQueue). After a start, a restart or a full
 * stdin, input waits for the next keyframe: a slow child loses frames, never memory.
 */
export class H264Encoder {
  readonly #process: FfmpegProcess;
  readonly #splitter = new AudFrameSplitter();
  readonly #pts = new PtsQueue();
  readonly #input: EncoderInput;
  readonly #onFrame: (unit: AccessUnit, config: Uint8Array | undefined) => void;
  #parameterSets: Uint8Array[] = [];
  #needKeyframe = true;
  #ivfHeaderSent = false;
  #sps: Uint8Array | undefined;
  #pps: Uint8Array | undefined;
  #config: Uint8Array | undefined;
  /** Input frames dropped (child down, behind, or waiting for a keyframe). */
  dropped = 0;

  /** `onFrame` gets each encoded frame and the avcC when its SPS/PPS changed (else undefined). */
  constructor(input: EncoderInput, log: Logger, onFrame: (unit: AccessUnit, config: Uint8Array | undefined) => void) {
    this.#input = input;
    this.#onFrame = onFrame;
    if (input.codec === 'h264' && input.config) {
      const avcc = parseAvcDecoderConfig(input.config);
      this.#parameterSets = [...avcc.sps, ...avcc.pps];
    }
    const demux = input.codec === 'h264' ? ['-f', 'h264'] : ['-f', 'ivf'];
    this.#process = new FfmpegProcess({
      log,
      // No `-fflags nobuffer`: it discards the packets read while probing, and a WebRTC VP8
      // publisher may send its only keyframe then (libwebrtc sends keyframes on request), after
      // which the decoder drops every frame ("Discarding interframe without a prior keyframe").
      args: ['-probesize', '32768', '-analyzeduration', '0', ...demux, '-i', 'pipe:0', ...ENCODE_ARGS],
      onStart: () => {
        this.#needKeyframe = true;
        this.#ivfHeaderSent = false;
        this.#splitter.reset();
        this.#pts.clear();
      },
      onData: (chunk) => this.#output(chunk),
    });
  }

  get process(): FfmpegProcess {
    return this.#process;
  }

  /** New SPS/PPS for H.264 input (sequence header changed). */
  setConfig(config: Uint8Array): void {
    const avcc = parseAvcDecoderConfig(config);
    this.#parameterSets = [...avcc.sps, ...avcc.pps];
  }

  push(unit: AccessUnit): void {
    if (this.#needKeyframe && !unit.keyframe) {
      this.dropped++;
      return;
    }
    const data = this.#input.codec === 'h264' ? this.#annexB(unit) : this.#ivf(unit);
    if (!this.#process.write(data)) {
      this.dropped++;
      this.#needKeyframe = true;
      return;
    }
    this.#needKeyframe = false;
    this.#pts.push(unit.pts);
  }

  close(): void {
    this.#process.close();
  }

  #annexB(unit: AccessUnit): Uint8Array {
    const body = avccToAnnexB(unit.data);
    if (!unit.keyframe || this.#parameterSets.length === 0) return body;
    const head = joinAnnexB(this.#parameterSets);
    const out = new Uint8Array(head.length + body.length);
    out.set(head, 0);
    out.set(body, head.length);
    return out;
  }

  /** IVF (libvpx ivfenc): a 32-octet file header once per child, a 12-octet header per frame. */
  #ivf(unit: AccessUnit): Uint8Array {
    const header = this.#ivfHeaderSent ? 0 : IVF_HEADER_SIZE;
    const out = new Uint8Array(header + IVF_FRAME_HEADER_SIZE + unit.data.length);
    const v = new DataView(out.buffer);
    if (!this.#ivfHeaderSent) {
      out.set([0x44, 0x4b, 0x49, 0x46], 0); // "DKIF"
      v.setUint16(4, 0, true);
      v.setUint16(6, IVF_HEADER_SIZE, true);
      out.set([0x56, 0x50, 0x38, 0x30], 8); // "VP80"
      // VP8 key frame header (RFC 6386 §9.1): 3-octet tag, start code, 14-bit width and height.
      const d = unit.data;
      v.setUint16(12, d.length >= 10 ? ((d[6] as number) | ((d[7] as number) << 8)) & 0x3fff : 0, true);
      v.setUint16(14, d.length >= 10 ? ((d[8] as number) | ((d[9] as number) << 8)) & 0x3fff : 0, true);
      v.setUint32(16, 90_000, true); // time base 1/90000: pts are AccessUnit ticks
      v.setUint32(20, 1, true);
      this.#ivfHeaderSent = true;
    }
    v.setUint32(header, unit.data.length, true);
    v.setBigUint64(header + 4, BigInt(Math.max(0, Math.trunc(unit.pts))), true);
    out.set(unit.data, header + IVF_FRAME_HEADER_SIZE);
    return out;
  }

  #output(chunk: Uint8Array): void {
    for (const frame of this.#splitter.push(chunk)) {
      const pts = this.#pts.shift();
      if (pts === undefined) continue;
      let config: Uint8Array | undefined;
      if (frame.sps && frame.pps && (!sameBytes(frame.sps, this.#sps) || !sameBytes(frame.pps, this.#pps))) {
        this.#sps = frame.sps;
        this.#pps = frame.pps;
        this.#config = buildAvcDecoderConfig({ sps: [frame.sps], pps: [frame.pps] });
        config = this.#config;
      }
      this.#onFrame({ type: 'video', codec: 'h264', pts, dts: pts, keyframe: frame.keyframe, data: frame.data }, config);
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}
