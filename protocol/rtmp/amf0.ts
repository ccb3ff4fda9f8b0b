/**
 * AMF0 (Adobe "Action Message Format -- AMF 0", 2007) decoder and encoder: the encoding of
 * RTMP command (type 20) and data (type 18) messages. Decoding is bounded (nesting depth,
 * element counts, string lengths, reference table: see amf-value.ts) and never reads past the
 * slice it is given; the input is not modified.
 */
import { ByteReader } from '../bytes/byte-reader.js';
import { ByteWriter } from '../bits/byte-writer.js';
import { ParseError } from '../errors.js';
import { decodeAmf3Value } from './amf3.js';
import {
  AmfEcmaArray,
  AmfTypedObject,
  type AmfObject,
  type AmfValue,
  isAmfObject,
  MAX_AMF_DEPTH,
  MAX_AMF_ELEMENTS,
  MAX_AMF_REFERENCES,
  MAX_AMF_STRING_LENGTH,
} from './amf-value.js';

/** AMF0 type markers (AMF0 spec §2.1). */
export const Amf0Marker = {
  Number: 0x00,
  Boolean: 0x01,
  String: 0x02,
  Object: 0x03,
  MovieClip: 0x04,
  Null: 0x05,
  Undefined: 0x06,
  Reference: 0x07,
  EcmaArray: 0x08,
  ObjectEnd: 0x09,
  StrictArray: 0x0a,
  Date: 0x0b,
  LongString: 0x0c,
  Unsupported: 0x0d,
  RecordSet: 0x0e,
  XmlDocument: 0x0f,
  TypedObject: 0x10,
  AvmPlus: 0x11,
} as const;

/** Largest UTF-8 length of a short string (u16 length, §2.4); longer ones are long strings (§2.14). */
const MAX_SHORT_STRING = 0xffff;

const utf8 = new TextDecoder('utf-8');
const utf8enc = new TextEncoder();

class Amf0Decoder {
  private readonly refs: AmfValue[] = [];

  constructor(private readonly r: ByteReader) {}

  value(depth: number): AmfValue {
    if (depth > MAX_AMF_DEPTH) throw new ParseError('amf-too-deep', `nesting over ${MAX_AMF_DEPTH}`);
    const marker = this.r.u8();
    switch (marker) {
      case Amf0Marker.Number:
        return this.r.f64();
      case Amf0Marker.Boolean:
        return this.r.u8() !== 0;
      case Amf0Marker.String:
        return this.string(this.r.u16());
      case Amf0Marker.LongString:
      case Amf0Marker.XmlDocument:
        return this.string(this.r.u32());
      case Amf0Marker.Null:
        return null;
      case Amf0Marker.Undefined:
      case Amf0Marker.Unsupported:
        return undefined;
      case Amf0Marker.Object: {
        const obj = Object.create(null) as AmfObject;
        this.addRef(obj);
        this.properties(obj, depth, false);
        return obj;
      }
      case Amf0Marker.EcmaArray: {
        this.r.u32(); // associative-count: a hint only (§2.10); writers get it wrong, the end marker decides.
        const arr = new AmfEcmaArray();
        this.addRef(arr);
        this.properties(arr.properties, depth, true);
        return arr;
      }
      case Amf0Marker.TypedObject: {
        const name = this.string(this.r.u16());
        const obj = new AmfTypedObject(name);
        this.addRef(obj);
        this.properties(obj.properties, depth, false);
        return obj;
      }
      case Amf0Marker.StrictArray: {
        const count = this.r.u32();
        if (count > MAX_AMF_ELEMENTS) throw new ParseError('amf-too-many-elements', `strict array of ${count}`);
        // Every element takes at least one byte: a count beyond the input is a truncation.
        if (count > this.r.remaining) throw new ParseError('truncated', `strict array of ${count} in ${this.r.remaining} bytes`);
        const arr: AmfValue[] = [];
        this.addRef(arr);
        for (let i = 0; i < count; i++) arr.push(this.value(depth + 1));
        return arr;
      }
      case Amf0Marker.Date: {
        const ms = this.r.f64();
        this.r.i16(); // time-zone: reserved, "should be set to 0x0000" (§2.13)
        return new Date(ms);
      }
      case Amf0Marker.Reference: {
        const idx = this.r.u16();
        if (idx >= this.refs.length) throw new ParseError('amf-bad-reference', `reference ${idx} of ${this.refs.length}`);
        return this.refs[idx];
      }
      case Amf0Marker.AvmPlus:
        return this.avmPlus(depth);
      case Amf0Marker.ObjectEnd:
        throw new ParseError('amf-unexpected-object-end', 'object-end marker outside an object');
      default:
        throw new ParseError('amf-bad-marker', `AMF0 marker 0x${marker.toString(16)}`);
    }
  }

  /** AVM+ switch (§3.1): one AMF3 value follows, with its own fresh reference tables. */
  private avmPlus(depth: number): AmfValue {
    const start = this.r.offset;
    const [v, used] = decodeAmf3Value(this.r.rest(), 0, depth + 1);
    this.r.seek(start + used);
    return v;
  }

  private addRef(v: AmfValue): void {
    if (this.refs.length >= MAX_AMF_REFERENCES) throw new ParseError('amf-too-many-elements', 'reference table full');
    this.refs.push(v);
  }

