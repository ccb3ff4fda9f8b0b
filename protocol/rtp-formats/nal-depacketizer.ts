/**
 * Depacketizer shared by H.264 (RFC 6184, packetization-mode 0 and 1) and H.265 (RFC 7798,
 * no DONL): single NAL unit packets, aggregation packets and fragmentation units back into
 * AccessUnits with AVCC NAL units. An AU ends at the marker bit (RFC 6184 §5.1) or, for senders
 * that forget it, when the timestamp changes. A sequence gap drops the AU it damaged; output
 * then waits for the next keyframe unless `requireKeyframe` is false. RTP timestamps are
 * presentation times (RFC 6184 §5.1), so dts = pts here; streams with B-frames need their decode
 * order timing rebuilt downstream.
 */
import { ParseError } from '../errors.js';
import { joinAvcc, MAX_NALUS_PER_BUFFER } from '../codec/nal.js';
import { AU_CLOCK_RATE, type AccessUnit } from '../media/access-unit.js';
import { RtpTimestampUnwrapper, SequenceTracker } from './clock.js';
import { AGGREGATION_SIZE_FIELD, FU_HEADER_SIZE, type NalPayloadFormat } from './nal-format.js';
import type { DepacketizeResult, DepacketizerOptions, DepacketizerStats, RtpDepacketizer, RtpPayloadIn } from './types.js';

/**
 * Largest access unit rebuilt, in octets. Intra frames from 4K cameras at high bitrates reach
 * 2–4 MB; 16 MiB leaves headroom while bounding what a sender that never sets the marker can
 * make us hold.
 */
export const MAX_ACCESS_UNIT_SIZE = 16 * 1024 * 1024;

/**
 * Most NAL units in one access unit: the cap `splitAvcc` applies, so every AU emitted here can
 * be split again downstream.
 */
export const MAX_NALUS_PER_ACCESS_UNIT = MAX_NALUS_PER_BUFFER;

export interface NalDepacketizerOptions extends DepacketizerOptions {
  /** Hold output until a keyframe at start and after each loss or error (default true). */
  requireKeyframe?: boolean;
}

interface PendingUnit {
  timestamp: number;
  pts: number;
  nalus: Uint8Array[];
  size: number;
  keyframe: boolean;
}

interface PendingFragment {
  header: Uint8Array;
  parts: Uint8Array[];
  size: number;
}

export class NalDepacketizer implements RtpDepacketizer {
  readonly clockRate = AU_CLOCK_RATE;
  readonly stats: DepacketizerStats = { lostPackets: 0, discardedPackets: 0, droppedUnits: 0 };
  private readonly requireKeyframe: boolean;
  private readonly sequence = new SequenceTracker();
  private readonly clock: RtpTimestampUnwrapper;
  private waiting: boolean;
  private unit: PendingUnit | undefined;
  private fragment: PendingFragment | undefined;
  /** After a loss, packets with this timestamp belong to a damaged AU and are skipped. */
  private damagedTimestamp: number | undefined;

