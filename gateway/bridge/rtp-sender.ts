import { randomInt } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { buildSenderReport, buildSdesCname } from '../../protocol/rtcp/build.js';
import { RTP_FIXED_HEADER_LENGTH, writeU16, writeU32 } from '../../protocol/rtp/header.js';
import type { RtpPayloadOut } from '../../protocol/rtp-formats/types.js';
import { ntpFromUnixMs } from './rtp-clock.js';

/**
 * One track's RTP sender toward the SFU's PlainRtpTransport: the fixed header (RFC 3550
 * §5.1: V=2, no CSRC, no extension) with the SSRC/PT the server assigned, a random starting
 * sequence number, and the counts a Sender Report carries (§6.4.1).
 */
export class RtpTrackSender {
  readonly ssrc: number;
  readonly payloadType: number;
  #sequence = randomInt(0, 0x1_0000);
  #packets = 0;
  #octets = 0;
  /** RTP timestamp and capture time (Unix ms) of the last packet sent, for the SR. */
  #lastTimestamp: number | undefined;
  #lastUnixMs = 0;

  constructor(
    private readonly socket: Socket,
    private readonly host: string,
    private readonly port: number,
    options: { ssrc: number; payloadType: number },
  ) {
    this.ssrc = options.ssrc;
    this.payloadType = options.payloadType;
  }

  get packets(): number {
    return this.#packets;
  }

  /** Sends the packets of one unit captured at `unixMs`. */
  send(payloads: readonly RtpPayloadOut[], unixMs: number): void {
    for (const p of payloads) {
      const buf = new Uint8Array(RTP_FIXED_HEADER_LENGTH + p.payload.length);
      buf[0] = 0x80;
      buf[1] = (p.marker ? 0x80 : 0) | (this.payloadType & 0x7f);
      writeU16(buf, 2, this.#sequence);
      writeU32(buf, 4, p.timestamp);
      writeU32(buf, 8, this.ssrc);
      buf.set(p.payload, RTP_FIXED_HEADER_LENGTH);
      this.#sequence = (this.#sequence + 1) & 0xffff;
      this.#packets++;
      this.#octets += p.payload.length;
      this.#lastTimestamp = p.timestamp;
      this.#lastUnixMs = unixMs;
      this.socket.send(buf, this.port, this.host);
    }
  }

  /**
   * A compound SR + SDES CNAME (RFC 3550 §6.1: every compound starts with a report and carries
   * a CNAME), or undefined before the first packet. NTP and RTP time are the last packet's,
   * which is the same instant on both clocks.
   */
  senderReport(cname: string): Uint8Array | undefined {
    if (this.#lastTimestamp === undefined) return undefined;
    const sr = buildSenderReport({ ssrc: this.ssrc, ...ntpFromUnixMs(this.#lastUnixMs), rtpTimestamp: this.#lastTimestamp, packetCount: this.#packets >>> 0, octetCount: this.#octets >>> 0 });
    const sdes = buildSdesCname(this.ssrc, cname);
    const out = new Uint8Array(sr.length + sdes.length);
    out.set(sr, 0);
    out.set(sdes, sr.length);
    return out;
  }

  sendReport(cname: string): void {
    const report = this.senderReport(cname);
    if (report) this.socket.send(report, this.port, this.host);
  }
}
