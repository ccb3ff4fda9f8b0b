/**
 * Attribute lists of HLS tags (RFC 8216 §4.2): `NAME=value` pairs separated by commas, where
 * a value is a decimal integer or float, a quoted string, an enumerated string or a
 * resolution. Formatting and parsing helpers shared by the writers and the parser.
 */
import { ParseError } from '../errors.js';

/** Decimal places written for durations: 10 µs, finer than any media clock step used here. */
const DURATION_DECIMALS = 5;

/** A decimal-floating-point with up to 5 decimals and at least one ("2.0", "0.33334"). */
export function formatDecimal(v: number): string {
  if (!Number.isFinite(v) || v < 0) throw new TypeError(`bad decimal ${v}`);
  const s = v.toFixed(DURATION_DECIMALS).replace(/0+$/, '');
  return s.endsWith('.') ? `${s}0` : s;
}

/** Like formatDecimal but rounded up, so a written target is never below the real one. */
export function formatDecimalCeil(v: number): string {
  const scale = 10 ** DURATION_DECIMALS;
  return formatDecimal(Math.ceil(v * scale - 1e-6) / scale);
}

/** A quoted-string value (§4.2): no double quote, CR or LF inside. */
export function quoted(s: string): string {
  if (/["\r\n]/.test(s)) throw new TypeError(`value cannot be a quoted-string: ${s}`);
  return `"${s}"`;
}

/** Largest number of attributes read from one tag; real tags carry fewer than 20. */
export const MAX_ATTRIBUTES = 64;

/**
 * Parses an attribute list into a map of raw values (quoted strings without their quotes).
 * Throws ParseError('bad-attributes') on malformed input or duplicate names.
 */
export function parseAttributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new ParseError('bad-attributes', `no '=' after ${text.slice(i, i + 20)}`);
    const name = text.slice(i, eq);
    if (!/^[A-Z0-9-]+$/.test(name)) throw new ParseError('bad-attributes', `bad attribute name ${name}`);
    let value: string;
    if (text[eq + 1] === '"') {
      const close = text.indexOf('"', eq + 2);
      if (close < 0) throw new ParseError('bad-attributes', `unterminated quoted-string for ${name}`);
      value = text.slice(eq + 2, close);
      i = close + 1;
    } else {
      const comma = text.indexOf(',', eq + 1);
      const end = comma < 0 ? text.length : comma;
      value = text.slice(eq + 1, end);
      i = end;
    }
    if (i < text.length) {
      if (text[i] !== ',') throw new ParseError('bad-attributes', `expected ',' after ${name}`);
      i += 1;
    }
    if (out.has(name)) throw new ParseError('bad-attributes', `duplicate attribute ${name}`);
    if (out.size >= MAX_ATTRIBUTES) throw new ParseError('bad-attributes', 'too many attributes');
    out.set(name, value);
  }
  return out;
}

/** decimal-integer (§4.2): digits only, within the safe integer range. */
export function parseDecimalInteger(s: string, what: string): number {
  if (!/^\d{1,16}$/.test(s)) throw new ParseError('bad-number', `${what}: ${s}`);
  const v = Number(s);
  if (!Number.isSafeInteger(v)) throw new ParseError('bad-number', `${what}: ${s}`);
  return v;
}

/** decimal-floating-point (§4.2), non-negative. */
export function parseDecimalFloat(s: string, what: string): number {
  if (!/^\d{1,16}(\.\d{1,16})?$/.test(s)) throw new ParseError('bad-number', `${what}: ${s}`);
  return Number(s);
}
