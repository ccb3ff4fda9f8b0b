/**
 * VP8 over RTP, RFC 7741: the payload descriptor (parse / write), keyframe detection on one
 * packet, a packetizer, a depacketizer to whole frames, and a picture id rewriter that keeps
 * PictureID and TL0PICIDX continuous when an SFU switches between simulcast sources.
 */
import { ParseError } from '../errors.js';
import { AU_CLOCK_RATE, type AccessUnit } from '../media/access-unit.js';
import { ptsToRtpTimestamp, RtpTimestampUnwrapper, SequenceTracker } from './clock.js';
import {
  DEFAULT_MAX_PAYLOAD_SIZE,
  type DepacketizeResult, type DepacketizerOptions, type DepacketizerStats, type PacketizerOptions,
  type RtpDepacketizer, type RtpPacketizer, type RtpPayloadIn, type RtpPayloadOut,
} from './types.js';

/**
 * Payload descriptor, RFC 7741 §4.2:
 *
 *          0 1 2 3 4 5 6 7
 *         +-+-+-+-+-+-+-+-+
 *         |X|R|N|S|R| PID | (REQUIRED)
 *         +-+-+-+-+-+-+-+-+
 *    X:   |I|L|T|K| RSV   | (OPTIONAL)
 *         +-+-+-+-+-+-+-+-+
 *    I:   |M| PictureID   | (OPTIONAL)
 *         +-+-+-+-+-+-+-+-+
 *         |   PictureID   | (when M = 1: 15-bit PictureID)
 *         +-+-+-+-+-+-+-+-+
 *    L:   |   TL0PICIDX   | (OPTIONAL)
 *         +-+-+-+-+-+-+-+-+
 *    T/K: |TID|Y| KEYIDX  | (OPTIONAL, present when T or K is set)
 *         +-+-+-+-+-+-+-+-+
 */
export interface Vp8Descriptor {
  /** N: the frame can be discarded without affecting others. */
  nonReference: boolean;
  /** S: this packet starts a VP8 partition. */
  start: boolean;
  /** PID: the partition index, 0–7. */
  partitionId: number;
  /** PictureID and its width (M = 0: 7 bits, M = 1: 15 bits), when I is set. */
  pictureId?: { value: number; bits: 7 | 15 };
  /** TL0PICIDX, when L is set. */
  tl0PicIdx?: number;
  /** TID and Y (layer sync), when T is set. */
  temporal?: { tid: number; layerSync: boolean };
  /** KEYIDX, when K is set. */
  keyIdx?: number;
}

const X = 0x80;
const N = 0x20;
const S = 0x10;
const PID_MASK = 0x07;
const I = 0x80;
const L = 0x40;
const T = 0x20;
const K = 0x10;
const M = 0x80;
/** The P bit of the VP8 payload header (RFC 7741 §4.3, RFC 6386 §9.1): 0 on key frames. */
const INVERSE_KEYFRAME = 0x01;

/** Reads the payload descriptor; returns it and its length in octets. Never reads past the end. */
export function parseVp8Descriptor(payload: Uint8Array): [Vp8Descriptor, number] {
  let at = 0;
  const next = (): number => {
    if (at >= payload.length) throw new ParseError('truncated', 'VP8 payload descriptor past the end');
    return payload[at++] as number;
  };
  const b0 = next();
  const d: Vp8Descriptor = { nonReference: (b0 & N) !== 0, start: (b0 & S) !== 0, partitionId: b0 & PID_MASK };
  if (b0 & X) {
    const x = next();
    if (x & I) {
      const p0 = next();
      d.pictureId = p0 & M ? { value: ((p0 & 0x7f) << 8) | next(), bits: 15 } : { value: p0, bits: 7 };
    }
    if (x & L) d.tl0PicIdx = next();
    if (x & (T | K)) {
      const tk = next();
      if (x & T) d.temporal = { tid: tk >>> 6, layerSync: (tk & 0x20) !== 0 };
      if (x & K) d.keyIdx = tk & 0x1f;
    }
  }
  return [d, at];
}

