/**
 * AAC over RTP as RFC 3640 `mpeg4-generic`, mode AAC-hbr (§3.3.6): several whole AUs per
 * packet, or one AU fragmented over several packets, each described by an AU-header of a
 * 13-bit AU-size and a 3-bit AU-Index / AU-Index-delta. The RTP clock is the sample rate.
 *
 * Payload (§3.2.1), with the AU Header Section (§3.2.1.1):
 *
 *     +---------+-----------+-----------+---------------+
 *     | RTP     | AU Header | Auxiliary | Access Unit   |
 *     | Header  | Section   | Section   | Data Section  |
 *     +---------+-----------+-----------+---------------+
 *
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+- .. -+-+-+-+-+-+-+-+-+-+
 *     |AU-headers-length|AU-header|AU-header|      |AU-header|padding|
 *     |    (16 bits)    |   (1)   |   (2)   |      |   (n)   | bits  |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+- .. -+-+-+-+-+-+-+-+-+-+
 *
 *     AU-header: | AU-size (sizelength) | AU-Index or AU-Index-delta (indexlength) |
 *
 * AU-headers-length counts bits. The Auxiliary Section is absent (auxiliarydatasizelength 0).
 */
import { BitReader } from '../bits/bit-reader.js';
import { ParseError } from '../errors.js';
import { AAC_SAMPLES_PER_FRAME } from '../codec/aac.js';
import { AU_CLOCK_RATE, type AccessUnit } from '../media/access-unit.js';
import { ptsToRtpTimestamp, rescaleTicks, RtpTimestampUnwrapper, SequenceTracker } from './clock.js';
import {
  DEFAULT_MAX_PAYLOAD_SIZE,
  type DepacketizeResult, type DepacketizerOptions, type DepacketizerStats, type PacketizerOptions,
  type RtpDepacketizer, type RtpPacketizer, type RtpPayloadIn, type RtpPayloadOut,
} from './types.js';

/** AAC-hbr field widths (RFC 3640 §3.3.6). */
export const AAC_HBR_SIZE_LENGTH = 13;
export const AAC_HBR_INDEX_LENGTH = 3;
/** Largest AU an AAC-hbr header can describe: 2^13 − 1 octets. */
export const AAC_HBR_MAX_AU_SIZE = 2 ** AAC_HBR_SIZE_LENGTH - 1;
/** AU-headers-length field: 16 bits (§3.2.1). */
const HEADERS_LENGTH_SIZE = 2;
/** One AAC-hbr AU-header: 13 + 3 bits. */
const HBR_HEADER_SIZE = 2;

/**
 * Most AU-headers read from one packet. An AAC frame is at least a few octets, so a 1500-octet
 * packet never holds more than a few hundred; the cap bounds the work of a hostile header count.
 */
export const MAX_AUS_PER_PACKET = 256;

/** The SDP fmtp line for AAC-hbr (RFC 3640 §4.1) with the AudioSpecificConfig in hex. */
export function aacHbrFmtp(audioSpecificConfig: Uint8Array): string {
  const config = Buffer.from(audioSpecificConfig).toString('hex');
  return `streamtype=5; profile-level-id=1; mode=AAC-hbr; sizelength=13; indexlength=3; indexdeltalength=3; config=${config}`;
}

export interface AacPacketizerOptions extends PacketizerOptions {
  /** The RTP clock: the AAC sample rate (RFC 3640 §4.1, rtpmap). */
  sampleRate: number;
}

/** AAC AccessUnits (raw frames) → AAC-hbr RTP payloads. */
export class AacHbrPacketizer implements RtpPacketizer {
  readonly clockRate: number;
  private readonly maxPayloadSize: number;
  private readonly timestampOffset: number;

  constructor(options: AacPacketizerOptions) {
    this.clockRate = options.sampleRate;
    this.maxPayloadSize = options.maxPayloadSize ?? DEFAULT_MAX_PAYLOAD_SIZE;
    if (this.maxPayloadSize <= HEADERS_LENGTH_SIZE + HBR_HEADER_SIZE) throw new TypeError('maxPayloadSize too small for AAC-hbr');
    this.timestampOffset = options.timestampOffset ?? 0;
  }

  packetize(unit: AccessUnit): RtpPayloadOut[] {
    return this.packetizeMany([unit]);
  }

