import type { Logger } from 'pino';
import { buildAvcDecoderConfig } from '../../protocol/codec/avc-config.js';
import { H264NalType } from '../../protocol/codec/h264.js';
import { H265NalType } from '../../protocol/codec/h265.js';
import { buildHevcDecoderConfig } from '../../protocol/codec/hevc-config.js';
import { splitAvcc } from '../../protocol/codec/nal.js';
import { ParseError } from '../../protocol/errors.js';
import { AU_CLOCK_RATE, type AccessUnit, type TrackInfo } from '../../protocol/media/access-unit.js';
import { buildReceiverReport, buildSdesCname } from '../../protocol/rtcp/build.js';
import { parseRtcp } from '../../protocol/rtcp/parse.js';
import { parseRtpHeader } from '../../protocol/rtp/header.js';
import { RtpReceiverStats } from '../../protocol/rtp/receiver-stats.js';
import { RtpReorderBuffer } from '../../protocol/rtp/reorder-buffer.js';
import { tsDelta } from '../../protocol/rtp/sequence.js';
import type { RtpDepacketizer, RtpPayloadIn } from '../../protocol/rtp-formats/types.js';
import { createTrackDepacketizer, type RtspMediaTrack } from '../../protocol/rtsp/sdp-tracks.js';
import type { Stream } from '../hub/stream.js';
import { withDimensions } from '../hub/track-summary.js';
import { ntpToUnixMs } from '../ingest-rtp/rtp-ingest.js';
import { G711_AAC_SAMPLE_RATE, G711ToAac } from '../transcode/g711-to-aac.js';

/** Bad packets logged per ingest (the rest are only counted) so a broken camera cannot flood the log. */
export const MAX_LOGGED_BAD_PACKETS = 5;

interface InTrack {
  index: number;
  track: RtspMediaTrack;
  info: TrackInfo;
  depacketizer: RtpDepacketizer;
  reorder: RtpReorderBuffer<RtpPayloadIn & { arrivalMs: number }> | null;
  stats: RtpReceiverStats;
  ssrc: number | undefined;
  /** RTP timestamp of the depacketizer's pts 0, and when that packet arrived (Unix ms). */
  firstRtp?: number;
  firstArrivalMs?: number;
  /** The last Sender Report: RTP timestamp ↔ wall clock, RFC 3550 §6.4.1. */
  sr?: { rtp: number; unixMs: number };
  lastPts: number;
}

/**
 * The receiving half of an RTSP session (push RECORD on the server, PLAY in the pull client):
 * RTP per track (reordered when it came over UDP) → depacketizer → AccessUnits on one clock
 * → the hub stream. Timestamps are mapped through RTCP Sender Reports when the source sends
 * them (tracks line up by wall clock), else through the first packet's arrival. H.264/H.265
 * parameter sets found in-band replace the SDP's; G.711 is transcoded to AAC so HLS, FLV and
 * RTMP readers can carry it. Packets that do not parse are counted, never thrown.
 */
export class RtspIngest {
  readonly stream: Stream;
  readonly #tracks: InTrack[] = [];
  readonly #log: Logger;
  readonly #ourSsrc: number;
  #wallBase: number | undefined;
  #g711: G711ToAac | null = null;
  #closed = false;
  packets = 0;
  badPackets = 0;
  #lastPacketAt = Date.now();