/** Writes a payload descriptor (RFC 7741 §4.2); X is set only when an extension is present. */
export function writeVp8Descriptor(d: Vp8Descriptor): Uint8Array {
  const out: number[] = [(d.nonReference ? N : 0) | (d.start ? S : 0) | (d.partitionId & PID_MASK)];
  const x = (d.pictureId ? I : 0) | (d.tl0PicIdx !== undefined ? L : 0) | (d.temporal ? T : 0) | (d.keyIdx !== undefined ? K : 0);
  if (x === 0) return Uint8Array.from(out);
  out[0] = (out[0] as number) | X;
  out.push(x);
  if (d.pictureId) {
    const v = d.pictureId.value;
    if (d.pictureId.bits === 15) out.push(M | ((v >>> 8) & 0x7f), v & 0xff);
    else out.push(v & 0x7f);
  }
  if (d.tl0PicIdx !== undefined) out.push(d.tl0PicIdx & 0xff);
  if (d.temporal || d.keyIdx !== undefined) {
    out.push(((d.temporal?.tid ?? 0) & 0x03) << 6 | (d.temporal?.layerSync ? 0x20 : 0) | ((d.keyIdx ?? 0) & 0x1f));
  }
  return Uint8Array.from(out);
}

/**
 * Whether this payload starts a key frame: S = 1, PID = 0 and the P bit of the VP8 payload
 * header clear (RFC 7741 §4.3). Never throws.
 */
export function isVp8KeyframePayload(payload: Uint8Array): boolean {
  try {
    const [d, at] = parseVp8Descriptor(payload);
    return d.start && d.partitionId === 0 && at < payload.length && ((payload[at] as number) & INVERSE_KEYFRAME) === 0;
  } catch {
    return false;
  }
}

/** VP8's RTP clock (RFC 7741 §6.1). */
export const VP8_CLOCK_RATE = AU_CLOCK_RATE;

/** Descriptor size the packetizer writes: required octet, X octet, 15-bit PictureID. */
const PACKETIZER_DESCRIPTOR_SIZE = 4;

/** One frame per AccessUnit → packets with a 15-bit PictureID counting frames; marker on the last. */
export class Vp8Packetizer implements RtpPacketizer {
  readonly clockRate = VP8_CLOCK_RATE;
  private readonly maxPayloadSize: number;
  private readonly timestampOffset: number;
  private pictureId: number;

  constructor(options: PacketizerOptions & { firstPictureId?: number } = {}) {
    this.maxPayloadSize = options.maxPayloadSize ?? DEFAULT_MAX_PAYLOAD_SIZE;
    if (!Number.isInteger(this.maxPayloadSize) || this.maxPayloadSize <= PACKETIZER_DESCRIPTOR_SIZE) throw new TypeError('maxPayloadSize too small for VP8');
    this.timestampOffset = options.timestampOffset ?? 0;
    this.pictureId = (options.firstPictureId ?? 0) & 0x7fff;
  }

  packetize(unit: AccessUnit): RtpPayloadOut[] {
    const timestamp = ptsToRtpTimestamp(unit.pts, this.clockRate, this.timestampOffset);
    const chunk = this.maxPayloadSize - PACKETIZER_DESCRIPTOR_SIZE;
    const out: RtpPayloadOut[] = [];
    for (let at = 0; at < unit.data.length || at === 0; at += chunk) {
      const part = unit.data.subarray(at, at + chunk);
      const descriptor = writeVp8Descriptor({ nonReference: false, start: at === 0, partitionId: 0, pictureId: { value: this.pictureId, bits: 15 } });
      const payload = new Uint8Array(descriptor.length + part.length);
      payload.set(descriptor, 0);
      payload.set(part, descriptor.length);
      out.push({ payload, marker: at + chunk >= unit.data.length, timestamp });
    }
    this.pictureId = (this.pictureId + 1) & 0x7fff;
    return out;
  }
}

/**
 * Largest VP8 frame rebuilt, in octets: a 4K key frame at high quality stays well below 4 MiB;
 * the cap bounds what a sender that never sets the marker can make us hold.
 */
export const MAX_VP8_FRAME_SIZE = 4 * 1024 * 1024;

export interface Vp8DepacketizerOptions extends DepacketizerOptions {
  /** Hold output until a key frame at start and after each loss (default true). */
  requireKeyframe?: boolean;
}

/**
 * RTP payloads → whole VP8 frames. A frame starts at S = 1, PID = 0 and ends at the marker
 * (RFC 7741 §4.1) or when the timestamp changes. A sequence gap drops the frame it hit; packets
 * are then skipped up to the next frame start.
 */
export class Vp8Depacketizer implements RtpDepacketizer {
  readonly clockRate = VP8_CLOCK_RATE;
  readonly stats: DepacketizerStats = { lostPackets: 0, discardedPackets: 0, droppedUnits: 0 };
  private readonly requireKeyframe: boolean;
  private readonly sequence = new SequenceTracker();
  private readonly clock: RtpTimestampUnwrapper;
  private waiting: boolean;
  private frame: { timestamp: number; parts: Uint8Array[]; size: number } | undefined;

