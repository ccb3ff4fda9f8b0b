/**
 * NAL unit framing shared by H.264 and H.265: Annex B byte streams (start codes, ITU-T H.264
 * Annex B / H.265 Annex B) and the length-prefixed "AVCC" form of ISO 14496-15 §5.3.2 /
 * §8.3.2 used by MP4, FLV and RTMP. Split functions return views into the input (no copies,
 * no mutation); join functions build new buffers.
 */
import { ParseError } from '../errors.js';

/**
 * Most NAL units accepted in one buffer. An access unit rarely holds more than a few hundred
 * (one slice per macroblock row of a 4K frame is 135); the cap bounds the work a hostile
 * buffer of tiny NAL units can cause.
 */
export const MAX_NALUS_PER_BUFFER = 8192;

/** Length prefix sizes allowed in AVCC (lengthSizeMinusOne ∈ {0, 1, 3}, ISO 14496-15 §5.3.3.1.2). */
export type NalLengthSize = 1 | 2 | 4;

const START_CODE_4 = Uint8Array.of(0, 0, 0, 1);

function tooMany(): ParseError {
  return new ParseError('too-many-nalus', `more than ${MAX_NALUS_PER_BUFFER} NAL units`);
}

/**
 * Splits an Annex B byte stream (one or more NAL units, each after a 3- or 4-byte start code)
 * into NAL units. Zero bytes before a start code (trailing_zero_8bits) are not part of the
 * preceding unit; empty units are skipped. Throws ParseError('missing-start-code') when the
 * data does not begin with a start code.
 */
export function splitAnnexB(data: Uint8Array): Uint8Array[] {
  const nalus: Uint8Array[] = [];
  let i = 0;
  // Leading zero_byte / leading_zero_8bits before the first start code.
  while (i < data.length && data[i] === 0) i += 1;
  if (i < 2 || i >= data.length || data[i] !== 1) {
    if (data.length === 0) return nalus;
    throw new ParseError('missing-start-code', 'Annex B data must begin with 00 00 01');
  }
  let start = i + 1;
  let zeros = 0;
  for (let j = start; j < data.length; j += 1) {
    const b = data[j] as number;
    if (b === 0) {
      zeros += 1;
      continue;
    }
    if (b === 1 && zeros >= 2) {
      const end = j - zeros;
      if (end > start) {
        if (nalus.length >= MAX_NALUS_PER_BUFFER) throw tooMany();
        nalus.push(data.subarray(start, end));
      }
      start = j + 1;
    }
    zeros = 0;
  }
  // A NAL unit never ends in 0x00 (§7.4.1), so trailing zeros are stuffing.
  const end = data.length - zeros;
  if (end > start) {
    if (nalus.length >= MAX_NALUS_PER_BUFFER) throw tooMany();
    nalus.push(data.subarray(start, end));
  }
  return nalus;
}

/** Joins NAL units into an Annex B byte stream with 4-byte start codes. */
export function joinAnnexB(nalus: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const n of nalus) size += START_CODE_4.length + n.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const n of nalus) {
    out.set(START_CODE_4, at);
    out.set(n, at + START_CODE_4.length);
    at += START_CODE_4.length + n.length;
  }
  return out;
}

function checkLengthSize(lengthSize: number): asserts lengthSize is NalLengthSize {
  if (lengthSize !== 1 && lengthSize !== 2 && lengthSize !== 4) {
    throw new TypeError(`NAL length size must be 1, 2 or 4, not ${lengthSize}`);
  }
}

/**
 * Splits length-prefixed NAL units (ISO 14496-15 §5.3.2). Zero-length entries, which some
 * encoders emit, are skipped. Throws ParseError('truncated') when a length runs past the end.
 */
export function splitAvcc(data: Uint8Array, lengthSize: NalLengthSize = 4): Uint8Array[] {
  checkLengthSize(lengthSize);
  const nalus: Uint8Array[] = [];
  let i = 0;
  while (i < data.length) {
    if (data.length - i < lengthSize) throw new ParseError('truncated', 'partial NAL length prefix');
    let len = 0;
    for (let k = 0; k < lengthSize; k += 1) len = len * 256 + (data[i + k] as number);
    i += lengthSize;
    if (len > data.length - i) throw new ParseError('truncated', `NAL length ${len} exceeds ${data.length - i} bytes left`);
    if (len > 0) {
      if (nalus.length >= MAX_NALUS_PER_BUFFER) throw tooMany();
      nalus.push(data.subarray(i, i + len));
    }
    i += len;
  }
  return nalus;
}

/** Joins NAL units with big-endian length prefixes; TypeError if a unit is too long for them. */
export function joinAvcc(nalus: readonly Uint8Array[], lengthSize: NalLengthSize = 4): Uint8Array {
  checkLengthSize(lengthSize);
  const max = 2 ** (8 * lengthSize) - 1;
  let size = 0;
  for (const n of nalus) {
    if (n.length > max) throw new TypeError(`NAL unit of ${n.length} bytes does not fit a ${lengthSize}-byte length`);
    size += lengthSize + n.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const n of nalus) {
    let len = n.length;
    for (let k = lengthSize - 1; k >= 0; k -= 1) {
      out[at + k] = len % 256;
      len = Math.floor(len / 256);
    }
    out.set(n, at + lengthSize);
    at += lengthSize + n.length;
  }
  return out;
}

/** Annex B byte stream → length-prefixed NAL units. */
export function annexBToAvcc(data: Uint8Array, lengthSize: NalLengthSize = 4): Uint8Array {
  return joinAvcc(splitAnnexB(data), lengthSize);
}

/** Length-prefixed NAL units → Annex B byte stream with 4-byte start codes. */
export function avccToAnnexB(data: Uint8Array, lengthSize: NalLengthSize = 4): Uint8Array {
  return joinAnnexB(splitAvcc(data, lengthSize));
}
