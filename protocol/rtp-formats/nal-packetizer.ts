/**
 * Packetizer shared by H.264 (RFC 6184, packetization-mode 1) and H.265 (RFC 7798, no DONL):
 * an AccessUnit's NAL units become single NAL unit packets, aggregation packets of small NAL
 * units, or fragmentation units of large ones, all with the AU's timestamp and the marker on
 * the last packet (RFC 6184 §5.1, RFC 7798 §4.1).
 */
import { ParseError } from '../errors.js';
import { splitAvcc } from '../codec/nal.js';
import { AU_CLOCK_RATE, type AccessUnit } from '../media/access-unit.js';
import { ptsToRtpTimestamp } from './clock.js';
import { AGGREGATION_SIZE_FIELD, FU_HEADER_SIZE, type NalPayloadFormat } from './nal-format.js';
import { DEFAULT_MAX_PAYLOAD_SIZE, type PacketizerOptions, type RtpPacketizer, type RtpPayloadOut } from './types.js';

/**
 * Largest payload size accepted as an option: the aggregation size field is 16 bits, and no
 * RTP transport carries more than a UDP datagram's 65507 octets anyway.
 */
export const MAX_PAYLOAD_SIZE_LIMIT = 0xffff;

export interface NalPacketizerOptions extends PacketizerOptions {
  /** Decoder configuration record (avcC / hvcC) whose parameter sets go before keyframes that lack them. */
  config?: Uint8Array;
}

export class NalPacketizer implements RtpPacketizer {
  readonly clockRate = AU_CLOCK_RATE;
  private readonly maxPayloadSize: number;
  private readonly timestampOffset: number;
  /** Latest parameter sets by type: from the config, replaced by any sent in-band. */
  private readonly parameterSets = new Map<number, Uint8Array[]>();

  constructor(
    private readonly format: NalPayloadFormat,
    options: NalPacketizerOptions = {},
  ) {
    this.maxPayloadSize = options.maxPayloadSize ?? DEFAULT_MAX_PAYLOAD_SIZE;
    // A fragment must carry at least one octet after its headers.
    const min = format.headerSize + FU_HEADER_SIZE + 1;
    if (!Number.isInteger(this.maxPayloadSize) || this.maxPayloadSize < min || this.maxPayloadSize > MAX_PAYLOAD_SIZE_LIMIT) {
      throw new TypeError(`maxPayloadSize must be an integer in ${min}..${MAX_PAYLOAD_SIZE_LIMIT}`);
    }
    this.timestampOffset = options.timestampOffset ?? 0;
    if (options.config) this.remember(format.parameterSetsFromConfig(options.config));
  }

  /** Packets for one AccessUnit (AVCC NAL units with 4-octet lengths). */
  packetize(unit: AccessUnit): RtpPayloadOut[] {
    const nalus = this.withParameterSets(splitAvcc(unit.data));
    const timestamp = ptsToRtpTimestamp(unit.pts, this.clockRate, this.timestampOffset);
    const payloads = this.payloads(nalus);
    return payloads.map((payload, i) => ({ payload, marker: i === payloads.length - 1, timestamp }));
  }

  private remember(nalus: readonly Uint8Array[]): void {
    const found = new Map<number, Uint8Array[]>();
    for (const n of nalus) {
      const t = this.format.nalType(n);
      if (this.format.parameterSetTypes.includes(t)) found.set(t, [...(found.get(t) ?? []), n]);
    }
    for (const [t, list] of found) this.parameterSets.set(t, list);
  }

  /**
   * The AU's NAL units with the known parameter sets of each missing type inserted before a
   * keyframe, after a leading access unit delimiter (H.264 §7.4.1.2.3, H.265 §7.4.2.4.4).
   */
  private withParameterSets(nalus: Uint8Array[]): Uint8Array[] {
    for (const n of nalus) {
      if (n.length < this.format.headerSize) throw new ParseError('truncated', 'NAL unit shorter than its header');
    }
    this.remember(nalus);
    const types = nalus.map((n) => this.format.nalType(n));
    if (!types.some((t) => this.format.isKeyframeType(t))) return nalus;
    const missing = this.format.parameterSetTypes.filter((t) => !types.includes(t)).flatMap((t) => this.parameterSets.get(t) ?? []);
    if (missing.length === 0) return nalus;
    const at = types[0] === this.format.audType ? 1 : 0;
    return [...nalus.slice(0, at), ...missing, ...nalus.slice(at)];
  }

  /** Greedy packing in NAL order: small units share aggregation packets, large ones fragment. */
  private payloads(nalus: readonly Uint8Array[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    let group: Uint8Array[] = [];
    let groupSize = this.format.headerSize;
    const flush = (): void => {
      if (group.length === 1) out.push(group[0] as Uint8Array);
      else if (group.length > 1) out.push(this.aggregate(group));
      group = [];
      groupSize = this.format.headerSize;
    };
    for (const nalu of nalus) {
      if (nalu.length > this.maxPayloadSize) {
        flush();
        out.push(...this.fragment(nalu));
        continue;
      }
      const cost = AGGREGATION_SIZE_FIELD + nalu.length;
      if (group.length > 0 && groupSize + cost > this.maxPayloadSize) flush();
      group.push(nalu);
      groupSize += cost;
    }
    flush();
    return out;
  }

  /** RFC 6184 §5.7.1 STAP-A / RFC 7798 §4.4.2 AP: header, then (16-bit size, NAL unit)*. */
  private aggregate(nalus: readonly Uint8Array[]): Uint8Array {
    const header = this.format.aggregationHeader(nalus);
    let size = header.length;
    for (const n of nalus) size += AGGREGATION_SIZE_FIELD + n.length;
    const out = new Uint8Array(size);
    out.set(header, 0);
    let at = header.length;
    for (const n of nalus) {
      out[at] = n.length >>> 8;
      out[at + 1] = n.length & 0xff;
      out.set(n, at + AGGREGATION_SIZE_FIELD);
      at += AGGREGATION_SIZE_FIELD + n.length;
    }
    return out;
  }

  /** RFC 6184 §5.8 FU-A / RFC 7798 §4.4.3 FU: the NAL payload (header dropped) in slices. */
  private fragment(nalu: Uint8Array): Uint8Array[] {
    const body = nalu.subarray(this.format.headerSize);
    const chunk = this.maxPayloadSize - this.format.headerSize - FU_HEADER_SIZE;
    const out: Uint8Array[] = [];
    for (let at = 0; at < body.length; at += chunk) {
      const part = body.subarray(at, at + chunk);
      const header = this.format.fragmentHeader(nalu, at === 0, at + chunk >= body.length);
      const payload = new Uint8Array(header.length + part.length);
      payload.set(header, 0);
      payload.set(part, header.length);
      out.push(payload);
    }
    return out;
  }
}
