import { ParseError } from '../errors.js';
import type { RtpHeader } from './header.js';

/**
 * RTP header extensions, RFC 8285: the one-byte form (profile 0xBEDE, §4.2) and the two-byte
 * form (profile 0x100X, §4.3), and the two elements Estuary negotiates with publishers.
 */

/** §4.2 one-byte header profile. */
export const ONE_BYTE_PROFILE = 0xbede;
/** §4.3 two-byte header profile: 0x100 followed by 4 application bits. */
export const TWO_BYTE_PROFILE_MASK = 0xfff0;
export const TWO_BYTE_PROFILE = 0x1000;
/** §4.2: ID 15 is reserved and stops the parse of a one-byte block. */
const ONE_BYTE_STOP_ID = 15;

export const EXTENSION_URI = {
  mid: 'urn:ietf:params:rtp-hdrext:sdes:mid',
  absSendTime: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  audioLevel: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  transportCc: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
} as const;

/**
 * Finds element `id` in the header extension of the packet described by `header`; returns
 * `[offset, length]` of its data within `buf`, or undefined when absent. Never reads outside
 * the extension block (malformed elements end the search).
 */
export function findHeaderExtension(buf: Uint8Array, header: RtpHeader, id: number): [number, number] | undefined {
  if (header.extensionProfile < 0 || id <= 0) return undefined;
  const end = header.extensionOffset + header.extensionLength;
  let i = header.extensionOffset;
  if (header.extensionProfile === ONE_BYTE_PROFILE) {
    while (i < end) {
      const b = buf[i] as number;
      if (b === 0) {
        i++; // padding octet
        continue;
      }
      const elemId = b >> 4;
      if (elemId === ONE_BYTE_STOP_ID) return undefined;
      const len = (b & 0x0f) + 1;
      if (i + 1 + len > end) return undefined;
      if (elemId === id) return [i + 1, len];
      i += 1 + len;
    }
    return undefined;
  }
  if ((header.extensionProfile & TWO_BYTE_PROFILE_MASK) === TWO_BYTE_PROFILE) {
    while (i < end) {
      const elemId = buf[i] as number;
      if (elemId === 0) {
        i++;
        continue;
      }
      if (i + 2 > end) return undefined;
      const len = buf[i + 1] as number;
      if (i + 2 + len > end) return undefined;
      if (elemId === id) return [i + 2, len];
      i += 2 + len;
    }
  }
  return undefined;
}

/** Client-to-mixer audio level, RFC 6464 §3: V flag and level in -dBov (0 loudest, 127 silence). */
export interface AudioLevel {
  voice: boolean;
  level: number;
}

export function parseAudioLevel(data: Uint8Array): AudioLevel {
  if (data.length < 1) throw new ParseError('truncated', 'audio level element is empty');
  const b = data[0] as number;
  return { voice: (b & 0x80) !== 0, level: b & 0x7f };
}

/**
 * abs-send-time (webrtc.org): a 24-bit 6.18 fixed-point seconds value (the middle bits of the
 * NTP time). Returned in seconds, in [0, 64).
 */
export function parseAbsSendTime(data: Uint8Array): number {
  if (data.length < 3) throw new ParseError('truncated', 'abs-send-time element shorter than 3 octets');
  const v = ((data[0] as number) << 16) | ((data[1] as number) << 8) | (data[2] as number);
  return v / (1 << 18);
}
