/**
 * AMF3 decoder (Adobe "AMF 3 Specification", 2013) for the subset RTMP peers send: inside
 * AMF3 command (type 17) and data (type 15) messages an AMF0 body switches to AMF3 with the
 * avmplus marker. Supported: undefined, null, false, true, integer, double, string, XML (as a
 * string), date, array, object with sealed/dynamic traits, byte array. Vectors, dictionaries
 * and externalizable objects are rejected (ParseError 'amf3-unsupported'): no RTMP client
 * sends them in commands. Bounded like AMF0 (amf-value.ts); the input is not modified.
 */
import { ByteReader } from '../bytes/byte-reader.js';
import { ParseError } from '../errors.js';
import {
  AmfEcmaArray,
  AmfTypedObject,
  type AmfObject,
  type AmfValue,
  MAX_AMF_DEPTH,
  MAX_AMF_ELEMENTS,
  MAX_AMF_REFERENCES,
  MAX_AMF_STRING_LENGTH,
} from './amf-value.js';

/** AMF3 type markers (AMF3 spec §3.1). */
export const Amf3Marker = {
  Undefined: 0x00,
  Null: 0x01,
  False: 0x02,
  True: 0x03,
  Integer: 0x04,
  Double: 0x05,
  String: 0x06,
  XmlDocument: 0x07,
  Date: 0x08,
  Array: 0x09,
  Object: 0x0a,
  Xml: 0x0b,
  ByteArray: 0x0c,
} as const;

interface Traits {
  className: string;
  dynamic: boolean;
  sealed: string[];
}

const utf8 = new TextDecoder('utf-8');

class Amf3Decoder {
  private readonly strings: string[] = [];
  private readonly objects: AmfValue[] = [];
  private readonly traits: Traits[] = [];

  constructor(private readonly r: ByteReader) {}

  /** U29 (§1.3.1): 1–4 bytes, 7 bits per byte with a continuation bit, 8 bits in the 4th. */
  u29(): number {
    let v = 0;
    for (let i = 0; i < 3; i++) {
      const b = this.r.u8();
      v = (v << 7) | (b & 0x7f);
      if ((b & 0x80) === 0) return v;
    }
    return ((v << 8) | this.r.u8()) >>> 0;
  }

  value(depth: number): AmfValue {
    if (depth > MAX_AMF_DEPTH) throw new ParseError('amf-too-deep', `nesting over ${MAX_AMF_DEPTH}`);
    const marker = this.r.u8();
    switch (marker) {
      case Amf3Marker.Undefined:
        return undefined;
      case Amf3Marker.Null:
        return null;
      case Amf3Marker.False:
        return false;
      case Amf3Marker.True:
        return true;
      case Amf3Marker.Integer: {
        const v = this.u29();
        return v & 0x10000000 ? v - 0x20000000 : v; // sign-extend 29 bits (§3.6)
      }
      case Amf3Marker.Double:
        return this.r.f64();
      case Amf3Marker.String:
        return this.string();
      case Amf3Marker.XmlDocument:
      case Amf3Marker.Xml: {
        const ref = this.u29();
        if ((ref & 1) === 0) return this.objectRef(ref >>> 1);
        const s = this.utf8(ref >>> 1);
        this.addObject(s);
        return s;
      }
      case Amf3Marker.Date: {
        const ref = this.u29();
        if ((ref & 1) === 0) return this.objectRef(ref >>> 1);
        const d = new Date(this.r.f64());
        this.addObject(d);
        return d;
      }
      case Amf3Marker.ByteArray: {
        const ref = this.u29();
        if ((ref & 1) === 0) return this.objectRef(ref >>> 1);
        const len = ref >>> 1;
        if (len > MAX_AMF_STRING_LENGTH) throw new ParseError('amf-string-too-long', `byte array of ${len}`);
        const b = this.r.bytesCopy(len);
        this.addObject(b);
        return b;
      }
      case Amf3Marker.Array:
        return this.array(depth);
      case Amf3Marker.Object:
        return this.object(depth);
      default:
        if (marker <= 0x11) throw new ParseError('amf3-unsupported', `AMF3 marker 0x${marker.toString(16)}`);
        throw new ParseError('amf-bad-marker', `AMF3 marker 0x${marker.toString(16)}`);
    }
  }

  private utf8(len: number): string {
    if (len > MAX_AMF_STRING_LENGTH) throw new ParseError('amf-string-too-long', `string of ${len} bytes`);
    return utf8.decode(this.r.bytesView(len));
  }