  /**
   * Consecutive AUs (each right after the one before, as §3.2.2 requires of AUs sharing a
   * packet) → as few packets as fit, each with the first AU's timestamp and the marker set.
   * An AU too large for one packet is fragmented (§3.2.3): the same AU-header (full size) in
   * every fragment, the marker only on the last.
   */
  packetizeMany(units: readonly AccessUnit[]): RtpPayloadOut[] {
    const out: RtpPayloadOut[] = [];
    let group: AccessUnit[] = [];
    let groupSize = HEADERS_LENGTH_SIZE;
    const flush = (): void => {
      if (group.length > 0) out.push(this.packet(group.map((u) => u.data), group.map((u) => u.data.length), group[0] as AccessUnit, true));
      group = [];
      groupSize = HEADERS_LENGTH_SIZE;
    };
    for (const unit of units) {
      if (unit.data.length > AAC_HBR_MAX_AU_SIZE) throw new ParseError('au-too-large', `AAC frame of ${unit.data.length} octets`);
      const cost = HBR_HEADER_SIZE + unit.data.length;
      if (HEADERS_LENGTH_SIZE + cost > this.maxPayloadSize) {
        flush();
        const chunk = this.maxPayloadSize - HEADERS_LENGTH_SIZE - HBR_HEADER_SIZE;
        for (let at = 0; at < unit.data.length; at += chunk) {
          out.push(this.packet([unit.data.subarray(at, at + chunk)], [unit.data.length], unit, at + chunk >= unit.data.length));
        }
        continue;
      }
      if (group.length > 0 && groupSize + cost > this.maxPayloadSize) flush();
      group.push(unit);
      groupSize += cost;
    }
    flush();
    return out;
  }

  private packet(parts: readonly Uint8Array[], sizes: readonly number[], first: AccessUnit, marker: boolean): RtpPayloadOut {
    const headerBytes = HBR_HEADER_SIZE * sizes.length;
    const payload = new Uint8Array(HEADERS_LENGTH_SIZE + headerBytes + parts.reduce((n, p) => n + p.length, 0));
    const bits = 8 * headerBytes;
    payload[0] = bits >>> 8;
    payload[1] = bits & 0xff;
    // AU-size in the top 13 bits, AU-Index / AU-Index-delta 0 (no interleaving) in the low 3.
    sizes.forEach((size, i) => {
      const header = size << AAC_HBR_INDEX_LENGTH;
      payload[HEADERS_LENGTH_SIZE + 2 * i] = header >>> 8;
      payload[HEADERS_LENGTH_SIZE + 2 * i + 1] = header & 0xff;
    });
    let at = HEADERS_LENGTH_SIZE + headerBytes;
    for (const p of parts) {
      payload.set(p, at);
      at += p.length;
    }
    return { payload, marker, timestamp: ptsToRtpTimestamp(first.pts, this.clockRate, this.timestampOffset) };
  }
}

export interface AacDepacketizerOptions extends DepacketizerOptions {
  sampleRate: number;
  /** Samples per AAC frame, for the timestamps of the 2nd..nth AU of a packet (default 1024). */
  samplesPerFrame?: number;
  /** fmtp sizelength / indexlength / indexdeltalength (defaults: AAC-hbr 13/3/3; AAC-lbr is 6/2/2). */
  sizeLength?: number;
  indexLength?: number;
  indexDeltaLength?: number;
}

/** RFC 3640 payloads (AAC-hbr, or other size/index widths) → AAC AccessUnits (raw frames). */
export class AacDepacketizer implements RtpDepacketizer {
  readonly clockRate: number;
  readonly stats: DepacketizerStats = { lostPackets: 0, discardedPackets: 0, droppedUnits: 0 };
  readonly waitingForKeyframe = false;
  private readonly samplesPerFrame: number;
  private readonly sizeLength: number;
  private readonly indexLength: number;
  private readonly indexDeltaLength: number;
  private readonly sequence = new SequenceTracker();
  private readonly clock: RtpTimestampUnwrapper;
  private fragment: { timestamp: number; size: number; parts: Uint8Array[]; received: number } | undefined;
  /** The packet before this one arrived and had the marker: whatever follows starts a new AU. */
  private afterMarker = false;

  constructor(options: AacDepacketizerOptions) {
    this.clockRate = options.sampleRate;
    this.samplesPerFrame = options.samplesPerFrame ?? AAC_SAMPLES_PER_FRAME;
    this.sizeLength = options.sizeLength ?? AAC_HBR_SIZE_LENGTH;
    this.indexLength = options.indexLength ?? AAC_HBR_INDEX_LENGTH;
    this.indexDeltaLength = options.indexDeltaLength ?? AAC_HBR_INDEX_LENGTH;
    if (this.sizeLength < 1 || this.sizeLength > 16) throw new TypeError('sizelength must be 1..16');
    this.clock = new RtpTimestampUnwrapper(options.timestampOrigin);
  }

  push(packet: RtpPayloadIn): DepacketizeResult {
    try {
      return { units: this.process(packet) };
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.dropFragment();
      return { units: [], error: err };
    }
  }

