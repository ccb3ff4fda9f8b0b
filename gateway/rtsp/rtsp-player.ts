import { randomInt } from 'node:crypto';
import type { AccessUnit, TrackInfo } from '../../protocol/media/access-unit.js';
import { buildSdesCname, buildSenderReport } from '../../protocol/rtcp/build.js';
import { RTP_FIXED_HEADER_LENGTH, writeU16, writeU32 } from '../../protocol/rtp/header.js';
import { rtpFormatFor, type RtpPacketizer } from '../../protocol/rtp-formats/index.js';
import { ntpFromUnixMs } from '../bridge/rtp-clock.js';
import type { Reader } from '../hub/reader.js';
import type { Stream } from '../hub/stream.js';

/** How often a playing session sends each track's Sender Report (RFC 3550 §6.2: ~5 s minimum is for large groups; one receiver can take 1 s). */
export const PLAY_SR_INTERVAL_MS = 1_000;
/** A TCP player whose socket has not drained for this long is gone or hopelessly behind. */
export const PLAY_WRITE_STALL_TIMEOUT_MS = 30_000;
/** Most units sent per pump before yielding to the event loop (a late reader's GOP at once would block it). */
const MAX_UNITS_PER_PUMP = 256;

/** Where one track's packets go: interleaved on the RTSP connection or UDP to the client. */
export interface PlayTransport {
  /** Sends one RTP packet; false when the connection is behind (TCP). */
  sendRtp(packet: Uint8Array): boolean;
  sendRtcp(packet: Uint8Array): void;
}

/** One outgoing track: SDP track, packetizer, RTP header state and SR counters. */
export interface PlayTrack {
  info: TrackInfo;
  payloadType: number;
  ssrc: number;
  /** RTP timestamp of pts 0 and the first sequence number (random, RFC 3550 §5.1), for RTP-Info. */
  timestampOffset: number;
  firstSequence: number;
  packetizer: RtpPacketizer;
  clockRate: number;
  transport?: PlayTransport;
}

/** The tracks of a play session from the SDP's tracks (random SSRC, sequence and timestamp bases). */
export function playTracks(tracks: readonly TrackInfo[]): PlayTrack[] {
  return tracks.map((info) => {
    const format = rtpFormatFor(info.codec);
    if (!format) throw new TypeError(`no RTP format for ${info.codec}`);
    const timestampOffset = randomInt(0, 0x7fff_ffff);
    return {
      info,
      payloadType: format.defaultPayloadType,
      ssrc: randomInt(1, 0xffff_ffff),
      timestampOffset,
      firstSequence: randomInt(0, 0x1_0000),
      packetizer: format.createPacketizer(info, { timestampOffset }),
      clockRate: format.clockRate(info),
    };
  });
}

/**
 * The playing half of an RTSP session: a hub reader's units → RTP per track (protocol/
 * rtp-formats) → interleaved frames or UDP, and a Sender Report per track each second so
 * players line tracks up. Written as fast as the connection takes it and no faster: while a
 * TCP socket is behind, the reader's bounded queue absorbs and then drops to the next keyframe.
 */
export class RtspPlayer {
  readonly #stream: Stream;
  readonly #tracks: PlayTrack[];
  readonly #state: { sequence: number; packets: number; octets: number; lastTimestamp?: number; lastUnixMs: number }[];
  readonly #remoteAddress: string;
  readonly #onEnd: (reason: string) => void;
  readonly #onDrain: (listener: () => void) => void;
  readonly #cname = `estuary-${randomInt(0, 0xffff_ffff).toString(16)}`;
  #reader: Reader | null = null;
  #srTimer: NodeJS.Timeout | null = null;
  #stallTimer: NodeJS.Timeout | null = null;
  #closed = false;
  /** pts of the first unit sent: RTP timestamps count from it, so every session starts near its offset. */
  #ptsBase: number | undefined;
  sentUnits = 0;

  constructor(options: { stream: Stream; tracks: PlayTrack[]; remoteAddress: string; onEnd: (reason: string) => void; onDrain: (listener: () => void) => void }) {
    this.#stream = options.stream;
    this.#tracks = options.tracks;
    this.#remoteAddress = options.remoteAddress;
    this.#onEnd = options.onEnd;
    this.#onDrain = options.onDrain;
    this.#state = this.#tracks.map((t) => ({ sequence: t.firstSequence, packets: 0, octets: 0, lastUnixMs: 0 }));
  }

