/**
 * RTMP handshake building blocks (RTMP spec 1.0 §5.2) shared by the server and client state
 * machines: packet sizes, the simple C1/S1 layout, and the digest ("complex", Flash Player 9)
 * form that Flash-era clients, ffmpeg and many encoders send. The digest form is not in the
 * published spec; it is the de-facto layout every server implements (nginx-rtmp, SRS, ffmpeg
 * rtmpproto.c): a 32-byte HMAC-SHA256 digest hidden in C1/S1 at an offset derived from four
 * bytes of the packet, in one of two schemes.
 */
import { createHmac, randomBytes } from 'node:crypto';

/** RTMP version sent in C0/S0 (§5.2.2). Others (6 = RTMPE) are not supported. */
export const RTMP_VERSION = 3;
/** Size of C1, S1, C2 and S2 (§5.2.3). */
export const HANDSHAKE_PACKET_SIZE = 1536;
/** Length of an HMAC-SHA256 digest. */
export const DIGEST_SIZE = 32;

/**
 * The 32 bytes appended to the text keys to form the full keys used for the C2/S2 signature.
 * Public constants of the Flash handshake, identical in every implementation.
 */
const KEY_TAIL = Uint8Array.from([
  0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1, 0x02, 0x9e, 0x7e, 0x57, 0x6e, 0xec, 0x5d, 0x2d,
  0x29, 0x80, 0x6f, 0xab, 0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae,
]);
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const joinKey = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};
/** The client's key: its first 30 bytes sign C1, all 62 sign C2. */
export const CLIENT_KEY = joinKey(ascii('Genuine Adobe Flash Player 001'), KEY_TAIL);
export const CLIENT_KEY_TEXT_LENGTH = 30;
/** The server's key: its first 36 bytes sign S1, all 68 sign S2. */
export const SERVER_KEY = joinKey(ascii('Genuine Adobe Flash Media Server 001'), KEY_TAIL);
export const SERVER_KEY_TEXT_LENGTH = 36;

/**
 * Where the digest sits in a 1536-byte C1/S1. Scheme 0: the four bytes at 8..11 pick the
 * offset, digest in 12..(12+728+32); scheme 1: the four bytes at 772..775, digest in
 * 776..(776+728+32). 728 = 764-byte block − 32 digest − 4 offset bytes.
 */
export type DigestScheme = 0 | 1;
const SCHEME_BASE: Record<DigestScheme, number> = { 0: 8, 1: 772 };
const DIGEST_OFFSET_MODULO = 728;

/** Flash version we put in S1 bytes 4..7 in the digest form (any non-zero value marks it). */
export const SERVER_VERSION = Uint8Array.from([0x0d, 0x0e, 0x0a, 0x0d]);
/** Flash Player version we put in C1 bytes 4..7 in the digest form (FP 9.0.124.2, as ffmpeg). */
export const CLIENT_VERSION = Uint8Array.from([9, 0, 124, 2]);

/** Offset of the digest in a C1/S1 packet for a scheme. */
export function digestOffset(packet: Uint8Array, scheme: DigestScheme): number {
  const b = SCHEME_BASE[scheme];
  const sum = (packet[b] ?? 0) + (packet[b + 1] ?? 0) + (packet[b + 2] ?? 0) + (packet[b + 3] ?? 0);
  return (sum % DIGEST_OFFSET_MODULO) + b + 4;
}

export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** The digest a C1/S1 should carry at `offset`: HMAC over the packet without those 32 bytes. */
export function packetDigest(packet: Uint8Array, offset: number, key: Uint8Array): Uint8Array {
  return hmacSha256(key, packet.subarray(0, offset), packet.subarray(offset + DIGEST_SIZE));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return d === 0;
}

/**
 * Finds a valid digest in a C1/S1 signed with `key`, trying scheme 1 then scheme 0 (the order
 * of ffmpeg and nginx-rtmp; each client uses one). Returns the digest and its scheme, or
 * undefined for a simple-form packet.
 */
export function findDigest(
  packet: Uint8Array,
  key: Uint8Array,
): { digest: Uint8Array; scheme: DigestScheme } | undefined {
  if (packet.length !== HANDSHAKE_PACKET_SIZE) return undefined;
  for (const scheme of [1, 0] as const) {
    const off = digestOffset(packet, scheme);
    const found = packet.subarray(off, off + DIGEST_SIZE);
    if (equalBytes(found, packetDigest(packet, off, key))) return { digest: found.slice(), scheme };
  }
  return undefined;
}

/**
 * Builds a C1 or S1: time (4), version (4: zero in the simple form), random (1528); in the
 * digest form the digest signed with `key` is written at the scheme's offset.
 */
export function buildC1S1(opts: {
  time: number;
  version?: Uint8Array;
  digestKey?: Uint8Array;
  scheme?: DigestScheme;
}): Uint8Array {
  const p = new Uint8Array(randomBytes(HANDSHAKE_PACKET_SIZE));
  new DataView(p.buffer).setUint32(0, opts.time >>> 0);
  p.set(opts.version ?? new Uint8Array(4), 4);
  if (opts.digestKey) {
    const off = digestOffset(p, opts.scheme ?? 0);
    p.set(packetDigest(p, off, opts.digestKey), off);
  }
  return p;
}

/**
 * Builds a digest-form C2/S2: 1504 random bytes then HMAC(HMAC(fullKey, peerDigest), those
 * bytes). The peer checks it with the digest it put in its own C1/S1.
 */
export function buildSignedResponse(peerDigest: Uint8Array, fullKey: Uint8Array): Uint8Array {
  const p = new Uint8Array(randomBytes(HANDSHAKE_PACKET_SIZE));
  const key = hmacSha256(fullKey, peerDigest);
  const body = p.subarray(0, HANDSHAKE_PACKET_SIZE - DIGEST_SIZE);
  p.set(hmacSha256(key, body), HANDSHAKE_PACKET_SIZE - DIGEST_SIZE);
  return p;
}

/** True when a digest-form C2/S2 carries the signature expected for `ownDigest`. */
export function verifySignedResponse(packet: Uint8Array, ownDigest: Uint8Array, fullKey: Uint8Array): boolean {
  if (packet.length !== HANDSHAKE_PACKET_SIZE) return false;
  const key = hmacSha256(fullKey, ownDigest);
  const body = packet.subarray(0, HANDSHAKE_PACKET_SIZE - DIGEST_SIZE);
  return equalBytes(packet.subarray(HANDSHAKE_PACKET_SIZE - DIGEST_SIZE), hmacSha256(key, body));
}

/** One step of a handshake state machine: bytes to send (maybe none), and whether it is over. */
export interface HandshakeStep {
  /** Bytes to write to the peer now, or undefined. */
  send: Uint8Array | undefined;
  /** The handshake is complete: from now on the connection carries chunks. */
  done: boolean;
  /** Bytes received past the end of the handshake (the first chunks); empty if none. */
  leftover: Uint8Array;
}