  private process(packet: RtpPayloadIn): AccessUnit[] {
    const step = this.sequence.step(packet.sequenceNumber);
    if (step.kind === 'old' || packet.payload.length === 0) {
      this.stats.discardedPackets += 1;
      return [];
    }
    if (step.kind === 'gap') this.stats.lostPackets += step.lost;
    if (step.kind === 'gap' || step.kind === 'jump' || (this.fragment && this.fragment.timestamp !== packet.timestamp)) this.dropFragment();
    // A fragment has no start flag: it starts an AU only right after a marker, or as the first
    // packet seen (joining inside a fragmented AU then shows as bad-fragment once).
    const startsAu = step.kind === 'first' || (step.kind === 'next' && this.afterMarker);
    this.afterMarker = packet.marker;

    const { sizes, dataOffset } = this.readHeaders(packet.payload);
    const data = packet.payload.subarray(dataOffset);
    const firstSize = sizes[0] as number;
    if (this.fragment || (sizes.length === 1 && firstSize > data.length)) return this.addFragment(packet, firstSize, data, startsAu);

    const base = this.clock.unwrap(packet.timestamp);
    const units: AccessUnit[] = [];
    let at = 0;
    sizes.forEach((size, i) => {
      if (size > data.length - at) throw new ParseError('truncated', `AU of ${size} octets, ${data.length - at} left`);
      units.push(this.unit(base + i * this.samplesPerFrame, data.slice(at, at + size)));
      at += size;
    });
    this.afterMarker = true; // complete AUs: whatever follows starts a new one, marker or not
    return units;
  }

  /** §3.2.3: fragments of one AU share its timestamp; the marker ends it. */
  private addFragment(packet: RtpPayloadIn, size: number, data: Uint8Array, startsAu: boolean): AccessUnit[] {
    if (!this.fragment) {
      if (!startsAu) {
        this.stats.discardedPackets += 1; // the rest of an AU whose first fragment was lost
        return [];
      }
      this.fragment = { timestamp: packet.timestamp, size, parts: [], received: 0 };
    }
    const f = this.fragment;
    if (size !== f.size) throw new ParseError('bad-fragment', `AU-size changed from ${f.size} to ${size} inside a fragmented AU`);
    if (f.received + data.length > f.size) throw new ParseError('bad-fragment', 'fragments longer than their AU');
    f.parts.push(data);
    f.received += data.length;
    if (!packet.marker) return [];
    this.fragment = undefined;
    if (f.received !== f.size) throw new ParseError('bad-fragment', `AU of ${f.size} octets ended after ${f.received}`);
    const au = new Uint8Array(f.size);
    let at = 0;
    for (const p of f.parts) {
      au.set(p, at);
      at += p.length;
    }
    return [this.unit(this.clock.unwrap(f.timestamp), au)];
  }

  private unit(ticks: number, data: Uint8Array): AccessUnit {
    const pts = rescaleTicks(ticks, this.clockRate, AU_CLOCK_RATE);
    return { type: 'audio', codec: 'aac', pts, dts: pts, keyframe: true, data };
  }

  /** AU-headers-length, then the AU-headers (first with AU-Index, later with AU-Index-delta). */
  private readHeaders(payload: Uint8Array): { sizes: number[]; dataOffset: number } {
    if (payload.length < HEADERS_LENGTH_SIZE) throw new ParseError('truncated', 'no AU-headers-length');
    const bits = ((payload[0] as number) << 8) | (payload[1] as number);
    const headerBytes = Math.ceil(bits / 8);
    if (HEADERS_LENGTH_SIZE + headerBytes > payload.length) throw new ParseError('truncated', 'AU header section past the end');
    const r = new BitReader(payload, HEADERS_LENGTH_SIZE, headerBytes);
    const sizes: number[] = [];
    let left = bits;
    while (left > 0) {
      const indexBits = sizes.length === 0 ? this.indexLength : this.indexDeltaLength;
      if (left < this.sizeLength + indexBits) throw new ParseError('bad-au-headers', `${left} bits left over in the AU header section`);
      if (sizes.length >= MAX_AUS_PER_PACKET) throw new ParseError('too-many-aus', `more than ${MAX_AUS_PER_PACKET} AU-headers`);
      sizes.push(r.readBits(this.sizeLength));
      if (indexBits > 0 && r.readBits(indexBits) !== 0) throw new ParseError('unsupported-interleaving', 'non-zero AU-Index / AU-Index-delta');
      left -= this.sizeLength + indexBits;
    }
    if (sizes.length === 0) throw new ParseError('bad-au-headers', 'no AU-headers');
    return { sizes, dataOffset: HEADERS_LENGTH_SIZE + headerBytes };
  }

  private dropFragment(): void {
    if (this.fragment) this.stats.droppedUnits += 1;
    this.fragment = undefined;
  }
}