  start(): void {
    this.#reader = this.#stream.subscribe('rtsp', this.#remoteAddress, {
      onReadable: () => this.#pump(),
      onClose: (reason) => {
        if (!this.#closed) this.#onEnd(`stream ended: ${reason}`);
      },
    });
    this.#srTimer = setInterval(() => this.#sendReports(), PLAY_SR_INTERVAL_MS);
    this.#pump();
  }

  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#srTimer) clearInterval(this.#srTimer);
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
    this.#reader?.close(reason);
  }

  #trackOf(unit: AccessUnit): number {
    return this.#tracks.findIndex((t) => t.info.type === unit.type && t.info.codec === unit.codec);
  }

  #pump(): void {
    const reader = this.#reader;
    if (!reader || this.#stallTimer || this.#closed) return;
    for (let n = 0; n < MAX_UNITS_PER_PUMP; n++) {
      const item = reader.shift();
      if (!item) return;
      if (item.kind !== 'unit') continue;
      const index = this.#trackOf(item.unit);
      if (index < 0) continue;
      if (!this.#send(index, item.unit)) {
        this.#stallTimer = setTimeout(() => this.#onEnd('player stalled: socket not draining'), PLAY_WRITE_STALL_TIMEOUT_MS);
        this.#onDrain(() => {
          if (this.#stallTimer) clearTimeout(this.#stallTimer);
          this.#stallTimer = null;
          this.#pump();
        });
        return;
      }
    }
    setImmediate(() => this.#pump());
  }

  /** Packetizes and sends one unit; false when the transport is behind. */
  #send(index: number, unit: AccessUnit): boolean {
    const track = this.#tracks[index] as PlayTrack;
    const state = this.#state[index]!;
    const transport = track.transport;
    if (!transport) return true;
    this.#ptsBase ??= unit.pts;
    const rebased: AccessUnit = { ...unit, pts: Math.max(0, unit.pts - this.#ptsBase), dts: Math.max(0, unit.dts - this.#ptsBase) };
    let ok = true;
    let payloads;
    try {
      payloads = track.packetizer.packetize(rebased);
    } catch {
      return true; // a unit the format cannot carry (an oversized Opus packet): skipped
    }
    for (const p of payloads) {
      const packet = new Uint8Array(RTP_FIXED_HEADER_LENGTH + p.payload.length);
      packet[0] = 0x80;
      packet[1] = (p.marker ? 0x80 : 0) | track.payloadType;
      writeU16(packet, 2, state.sequence);
      writeU32(packet, 4, p.timestamp);
      writeU32(packet, 8, track.ssrc);
      packet.set(p.payload, RTP_FIXED_HEADER_LENGTH);
      state.sequence = (state.sequence + 1) & 0xffff;
      state.packets++;
      state.octets += p.payload.length;
      state.lastTimestamp = p.timestamp;
      ok = transport.sendRtp(packet) && ok;
    }
    state.lastUnixMs = Date.now(); // the wall clock of the last timestamp sent, for the SR
    this.sentUnits++;
    return ok;
  }

  /** SR + SDES CNAME per track that has sent (RFC 3550 §6.4.1): NTP now ↔ the last RTP timestamp sent. */
  #sendReports(): void {
    this.#tracks.forEach((t, i) => {
      const s = this.#state[i]!;
      if (s.lastTimestamp === undefined || !t.transport) return;
      const elapsed = Date.now() - s.lastUnixMs;
      const rtpNow = (s.lastTimestamp + Math.round((elapsed * t.clockRate) / 1000)) >>> 0;
      const sr = buildSenderReport({ ssrc: t.ssrc, ...ntpFromUnixMs(Date.now()), rtpTimestamp: rtpNow, packetCount: s.packets >>> 0, octetCount: s.octets >>> 0 });
      const sdes = buildSdesCname(t.ssrc, this.#cname);
      const packet = new Uint8Array(sr.length + sdes.length);
      packet.set(sr, 0);
      packet.set(sdes, sr.length);
      t.transport.sendRtcp(packet);
    });
  }
}

/** RTP-Info `rtptime` of a track at the start of PLAY: its timestamp offset (pts 0 after rebasing). */
export function startRtpTime(track: PlayTrack): number {
  return track.timestampOffset >>> 0;
}