  /** `tracks` are the supported ones, in channel order (track i uses RTP channel 2i / 2i+1 when interleaved). */
  constructor(options: { stream: Stream; tracks: readonly RtspMediaTrack[]; udp: boolean; log: Logger; ourSsrc: number }) {
    this.stream = options.stream;
    this.#log = options.log;
    this.#ourSsrc = options.ourSsrc;
    options.tracks.forEach((track, index) => {
      const info = track.info;
      if (!info) return;
      this.#tracks.push({
        index,
        track,
        info,
        depacketizer: createTrackDepacketizer(track),
        reorder: options.udp ? new RtpReorderBuffer() : null,
        stats: new RtpReceiverStats(track.clockRate),
        ssrc: undefined,
        lastPts: -1,
      });
      if (info.type === 'audio' && (info.codec === 'pcma' || info.codec === 'pcmu')) {
        this.#g711 = new G711ToAac(info.codec, info.sampleRate, this.#log.child({ child: 'g711-aac' }), (unit, asc) => this.#publishAac(unit, asc));
      } else if (info.type === 'video' && !info.config) {
        // Parameter sets will come in-band; until then the track is announced without config.
      } else {
        this.stream.setTrack(withDimensions(info));
      }
    });
  }

  /** Unix ms of the last RTP or RTCP packet (the caller's liveness check). */
  get lastPacketAt(): number {
    return this.#lastPacketAt;
  }

  get trackCount(): number {
    return this.#tracks.length;
  }

  /** RTP for track `index` (after the interleaved frame or the UDP socket). */
  onRtp(index: number, packet: Uint8Array): void {
    const track = this.#tracks[index];
    if (!track || this.#closed) return;
    const now = Date.now();
    this.#lastPacketAt = now;
    let h: ReturnType<typeof parseRtpHeader>;
    try {
      h = parseRtpHeader(packet); // a version other than 2 is ParseError('bad-version')
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.#bad(err, track);
      return;
    }
    this.packets++;
    track.ssrc ??= h.ssrc;
    track.stats.onPacket(h.sequenceNumber, h.timestamp, now);
    const inPacket = { payload: packet.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength), sequenceNumber: h.sequenceNumber, timestamp: h.timestamp, marker: h.marker, arrivalMs: now };
    const ready = track.reorder ? track.reorder.push(inPacket) : [inPacket];
    for (const p of ready) this.#depacketize(track, p);
  }

  /** RTCP for track `index`: Sender Reports give the wall clock of the RTP timestamps. */
  onRtcp(index: number, packet: Uint8Array): void {
    const track = this.#tracks[index];
    if (!track || this.#closed) return;
    const now = Date.now();
    this.#lastPacketAt = now;
    try {
      for (const p of parseRtcp(packet)) {
        if (p.type !== 'sr') continue;
        track.sr = { rtp: p.rtpTimestamp, unixMs: ntpToUnixMs(p.ntpSeconds, p.ntpFraction) };
        track.stats.onSenderReport(p.ntpSeconds, p.ntpFraction, now);
      }
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.#bad(err, track);
    }
  }

  /** One compound RR + SDES per track that has received RTP (RFC 3550 §6.1), to send back to the source. */
  receiverReports(cname: string): { index: number; packet: Uint8Array }[] {
    const now = Date.now();
    const out: { index: number; packet: Uint8Array }[] = [];
    for (const t of this.#tracks) {
      if (t.ssrc === undefined) continue;
      const block = t.stats.reportBlock(t.ssrc, now);
      if (!block) continue;
      const rr = buildReceiverReport(this.#ourSsrc, [block]);
      const sdes = buildSdesCname(this.#ourSsrc, cname);
      const packet = new Uint8Array(rr.length + sdes.length);
      packet.set(rr, 0);
      packet.set(sdes, rr.length);
      out.push({ index: t.index, packet });
    }
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#g711?.close();
  }

  #bad(err: ParseError, track: InTrack): void {
    this.badPackets++;
    if (this.badPackets <= MAX_LOGGED_BAD_PACKETS) this.#log.warn({ path: this.stream.path, track: track.index, reason: err.reason, badPackets: this.badPackets }, 'bad RTP/RTCP packet skipped');
  }

  #depacketize(track: InTrack, p: RtpPayloadIn & { arrivalMs: number }): void {
    if (track.firstRtp === undefined) {
      track.firstRtp = p.timestamp;
      track.firstArrivalMs = p.arrivalMs;
    }
    const result = track.depacketizer.push(p);
    if (result.error) this.#bad(result.error, track);
    for (const unit of result.units) this.#onUnit(track, unit);
  }

  /**
   * The unit's pts on the stream's clock: its wall time from the track's last SR (else from
   * the first packet's arrival) minus the stream's first unit's, in 90 kHz; never backwards.
   */
  #streamPts(track: InTrack, unit: AccessUnit): number {
    const clock = track.track.clockRate;
    let wall: number;
    if (track.sr && track.firstRtp !== undefined) {
      const rtp = (track.firstRtp + Math.round((unit.pts * clock) / AU_CLOCK_RATE)) >>> 0;
      wall = track.sr.unixMs + (tsDelta(rtp, track.sr.rtp) * 1000) / clock;
    } else {
      wall = (track.firstArrivalMs ?? Date.now()) + (unit.pts * 1000) / AU_CLOCK_RATE;
    }
    this.#wallBase ??= wall;
    const pts = Math.max(0, Math.round(((wall - this.#wallBase) * AU_CLOCK_RATE) / 1000), track.lastPts + 1);
    track.lastPts = pts;
    return pts;
  }

  #onUnit(track: InTrack, unit: AccessUnit): void {
    if (this.#closed) return;
    const pts = this.#streamPts(track, unit);
    const timed: AccessUnit = { ...unit, pts, dts: pts };
    if (track.info.type === 'audio') {
      if (this.#g711) this.#g711.push(timed);
      else this.stream.pushUnit(timed);
      return;
    }
    const config = inBandConfig(track.info.codec, timed);
    if (config && !sameBytes(config, track.info.config)) {
      track.info = { ...track.info, config };
      this.stream.setTrack(withDimensions(track.info));
    }
    // Readers need the parameter sets before the first frame (FLV/HLS init).
    if (!track.info.config) return;
    this.stream.pushUnit(timed);
  }

  #publishAac(unit: AccessUnit, asc: Uint8Array | undefined): void {
    if (this.#closed) return;
    if (asc) this.stream.setTrack({ type: 'audio', codec: 'aac', config: asc, sampleRate: G711_AAC_SAMPLE_RATE, channels: 1 });
    this.stream.pushUnit(unit);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
}

/** An avcC / hvcC from parameter sets carried in-band in a keyframe, or undefined. */
export function inBandConfig(codec: string, unit: AccessUnit): Uint8Array | undefined {
  if (!unit.keyframe || (codec !== 'h264' && codec !== 'h265')) return undefined;
  let vps: Uint8Array | undefined;
  let sps: Uint8Array | undefined;
  let pps: Uint8Array | undefined;
  try {
    for (const n of splitAvcc(unit.data)) {
      if (codec === 'h264') {
        const type = (n[0] as number) & 0x1f;
        if (type === H264NalType.Sps) sps ??= n;
        else if (type === H264NalType.Pps) pps ??= n;
      } else {
        const type = ((n[0] as number) >>> 1) & 0x3f;
        if (type === H265NalType.Vps) vps ??= n;
        else if (type === H265NalType.Sps) sps ??= n;
        else if (type === H265NalType.Pps) pps ??= n;
      }
    }
    if (!sps || !pps) return undefined;
    if (codec === 'h264') return buildAvcDecoderConfig({ sps: [sps], pps: [pps] });
    return vps ? buildHevcDecoderConfig({ vps, sps, pps }) : undefined;
  } catch (err) {
    if (err instanceof ParseError || err instanceof TypeError) return undefined;
    throw err;
  }
}