  constructor(
    private readonly format: NalPayloadFormat,
    options: NalDepacketizerOptions = {},
  ) {
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
      this.dropUnit();
      return { units, error: err };
    }
  }

  private process(packet: RtpPayloadIn, out: AccessUnit[]): void {
    const { payload, timestamp } = packet;
    const step = this.sequence.step(packet.sequenceNumber);
    if (step.kind === 'old') {
      this.stats.discardedPackets += 1;
      return;
    }
    if (step.kind === 'gap' || step.kind === 'jump') {
      if (step.kind === 'gap') this.stats.lostPackets += step.lost;
      // The lost packets may hold the start of this packet's AU as well as the end of the
      // pending one: both are damaged.
      this.dropUnit();
      this.damagedTimestamp = timestamp;
    }
    if (payload.length === 0) {
      // Padding-only packets (bandwidth probes) carry no media (RFC 3550 §5.1, P bit).
      this.stats.discardedPackets += 1;
      return;
    }
    if (payload.length < this.format.headerSize) throw new ParseError('truncated', 'payload shorter than its header');
    const kind = this.format.packetKind(this.format.nalType(payload));
    if (step.kind === 'first' && kind === 'fragment' && this.isFragmentContinuation(payload)) {
      this.damagedTimestamp = timestamp; // joined in the middle of an AU
    }
    if (this.damagedTimestamp !== undefined) {
      if (timestamp === this.damagedTimestamp) {
        this.stats.discardedPackets += 1;
        return;
      }
      this.damagedTimestamp = undefined;
    }
    if (this.unit && this.unit.timestamp !== timestamp) this.finishUnit(out);

    switch (kind) {
      case 'single':
        this.addNalu(timestamp, payload);
        break;
      case 'aggregation':
        this.addAggregation(timestamp, payload);
        break;
      case 'fragment':
        this.addFragment(timestamp, payload);
        break;
    }
    if (packet.marker) this.finishUnit(out);
  }

  private isFragmentContinuation(payload: Uint8Array): boolean {
    return payload.length >= this.format.headerSize + FU_HEADER_SIZE && !this.format.parseFragment(payload).start;
  }

  private openUnit(timestamp: number): PendingUnit {
    this.unit ??= { timestamp, pts: this.clock.unwrap(timestamp), nalus: [], size: 0, keyframe: false };
    return this.unit;
  }

  private addNalu(timestamp: number, nalu: Uint8Array): void {
    const unit = this.openUnit(timestamp);
    if (unit.nalus.length >= MAX_NALUS_PER_ACCESS_UNIT) throw new ParseError('too-many-nalus', `more than ${MAX_NALUS_PER_ACCESS_UNIT} NAL units in an AU`);
    if (unit.size + nalu.length > MAX_ACCESS_UNIT_SIZE) throw new ParseError('au-too-large', `AU over ${MAX_ACCESS_UNIT_SIZE} octets`);
    unit.nalus.push(nalu);
    unit.size += nalu.length;
    if (this.format.isKeyframeType(this.format.nalType(nalu))) unit.keyframe = true;
  }

  /** RFC 6184 §5.7.1 / RFC 7798 §4.4.2: after the payload header, (16-bit size, NAL unit)*. */
  private addAggregation(timestamp: number, payload: Uint8Array): void {
    const nalus: Uint8Array[] = [];
    let at = this.format.headerSize;
    while (at < payload.length) {
      if (payload.length - at < AGGREGATION_SIZE_FIELD) throw new ParseError('truncated', 'aggregation size field past the end');
      const size = ((payload[at] as number) << 8) | (payload[at + 1] as number);
      at += AGGREGATION_SIZE_FIELD;
      if (size < this.format.headerSize) throw new ParseError('bad-aggregation', `aggregated NAL unit of ${size} octets`);
      if (size > payload.length - at) throw new ParseError('truncated', `aggregated NAL unit of ${size} octets, ${payload.length - at} left`);
      nalus.push(payload.subarray(at, at + size));
      at += size;
    }
    if (nalus.length === 0) throw new ParseError('bad-aggregation', 'aggregation packet without NAL units');
    for (const n of nalus) this.addNalu(timestamp, n);
  }

  /** RFC 6184 §5.8 / RFC 7798 §4.4.3: fragments of one NAL unit, first with S, last with E. */
  private addFragment(timestamp: number, payload: Uint8Array): void {
    const dataOffset = this.format.headerSize + FU_HEADER_SIZE;
    if (payload.length < dataOffset) throw new ParseError('truncated', 'fragment shorter than its headers');
    const unit = this.openUnit(timestamp);
    const info = this.format.parseFragment(payload);
    const data = payload.subarray(dataOffset);
    if (info.start && info.end && !this.fragment) {
      // Some cameras send a NAL unit that fits one packet as a lone FU with both S and E set
      // (RFC 6184 §5.8 forbids it): it is a whole NAL unit, so take it as one.
      const nalu = new Uint8Array(info.nalHeader.length + data.length);
      nalu.set(info.nalHeader, 0);
      nalu.set(data, info.nalHeader.length);
      this.addNalu(timestamp, nalu);
      return;
    }
    if (info.start) {
      if (this.fragment) throw new ParseError('fragment-missing-end', 'new fragmented NAL unit before the end of the last');
      this.fragment = { header: info.nalHeader, parts: [data], size: info.nalHeader.length + data.length };
    } else {
      if (!this.fragment) throw new ParseError('fragment-missing-start', 'fragment without a start');
      this.fragment.parts.push(data);
      this.fragment.size += data.length;
    }
    if (unit.size + this.fragment.size > MAX_ACCESS_UNIT_SIZE) throw new ParseError('au-too-large', `AU over ${MAX_ACCESS_UNIT_SIZE} octets`);
    if (!info.end) return;
    const nalu = new Uint8Array(this.fragment.size);
    nalu.set(this.fragment.header, 0);
    let at = this.fragment.header.length;
    for (const part of this.fragment.parts) {
      nalu.set(part, at);
      at += part.length;
    }
    this.fragment = undefined;
    this.addNalu(timestamp, nalu);
  }

  private finishUnit(out: AccessUnit[]): void {
    const unit = this.unit;
    if (!unit) return;
    if (this.fragment) throw new ParseError('fragment-missing-end', 'access unit ended inside a fragmented NAL unit');
    this.unit = undefined;
    if (unit.nalus.length === 0) return;
    if (this.waiting && !unit.keyframe) {
      this.stats.droppedUnits += 1;
      return;
    }
    this.waiting = false;
    out.push({
      type: 'video',
      codec: this.format.codec,
      pts: unit.pts,
      dts: unit.pts,
      keyframe: unit.keyframe,
      data: joinAvcc(unit.nalus),
    });
  }

  /** Forgets the partial AU (counted when there was one) and waits for a keyframe again. */
  private dropUnit(): void {
    if (this.unit || this.fragment) this.stats.droppedUnits += 1;
    this.unit = undefined;
    this.fragment = undefined;
    if (this.requireKeyframe) this.waiting = true;
  }
}
