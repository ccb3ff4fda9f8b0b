/**
 * The WebRTC side of the wall-clock measurement: H.264 RTP (RFC 6184) → AccessUnits
 * (`protocol/rtp-formats`) → Annex B on the stdin of one ffmpeg decoder, which crops the
 * wall-clock strip that `publish_rtmp.sh` burns in and writes 31 gray bytes per frame; each row
 * is decoded here exactly as `wallclock_decode.py` does it (cell 0 white and cell 1 black
 * references, 28 bits of UTC ms since midnight, even parity). Arrival = when the row comes out
 * of ffmpeg, so the figure includes the decoder, like the FLV path measured with the Python tool.
 * Sender Reports on the track are kept to map RTP timestamps to NTP time (RFC 3550 §6.4.1).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { avccToAnnexB } from '../../protocol/codec/nal.js';
import { parseRtcp } from '../../protocol/rtcp/parse.js';
import { isRtcpPacket, parseRtpHeader } from '../../protocol/rtp/header.js';
import { tsDelta } from '../../protocol/rtp/sequence.js';
import { createH264Depacketizer } from '../../protocol/rtp-formats/index.js';
import type { NalDepacketizer } from '../../protocol/rtp-formats/nal-depacketizer.js';

/** Cells in the strip (publish_rtmp.sh): 2 references, 28 value bits, 1 parity bit. */
export const NCELLS = 31;
/** The strip's height at the bottom of the 720p picture (32 px cells). */
const STRIP_HEIGHT = 32;
/** Seconds from the NTP epoch (1900) to the Unix epoch (1970), RFC 868. */
const NTP_UNIX_OFFSET_S = 2_208_988_800;
/**
 * An access unit delimiter (H.264 §7.3.2.4, nal_unit_type 9, primary_pic_type 7 = any):
 * written after each frame so ffmpeg's raw H.264 parser sees the next AU start at once and
 * hands the frame over without waiting for the next frame's bytes (one frame interval).
 */
const AUD = Uint8Array.of(0, 0, 0, 1, 0x09, 0xf0);
/** AU-complete times waiting for their decoded row; bounded if the decoder drops frames. */
const MAX_PENDING_AUS = 300;

/** UTC ms since midnight from one strip row, or null when the references or parity fail. */
export function cellsToValue(cells: Uint8Array): number | null {
  const w = cells[0] as number;
  const b = cells[1] as number;
  if (w - b < 100) return null;
  const thr = (w + b) / 2;
  let v = 0;
  let ones = 0;
  for (let i = 2; i < 30; i++) {
    const bit = (cells[i] as number) > thr ? 1 : 0;
    ones += bit;
    v = v * 2 + bit;
  }
  const parity = (cells[30] as number) > thr ? 1 : 0;
  return ones % 2 === parity ? v : null;
}

/** The Unix ms nearest `nowMs` whose time of day is `valueMs` (the publisher may have started days ago). */
export function valueToEpochMs(valueMs: number, nowMs: number): number {
  const d = new Date(nowMs);
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  let best = midnight + valueMs;
  for (let k = 1; k < 4; k++) {
    const cand = midnight - 86_400_000 * k + valueMs;
    if (Math.abs(cand - nowMs) < Math.abs(best - nowMs)) best = cand;
  }
  return best;
}

/** ffmpeg reading Annex B H.264 from stdin and writing the strip as 31x1 gray rows (wallclock_decode.py's filter). */
export function stripDecoderArgs(height = 720): string[] {
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'info',
    '-threads', '1', '-flags', 'low_delay', '-probesize', '32', '-analyzeduration', '1', '-fpsprobesize', '0',
    '-f', 'h264', '-framerate', '30', '-i', 'pipe:0',
    '-map', '0:v:0', '-vf', `crop=992:${STRIP_HEIGHT}:0:${height - STRIP_HEIGHT},scale=31:1:flags=area`,
    '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'gray', '-flush_packets', '1', 'pipe:1',
  ];
}

export const nowMs = (): number => performance.timeOrigin + performance.now();

/** One decoded frame: when its row came out of ffmpeg, its burnt-in capture time (null: unreadable). */
export interface DecodedFrame {
  arrivalMs: number;
  captureMs: number | null;
  /** When its AU was complete (last RTP packet in) and written to ffmpeg, if the FIFO lines up. */
  auCompleteMs: number | undefined;
  /** The AU's capture time per the last Sender Report's RTP↔NTP mapping, if one came. */
  srMappedMs: number | undefined;
}

