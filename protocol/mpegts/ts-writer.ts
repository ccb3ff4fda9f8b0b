/**
 * MPEG-2 transport stream writer (ISO 13818-1) for one program: PAT/PMT, PES packetization of
 * H.264, H.265 (Annex B with access unit delimiters and parameter sets before random access
 * points) and AAC (ADTS), PCR on the video PID, continuity counters, adaptation-field
 * stuffing and random_access_indicator. Pure: returns bytes, holds only counters.
 */
import { AAC_SAMPLE_RATES, buildAdtsHeader, parseAudioSpecificConfig, type AudioSpecificConfig } from '../codec/aac.js';
import { parseAvcDecoderConfig } from '../codec/avc-config.js';
import { H264NalType, h264NalType } from '../codec/h264.js';
import { H265NalType, h265NalType } from '../codec/h265.js';
import { hevcConfigNalu, parseHevcDecoderConfig } from '../codec/hevc-config.js';
import { joinAnnexB, splitAvcc } from '../codec/nal.js';
import type { AccessUnit, TrackInfo } from '../media/access-unit.js';
import { TS_HEADER_SIZE, TS_MAX_PAYLOAD, TS_PACKET_SIZE, TS_SYNC_BYTE } from './packet.js';
import { StreamId, buildPesHeader } from './pes.js';
import { PAT_PID, StreamType, buildPat, buildPmt } from './psi.js';
import { PCR_FIELD_SIZE, writePcrField } from './timestamp.js';

/** Default PIDs, as ffmpeg's muxer uses them: PMT 0x1000, elementary streams from 0x100. */
export const DEFAULT_PMT_PID = 0x1000;
export const DEFAULT_FIRST_ES_PID = 0x100;
const PROGRAM_NUMBER = 1;

/** access_unit_delimiter_rbsp with primary_pic_type 7 (any slice type; H.264 §7.3.2.4). */
const H264_AUD = Uint8Array.of(0x09, 0xf0);
/** AUD NAL (type 35, layer 0, TemporalId 0) with pic_type 2 (I, P, B; H.265 §7.3.2.5). */
const H265_AUD = Uint8Array.of(0x46, 0x01, 0x50);

/** What the writer needs from a track's codec: stream type, stream_id and the PES payload. */
interface TsCodec {
  streamType: number;
  streamId: number;
  /** Elementary stream bytes for one access unit. */
  payload(au: AccessUnit): Uint8Array;
}

/** H.264/H.265 payload: AUD first, parameter sets before a random access point, Annex B. */
function videoCodec(streamType: number, aud: Uint8Array, paramSets: Uint8Array[], typeOf: (n: Uint8Array) => number, audType: number, spsType: number): TsCodec {
  return {
    streamType,
    streamId: StreamId.Video,
    payload(au) {
      const nalus = splitAvcc(au.data);
      const out: Uint8Array[] = [];
      const hasAud = nalus[0] !== undefined && typeOf(nalus[0]) === audType;
      if (!hasAud) out.push(aud);
      if (au.keyframe && !nalus.some((n) => typeOf(n) === spsType)) {
        if (hasAud) out.push(nalus.shift() as Uint8Array);
        out.push(...paramSets);
      }
      out.push(...nalus);
      return joinAnnexB(out);
    },
  };
}

function aacCodec(asc: AudioSpecificConfig): TsCodec {
  return {
    streamType: StreamType.AacAdts,
    streamId: StreamId.Audio,
    payload(au) {
      const header = buildAdtsHeader({ objectType: asc.objectType, sampleRate: asc.sampleRate, channelConfiguration: asc.channelConfiguration, payloadLength: au.data.length });
      const out = new Uint8Array(header.length + au.data.length);
      out.set(header);
      out.set(au.data, header.length);
      return out;
    },
  };
}

/** The codec table: TrackInfo → how to write it; TypeError for codecs TS output lacks. */
function codecFor(track: TrackInfo): TsCodec {
  if (track.type === 'video' && track.codec === 'h264') {
    if (!track.config) throw new TypeError('H.264 track needs its avcC config');
    const c = parseAvcDecoderConfig(track.config);
    return videoCodec(StreamType.H264, H264_AUD, [...c.sps, ...c.pps], h264NalType, H264NalType.Aud, H264NalType.Sps);
  }
  if (track.type === 'video' && track.codec === 'h265') {
    if (!track.config) throw new TypeError('H.265 track needs its hvcC config');
    const c = parseHevcDecoderConfig(track.config);
    const sets = [H265NalType.Vps, H265NalType.Sps, H265NalType.Pps].map((t) => hevcConfigNalu(c, t));
    if (sets.some((s) => s === undefined)) throw new TypeError('hvcC lacks VPS, SPS or PPS');
    return videoCodec(StreamType.H265, H265_AUD, sets as Uint8Array[], h265NalType, H265NalType.Aud, H265NalType.Sps);
  }
  if (track.type === 'audio' && track.codec === 'aac') {
    if (!track.config) throw new TypeError('AAC track needs its AudioSpecificConfig');
    const asc = parseAudioSpecificConfig(track.config);
    // ADTS has a 4-bit sampling_frequency_index and a 2-bit profile: no escape rate, AOT 1..4.
    if (!AAC_SAMPLE_RATES.includes(asc.sampleRate) || asc.objectType > 4) throw new TypeError(`ADTS cannot carry ${asc.sampleRate} Hz object type ${asc.objectType}`);
    return aacCodec(asc);
  }
  throw new TypeError(`MPEG-TS writer does not carry ${track.codec}`);
}