  constructor(options: Vp8DepacketizerOptions = {}) {
    this.requireKeyframe = options.requireKeyframe ?? true;
    this.waiting = this.requireKeyframe;
    this.clock = new RtpTimestampUnwrapper(options.timestampOrigin);
  }

  get waitingForKeyframe(): boolean {
    return this.waiting;
  }

  push(packet: RtpPayloadIn): DepacketizeResult {
    const units: AccessUnit[] = [];
    try {
      this.process(packet, units);
      return { units };
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.drop();
      return { units, error: err };
    }
  }

  private process(packet: RtpPayloadIn, out: AccessUnit[]): void {
    const step = this.sequence.step(packet.sequenceNumber);
    if (step.kind === 'old') {
      this.stats.discardedPackets += 1;
      return;
    }
    if (step.kind === 'gap') this.stats.lostPackets += step.lost;
    if (step.kind === 'gap' || step.kind === 'jump') this.drop();
    if (packet.payload.length === 0) {
      this.stats.discardedPackets += 1; // padding-only
      return;
    }
    const [d, at] = parseVp8Descriptor(packet.payload);
    const data = packet.payload.subarray(at);
    if (this.frame && this.frame.timestamp !== packet.timestamp) this.finish(out);
    if (d.start && d.partitionId === 0) {
      if (this.frame) throw new ParseError('frame-missing-end', 'a new VP8 frame started inside the last one');
      if (data.length === 0) throw new ParseError('truncated', 'VP8 frame start without a payload header');
      this.frame = { timestamp: packet.timestamp, parts: [], size: 0 };
    }
    if (!this.frame) {
      this.stats.discardedPackets += 1; // the rest of a frame whose start was lost or missed
      return;
    }
    if (this.frame.size + data.length > MAX_VP8_FRAME_SIZE) throw new ParseError('frame-too-large', `VP8 frame over ${MAX_VP8_FRAME_SIZE} octets`);
    this.frame.parts.push(data);
    this.frame.size += data.length;
    if (packet.marker) this.finish(out);
  }

  private finish(out: AccessUnit[]): void {
    const frame = this.frame;
    if (!frame) return;
    this.frame = undefined;
    const data = new Uint8Array(frame.size);
    let at = 0;
    for (const p of frame.parts) {
      data.set(p, at);
      at += p.length;
    }
    const keyframe = ((data[0] as number) & INVERSE_KEYFRAME) === 0;
    if (this.waiting && !keyframe) {
      this.stats.droppedUnits += 1;
      return;
    }
    this.waiting = false;
    const pts = this.clock.unwrap(frame.timestamp);
    out.push({ type: 'video', codec: 'vp8', pts, dts: pts, keyframe, data });
  }

  private drop(): void {
    if (this.frame) this.stats.droppedUnits += 1;
    this.frame = undefined;
    if (this.requireKeyframe) this.waiting = true;
  }
}

/**
 * Keeps PictureID and TL0PICIDX continuous across a change of source (simulcast layer switch,
 * publisher restart), as receivers use gaps in them to detect loss (RFC 7741 §4.2). Each value
 * keeps the width the packet carries; after `switchSource()`, the next picture continues from
 * the last written one. Returns a rewritten copy; the input is never changed.
 */
export class Vp8PictureIdRewriter {
  private pictureOffset = 0;
  private tl0Offset = 0;
  private lastPictureId: number | undefined;
  private lastTl0: number | undefined;
  private rebase = false;

  /** The next packet comes from a different source: re-anchor its numbering. */
  switchSource(): void {
    this.rebase = true;
  }

  rewrite(payload: Uint8Array): Uint8Array {
    const [d, at] = parseVp8Descriptor(payload);
    const rebase = this.rebase;
    this.rebase = false;
    if (d.pictureId) {
      const mod = 2 ** d.pictureId.bits;
      if (rebase && this.lastPictureId !== undefined) this.pictureOffset = this.lastPictureId + 1 - d.pictureId.value;
      const value = (((d.pictureId.value + this.pictureOffset) % mod) + mod) % mod;
      d.pictureId = { value, bits: d.pictureId.bits };
      this.lastPictureId = value;
    }
    if (d.tl0PicIdx !== undefined) {
      if (rebase && this.lastTl0 !== undefined) this.tl0Offset = this.lastTl0 + 1 - d.tl0PicIdx;
      d.tl0PicIdx = (((d.tl0PicIdx + this.tl0Offset) % 256) + 256) % 256;
      this.lastTl0 = d.tl0PicIdx;
    }
    const descriptor = writeVp8Descriptor(d);
    const out = new Uint8Array(descriptor.length + payload.length - at);
    out.set(descriptor, 0);
    out.set(payload.subarray(at), descriptor.length);
    return out;
  }
}