/** Receives one viewer's video RTP, feeds the decoder, and records every decoded frame. */
export class StripReceiver {
  readonly frames: DecodedFrame[] = [];
  /** Time of the first RTP packet, the first one starting a keyframe, and the first decoded row. */
  firstRtpMs: number | undefined;
  firstKeyframeRtpMs: number | undefined;
  firstFrameMs: number | undefined;
  rtpPackets = 0;
  rtcpPackets = 0;
  units = 0;
  private readonly depacketizer: NalDepacketizer = createH264Depacketizer();
  private readonly ffmpeg: ChildProcessWithoutNullStreams;
  private readonly pending: { completeMs: number; srMs: number | undefined }[] = [];
  private row = new Uint8Array(NCELLS);
  private rowFill = 0;
  private sr: { ntpMs: number; rtpTimestamp: number } | undefined;
  private closed = false;
  private readonly firstFrameWaiters: (() => void)[] = [];
  stderr = '';

  constructor(private readonly maxFrames = 100_000) {
    this.ffmpeg = spawn('ffmpeg', stripDecoderArgs(), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.ffmpeg.stdin.on('error', () => undefined);
    this.ffmpeg.stderr.on('data', (d: Buffer) => {
      // Kept: the decoder's warnings, e.g. "Increasing reorder buffer" (a frame more of delay).
      for (const line of d.toString().split('\n')) if (/reorder|error|invalid|missing/i.test(line) && this.stderr.length < 4000) this.stderr += line + '\n';
    });
    this.ffmpeg.stdout.on('data', (chunk: Buffer) => this.onRows(chunk));
  }

  get pid(): number | undefined {
    return this.ffmpeg.pid;
  }

  /** A packet from the video track (RTP or RTCP). */
  onPacket(packet: Buffer, atMs: number): void {
    if (this.closed || packet.length < 12) return;
    if (isRtcpPacket(packet)) {
      this.rtcpPackets++;
      this.onRtcp(packet);
      return;
    }
    let header;
    try {
      header = parseRtpHeader(packet);
    } catch {
      return;
    }
    this.rtpPackets++;
    this.firstRtpMs ??= atMs;
    const payload = packet.subarray(header.payloadOffset, header.payloadOffset + header.payloadLength);
    if (this.firstKeyframeRtpMs === undefined && payload.length > 0) {
      const t = (payload[0] as number) & 0x1f;
      // SPS alone or in a STAP-A (the bridge puts SPS/PPS before each IDR), or an IDR start.
      const inner = t === 24 && payload.length > 3 ? (payload[3] as number) & 0x1f : t === 28 && payload.length > 1 ? (payload[1] as number) & 0x1f : t;
      if (inner === 7 || inner === 5) this.firstKeyframeRtpMs = atMs;
    }
    const { units } = this.depacketizer.push({ payload, sequenceNumber: header.sequenceNumber, timestamp: header.timestamp, marker: header.marker });
    for (const unit of units) {
      this.units++;
      const annexB = avccToAnnexB(unit.data);
      this.ffmpeg.stdin.write(Buffer.concat([annexB, AUD]));
      if (this.pending.length < MAX_PENDING_AUS) this.pending.push({ completeMs: atMs, srMs: this.srMapped(header.timestamp) });
    }
  }

  private onRtcp(packet: Buffer): void {
    try {
      for (const p of parseRtcp(packet)) {
        if (p.type !== 'sr') continue;
        this.sr = { ntpMs: (p.ntpSeconds - NTP_UNIX_OFFSET_S) * 1000 + (p.ntpFraction / 0x1_0000_0000) * 1000, rtpTimestamp: p.rtpTimestamp };
      }
    } catch {
      // a malformed compound is not ours to judge here
    }
  }

  private srMapped(rtpTimestamp: number): number | undefined {
    if (!this.sr) return undefined;
    return this.sr.ntpMs + tsDelta(rtpTimestamp, this.sr.rtpTimestamp) / 90;
  }

  private onRows(chunk: Buffer): void {
    const at = nowMs();
    for (let i = 0; i < chunk.length; i++) {
      this.row[this.rowFill++] = chunk[i] as number;
      if (this.rowFill < NCELLS) continue;
      this.rowFill = 0;
      const v = cellsToValue(this.row);
      const au = this.pending.shift();
      if (this.frames.length < this.maxFrames) {
        this.frames.push({ arrivalMs: at, captureMs: v === null ? null : valueToEpochMs(v, at), auCompleteMs: au?.completeMs, srMappedMs: au?.srMs });
      }
      if (this.firstFrameMs === undefined) {
        this.firstFrameMs = at;
        for (const w of this.firstFrameWaiters.splice(0)) w();
      }
    }
  }

  /** Resolves true at the first decoded row, false after `timeoutMs`. */
  waitFirstFrame(timeoutMs: number): Promise<boolean> {
    if (this.firstFrameMs !== undefined) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.firstFrameWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Stops the decoder (stdin closed, then SIGKILL after a short grace). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ffmpeg.stdin.end();
    if (this.ffmpeg.exitCode !== null || this.ffmpeg.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.ffmpeg.kill('SIGKILL');
        resolve();
      }, 1_000);
      this.ffmpeg.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