export interface TsWriterOptions {
  pmtPid?: number;
  /** PID of the first track; the others follow. */
  firstPid?: number;
}

/** Writes one program of H.264/H.265/AAC tracks as 188-byte transport packets. */
export class TsWriter {
  /** Elementary PID of each track, in the order given. */
  readonly pids: readonly number[];
  /** The PID that carries the PCR: the first video track, else the first track. */
  readonly pcrPid: number;
  private readonly codecs: TsCodec[];
  private readonly pmtPid: number;
  private readonly counters = new Map<number, number>();

  constructor(tracks: readonly TrackInfo[], options: TsWriterOptions = {}) {
    if (tracks.length === 0) throw new TypeError('TsWriter needs at least one track');
    this.pmtPid = options.pmtPid ?? DEFAULT_PMT_PID;
    const first = options.firstPid ?? DEFAULT_FIRST_ES_PID;
    this.codecs = tracks.map(codecFor);
    this.pids = tracks.map((_, i) => first + i);
    const video = tracks.findIndex((t) => t.type === 'video');
    this.pcrPid = this.pids[Math.max(video, 0)] as number;
  }

  /** PAT and PMT, one packet each; write them at the start of every segment. */
  writeTables(): Uint8Array {
    const pat = buildPat({ programNumber: PROGRAM_NUMBER, pmtPid: this.pmtPid });
    const pmt = buildPmt({
      programNumber: PROGRAM_NUMBER,
      pcrPid: this.pcrPid,
      streams: this.codecs.map((c, i) => ({ streamType: c.streamType, pid: this.pids[i] as number })),
    });
    const out = new Uint8Array(2 * TS_PACKET_SIZE);
    out.set(this.psiPacket(PAT_PID, pat), 0);
    out.set(this.psiPacket(this.pmtPid, pmt), TS_PACKET_SIZE);
    return out;
  }

  /** The transport packets of one access unit of track `index` (one PES packet). */
  writeAccessUnit(index: number, au: AccessUnit): Uint8Array {
    const codec = this.codecs[index];
    const pid = this.pids[index];
    if (!codec || pid === undefined) throw new RangeError(`no track ${index}`);
    const es = codec.payload(au);
    const header = buildPesHeader({ streamId: codec.streamId, pts: au.pts, dts: au.dts, payloadLength: es.length, dataAlignment: true });
    const pes = new Uint8Array(header.length + es.length);
    pes.set(header);
    pes.set(es, header.length);
    const pcr = pid === this.pcrPid ? au.dts : undefined;
    return this.packetize(pid, pes, au.type === 'video' && au.keyframe, pcr);
  }

  private nextCounter(pid: number): number {
    const cc = this.counters.get(pid) ?? 0;
    this.counters.set(pid, (cc + 1) % 16);
    return cc;
  }

  /** A section in one packet: pointer_field 0, the section, 0xFF stuffing (§2.4.4.1). */
  private psiPacket(pid: number, sectionBytes: Uint8Array): Uint8Array {
    const out = new Uint8Array(TS_PACKET_SIZE).fill(0xff);
    out[0] = TS_SYNC_BYTE;
    out[1] = 0x40 | (pid >>> 8); // payload_unit_start_indicator
    out[2] = pid & 0xff;
    out[3] = 0x10 | this.nextCounter(pid); // payload only
    out[4] = 0; // pointer_field
    out.set(sectionBytes, 5);
    return out;
  }

  /**
   * Splits a PES packet over transport packets (§2.4.3.2). The first packet carries
   * payload_unit_start_indicator and, when asked, an adaptation field with
   * random_access_indicator and PCR; the last is padded with adaptation-field stuffing.
   */
  private packetize(pid: number, pes: Uint8Array, randomAccess: boolean, pcr: number | undefined): Uint8Array {
    const packets: Uint8Array[] = [];
    let offset = 0;
    while (offset < pes.length) {
      const first = offset === 0;
      const flagsWanted = first && (randomAccess || pcr !== undefined);
      // adaptation_field_length byte + flags byte + optional PCR
      let afSize = flagsWanted ? 2 + (pcr !== undefined ? PCR_FIELD_SIZE : 0) : 0;
      const remaining = pes.length - offset;
      if (remaining < TS_MAX_PAYLOAD - afSize) afSize = TS_MAX_PAYLOAD - remaining;
      const payloadSize = TS_MAX_PAYLOAD - afSize;
      const p = new Uint8Array(TS_PACKET_SIZE);
      p[0] = TS_SYNC_BYTE;
      p[1] = (first ? 0x40 : 0) | (pid >>> 8);
      p[2] = pid & 0xff;
      p[3] = (afSize > 0 ? 0x30 : 0x10) | this.nextCounter(pid);
      if (afSize > 0) {
        p[4] = afSize - 1; // adaptation_field_length
        if (afSize > 1) {
          let flags = 0;
          let at = 6;
          if (first && randomAccess) flags |= 0x40;
          if (first && pcr !== undefined) {
            flags |= 0x10;
            writePcrField(p, at, pcr);
            at += PCR_FIELD_SIZE;
          }
          p[5] = flags;
          p.fill(0xff, at, TS_HEADER_SIZE + afSize); // stuffing_byte
        }
      }
      p.set(pes.subarray(offset, offset + payloadSize), TS_HEADER_SIZE + afSize);
      offset += payloadSize;
      packets.push(p);
    }
    const out = new Uint8Array(packets.length * TS_PACKET_SIZE);
    packets.forEach((p, i) => out.set(p, i * TS_PACKET_SIZE));
    return out;
  }
}