  private string(len: number): string {
    if (len > MAX_AMF_STRING_LENGTH) throw new ParseError('amf-string-too-long', `string of ${len} bytes`);
    return utf8.decode(this.r.bytesView(len));
  }

  /** Reads key/value pairs up to the empty key + object-end marker (§2.5). */
  private properties(into: AmfObject, depth: number, ecma: boolean): void {
    for (let n = 0; ; n++) {
      // Quirk: some encoders end an ECMA array (onMetaData) at the end of the payload without
      // the end marker; accept that, as ffmpeg and nginx-rtmp do.
      if (ecma && this.r.remaining === 0) return;
      const key = this.string(this.r.u16());
      if (key === '') {
        if (this.r.remaining > 0 && this.r.peekU8() === Amf0Marker.ObjectEnd) {
          this.r.skip(1);
          return;
        }
        if (this.r.remaining === 0) throw new ParseError('truncated', 'object ends without an end marker');
      }
      if (n >= MAX_AMF_ELEMENTS) throw new ParseError('amf-too-many-elements', `object over ${MAX_AMF_ELEMENTS} properties`);
      into[key] = this.value(depth + 1);
    }
  }
}

/**
 * Decodes one AMF0 value at `offset` of `bytes`; returns it and the number of bytes it took.
 * ParseError on a bad marker, truncation or a limit (reasons: 'truncated', 'amf-bad-marker',
 * 'amf-too-deep', 'amf-too-many-elements', 'amf-string-too-long', 'amf-bad-reference', ...).
 */
export function decodeAmf0Value(bytes: Uint8Array, offset = 0): [AmfValue, number] {
  const r = new ByteReader(bytes.subarray(offset));
  const v = new Amf0Decoder(r).value(0);
  return [v, r.offset];
}

/** Decodes every AMF0 value in `bytes` (a command or data message body is a sequence of them). */
export function decodeAmf0(bytes: Uint8Array): AmfValue[] {
  const r = new ByteReader(bytes);
  const d = new Amf0Decoder(r);
  const out: AmfValue[] = [];
  while (r.remaining > 0) {
    if (out.length >= MAX_AMF_ELEMENTS) throw new ParseError('amf-too-many-elements', 'too many top-level values');
    out.push(d.value(0));
  }
  return out;
}

/**
 * Encodes values as AMF0, one after another. Strings longer than 65 535 UTF-8 bytes become
 * long strings (§2.14), arrays strict arrays (§2.12), AmfEcmaArray an ECMA array (§2.10),
 * AmfTypedObject a typed object (§2.18), other plain objects anonymous objects (§2.5). No
 * references are written. TypeError for values AMF0 cannot carry (Uint8Array, functions) and
 * for nesting deeper than MAX_AMF_DEPTH (which also catches cycles).
 */
export function encodeAmf0(...values: AmfValue[]): Uint8Array {
  const w = new ByteWriter();
  for (const v of values) writeValue(w, v, 0);
  return w.finish();
}

function writeString(w: ByteWriter, s: string): void {
  const b = utf8enc.encode(s);
  if (b.length > MAX_SHORT_STRING) throw new TypeError(`key of ${b.length} bytes is too long for AMF0`);
  w.u16(b.length).bytes(b);
}

function writeProperties(w: ByteWriter, obj: AmfObject, depth: number): void {
  for (const [k, v] of Object.entries(obj)) {
    writeString(w, k);
    writeValue(w, v, depth + 1);
  }
  w.u16(0).u8(Amf0Marker.ObjectEnd);
}

function writeValue(w: ByteWriter, v: AmfValue, depth: number): void {
  if (depth > MAX_AMF_DEPTH) throw new TypeError(`AMF0 value nested deeper than ${MAX_AMF_DEPTH} (a cycle?)`);
  if (v === null) w.u8(Amf0Marker.Null);
  else if (v === undefined) w.u8(Amf0Marker.Undefined);
  else if (typeof v === 'number') w.u8(Amf0Marker.Number).f64(v);
  else if (typeof v === 'boolean') w.u8(Amf0Marker.Boolean).u8(v ? 1 : 0);
  else if (typeof v === 'string') {
    const b = utf8enc.encode(v);
    if (b.length <= MAX_SHORT_STRING) w.u8(Amf0Marker.String).u16(b.length).bytes(b);
    else w.u8(Amf0Marker.LongString).u32(b.length).bytes(b);
  } else if (v instanceof Date) w.u8(Amf0Marker.Date).f64(v.getTime()).i16(0);
  else if (Array.isArray(v)) {
    w.u8(Amf0Marker.StrictArray).u32(v.length);
    for (const e of v) writeValue(w, e, depth + 1);
  } else if (v instanceof AmfEcmaArray) {
    w.u8(Amf0Marker.EcmaArray).u32(Object.keys(v.properties).length);
    writeProperties(w, v.properties, depth);
  } else if (v instanceof AmfTypedObject) {
    w.u8(Amf0Marker.TypedObject);
    writeString(w, v.className);
    writeProperties(w, v.properties, depth);
  } else if (isAmfObject(v)) {
    w.u8(Amf0Marker.Object);
    writeProperties(w, v, depth);
  } else {
    throw new TypeError('value has no AMF0 encoding');
  }
}