  /** UTF-8-vr (§1.3.2): a string-table reference or an inline string; "" is never referenced. */
  string(): string {
    const ref = this.u29();
    if ((ref & 1) === 0) {
      const s = this.strings[ref >>> 1];
      if (s === undefined) throw new ParseError('amf-bad-reference', `string reference ${ref >>> 1}`);
      return s;
    }
    const s = this.utf8(ref >>> 1);
    if (s !== '') {
      if (this.strings.length >= MAX_AMF_REFERENCES) throw new ParseError('amf-too-many-elements', 'string table full');
      this.strings.push(s);
    }
    return s;
  }

  private objectRef(idx: number): AmfValue {
    if (idx >= this.objects.length) throw new ParseError('amf-bad-reference', `object reference ${idx}`);
    return this.objects[idx];
  }

  private addObject(v: AmfValue): void {
    if (this.objects.length >= MAX_AMF_REFERENCES) throw new ParseError('amf-too-many-elements', 'object table full');
    this.objects.push(v);
  }

  /** Array (§3.11): dense count, then associative name/value pairs up to "", then dense values. */
  private array(depth: number): AmfValue {
    const ref = this.u29();
    if ((ref & 1) === 0) return this.objectRef(ref >>> 1);
    const dense = ref >>> 1;
    if (dense > MAX_AMF_ELEMENTS) throw new ParseError('amf-too-many-elements', `array of ${dense}`);
    const assoc = Object.create(null) as AmfObject;
    let keys = 0;
    const placeholder = new AmfEcmaArray(assoc);
    const denseArr: AmfValue[] = [];
    // Register before children so that a child referencing its parent resolves.
    const slot = this.objects.length;
    this.addObject(denseArr);
    for (;;) {
      const key = this.string();
      if (key === '') break;
      if (++keys > MAX_AMF_ELEMENTS) throw new ParseError('amf-too-many-elements', 'array with too many keys');
      assoc[key] = this.value(depth + 1);
    }
    if (dense > this.r.remaining) throw new ParseError('truncated', `array of ${dense} in ${this.r.remaining} bytes`);
    for (let i = 0; i < dense; i++) denseArr.push(this.value(depth + 1));
    if (keys === 0) return denseArr;
    denseArr.forEach((v, i) => (assoc[String(i)] = v));
    this.objects[slot] = placeholder;
    return placeholder;
  }

  /** Object (§3.12): traits inline or by reference, sealed values, then dynamic pairs up to "". */
  private object(depth: number): AmfValue {
    const ref = this.u29();
    if ((ref & 1) === 0) return this.objectRef(ref >>> 1);
    let traits: Traits;
    if ((ref & 2) === 0) {
      const t = this.traits[ref >>> 2];
      if (!t) throw new ParseError('amf-bad-reference', `traits reference ${ref >>> 2}`);
      traits = t;
    } else {
      if (ref & 4) throw new ParseError('amf3-unsupported', 'externalizable object');
      const count = ref >>> 4;
      if (count > MAX_AMF_ELEMENTS) throw new ParseError('amf-too-many-elements', `${count} sealed members`);
      const className = this.string();
      const sealed: string[] = [];
      for (let i = 0; i < count; i++) sealed.push(this.string());
      traits = { className, dynamic: (ref & 8) !== 0, sealed };
      if (this.traits.length >= MAX_AMF_REFERENCES) throw new ParseError('amf-too-many-elements', 'traits table full');
      this.traits.push(traits);
    }
    const props = Object.create(null) as AmfObject;
    const obj: AmfValue = traits.className === '' ? props : new AmfTypedObject(traits.className, props);
    this.addObject(obj);
    for (const name of traits.sealed) props[name] = this.value(depth + 1);
    if (traits.dynamic) {
      for (let n = 0; ; n++) {
        const key = this.string();
        if (key === '') break;
        if (n >= MAX_AMF_ELEMENTS) throw new ParseError('amf-too-many-elements', 'object with too many keys');
        props[key] = this.value(depth + 1);
      }
    }
    return obj;
  }
}

/**
 * Decodes one AMF3 value at `offset`; returns it and the bytes it took. `depth` is the nesting
 * level it starts at (an AMF0 avmplus switch passes its own). Each call has fresh reference
 * tables, as each AMF0 → AMF3 switch starts a new AMF3 context.
 */
export function decodeAmf3Value(bytes: Uint8Array, offset = 0, depth = 0): [AmfValue, number] {
  const r = new ByteReader(bytes.subarray(offset));
  const v = new Amf3Decoder(r).value(depth);
  return [v, r.offset];
}
