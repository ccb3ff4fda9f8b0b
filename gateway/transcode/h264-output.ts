/**
 * Reading ffmpeg's `-f h264` output (Annex B, ITU-T H.264 Annex B) back into access units:
 * the encoder is run with `aud=1`, so every access unit begins with an access unit delimiter
 * (§7.4.1.2.3) and an AU is complete when the next delimiter arrives.
 */
import { H264NalType } from '../../protocol/codec/h264.js';
import { joinAvcc, splitAnnexB } from '../../protocol/codec/nal.js';
import { ParseError } from '../../protocol/errors.js';

/** Largest access unit held while waiting for the next delimiter (a 1080p IDR is well under 2 MB). */
export const MAX_ENCODED_AU_SIZE = 8 * 1024 * 1024;

export interface EncodedFrame {
  /** AVCC NAL units (4-byte lengths), AUD removed. */
  data: Uint8Array;
  keyframe: boolean;
  /** The SPS and PPS in this AU, for the track's configuration record. */
  sps?: Uint8Array;
  pps?: Uint8Array;
}

/** Finds the next 00 00 01 start code followed by an AUD NAL (type 9) at or after `from`. */
function findAud(b: Uint8Array, from: number): number {
  for (let i = Math.max(0, from); i + 3 < b.length; i++) {
    if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1 && (((b[i + 3] as number) & 0x1f) === H264NalType.Aud)) return i;
  }
  return -1;
}

/** Splits an AUD-delimited Annex B byte stream cut anywhere into frames. Bounded. */
export class AudFrameSplitter {
  #buf: Uint8Array = new Uint8Array(0);
  /** Frames thrown away (oversize, unparsable). */
  errors = 0;

  push(chunk: Uint8Array): EncodedFrame[] {
    const merged = new Uint8Array(this.#buf.length + chunk.length);
    merged.set(this.#buf, 0);
    merged.set(chunk, this.#buf.length);
    const out: EncodedFrame[] = [];
    let start = findAud(merged, 0);
    if (start < 0) {
      this.#buf = merged.length > MAX_ENCODED_AU_SIZE ? this.#overflow() : merged;
      return out;
    }
    for (;;) {
      const next = findAud(merged, start + 4);
      if (next < 0) break;
      const frame = toFrame(merged.subarray(start, next));
      if (frame) out.push(frame);
      else this.errors++;
      start = next;
    }
    this.#buf = merged.length - start > MAX_ENCODED_AU_SIZE ? this.#overflow() : merged.slice(start);
    return out;
  }

  /** Drops what is buffered (child restarted). */
  reset(): void {
    this.#buf = new Uint8Array(0);
  }

  #overflow(): Uint8Array {
    this.errors++;
    return new Uint8Array(0);
  }
}

function toFrame(annexB: Uint8Array): EncodedFrame | undefined {
  let nalus: Uint8Array[];
  try {
    nalus = splitAnnexB(annexB).filter((n) => n.length > 0 && ((n[0] as number) & 0x1f) !== H264NalType.Aud);
  } catch (err) {
    if (err instanceof ParseError) return undefined;
    throw err;
  }
  if (nalus.length === 0) return undefined;
  const frame: EncodedFrame = { data: joinAvcc(nalus), keyframe: false };
  for (const n of nalus) {
    const type = (n[0] as number) & 0x1f;
    if (type === H264NalType.IdrSlice) frame.keyframe = true;
    else if (type === H264NalType.Sps) frame.sps = n;
    else if (type === H264NalType.Pps) frame.pps = n;
  }
  return frame;
}

/**
 * Most input timestamps waiting for an encoded frame. A child holds at most a few frames
 * (zerolatency: no lookahead, no B-frames); more means frames were lost inside it.
 */
export const MAX_PENDING_PTS = 120;

/**
 * Gives encoded frames back their input timestamps. The encoder emits frames in presentation
 * order, one per input frame (`-fps_mode passthrough`), so each output frame takes the
 * smallest pending input pts. Bounded: the oldest pts are dropped past MAX_PENDING_PTS.
 */
export class PtsQueue {
  #pts: number[] = [];

  push(pts: number): void {
    // Insertion keeps the array sorted; inputs arrive nearly sorted (decode order).
    let i = this.#pts.length;
    while (i > 0 && (this.#pts[i - 1] as number) > pts) i--;
    this.#pts.splice(i, 0, pts);
    if (this.#pts.length > MAX_PENDING_PTS) this.#pts.shift();
  }

  /** The pts of the next output frame, or undefined when none is pending. */
  shift(): number | undefined {
    return this.#pts.shift();
  }

  get size(): number {
    return this.#pts.length;
  }

  clear(): void {
    this.#pts = [];
  }
}
