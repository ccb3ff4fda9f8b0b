/**
 * Synthetic streams for the HLS unit tests: timing and keyframe patterns only (payloads are
 * placeholder bytes), so segmenter and playlist behaviour can be checked exactly.
 */
import type { AccessUnit, TrackInfo } from '../../../protocol/media/access-unit.js';
import { buildAudioSpecificConfig } from '../../../protocol/codec/aac.js';

export const VIDEO_TRACK: TrackInfo = { type: 'video', codec: 'h264', config: Uint8Array.of(1, 0x42, 0xc0, 0x1e, 0xff, 0xe0, 0), width: 320, height: 240 };
export const AUDIO_TRACK: TrackInfo = {
  type: 'audio',
  codec: 'aac',
  config: buildAudioSpecificConfig({ objectType: 2, sampleRate: 48000, channelConfiguration: 2 }),
  sampleRate: 48000,
  channels: 2,
};

/** 90 kHz ticks of one frame at 30 fps and of one AAC frame at 48 kHz. */
export const VIDEO_TICKS = 3000;
export const AUDIO_TICKS = 1920;

/**
 * `seconds` of 30 fps video with a keyframe every `gopFrames` frames and, when `audio`, AAC
 * frames interleaved in DTS order.
 */
export function avUnits(seconds: number, gopFrames: number, audio = true, startDts = 0): AccessUnit[] {
  const out: AccessUnit[] = [];
  const end = startDts + seconds * 90_000;
  let v = 0;
  let a = 0;
  for (;;) {
    const vd = startDts + v * VIDEO_TICKS;
    const ad = audio ? startDts + a * AUDIO_TICKS : Infinity;
    if (vd >= end && ad >= end) break;
    if (ad < vd) {
      out.push({ type: 'audio', codec: 'aac', pts: ad, dts: ad, keyframe: true, data: new Uint8Array(8).fill(a & 0xff) });
      a++;
    } else {
      out.push({ type: 'video', codec: 'h264', pts: vd, dts: vd, keyframe: v % gopFrames === 0, data: Uint8Array.of(0, 0, 0, 1, v % gopFrames === 0 ? 0x65 : 0x41) });
      v++;
    }
  }
  return out;
}

/** Audio only: AAC frames at 48 kHz. */
export function audioUnits(seconds: number): AccessUnit[] {
  return avUnits(seconds, 1, true).filter((u) => u.type === 'audio');
}
