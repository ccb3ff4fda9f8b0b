/**
 * The JavaScript shape of AMF values (AMF0 spec §2, AMF3 spec §3), shared by the AMF0 and
 * AMF3 codecs. Objects decode to plain null-prototype records, so a hostile `__proto__` key
 * is just a key.
 */

/** An anonymous object (AMF0 object-marker, AMF3 object with an anonymous class). */
export interface AmfObject {
  [key: string]: AmfValue;
}

/** AMF0 ECMA array (§2.10) / AMF3 array with an associative part: keyed, with a count hint. */
export class AmfEcmaArray {
  constructor(readonly properties: AmfObject = Object.create(null) as AmfObject) {}
}

/** AMF0 typed object (§2.18) / AMF3 object with a class name. */
export class AmfTypedObject {
  constructor(
    readonly className: string,
    readonly properties: AmfObject = Object.create(null) as AmfObject,
  ) {}
}

export type AmfValue =
  | number
  | boolean
  | string
  | null
  | undefined
  | Date
  | Uint8Array
  | AmfValue[]
  | AmfObject
  | AmfEcmaArray
  | AmfTypedObject;

/** True for an anonymous AMF object (not an array, date, byte array or class instance). */
export function isAmfObject(v: AmfValue): v is AmfObject {
  if (v === null || typeof v !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype;
}

/** The key/value properties of an object, ECMA array or typed object; undefined otherwise. */
export function amfProperties(v: AmfValue): AmfObject | undefined {
  if (v instanceof AmfEcmaArray || v instanceof AmfTypedObject) return v.properties;
  return isAmfObject(v) ? v : undefined;
}

/** A new null-prototype object with the given entries. */
export function amfObject(entries: Record<string, AmfValue> = {}): AmfObject {
  return Object.assign(Object.create(null) as AmfObject, entries);
}

/**
 * Most nesting a decoder follows. RTMP commands nest two or three levels (command object →
 * info object → data); 32 allows any real payload and stops a nesting bomb far before the stack.
 */
export const MAX_AMF_DEPTH = 32;
/**
 * Most elements in one array or properties in one object. The largest real payloads are
 * onMetaData keyframe indexes (one entry per keyframe: 65 536 covers 36 hours at a keyframe
 * every 2 s); the cap bounds work before the "enough bytes?" checks catch a lie.
 */
export const MAX_AMF_ELEMENTS = 65_536;
/**
 * Longest string we decode. Real strings are names, URLs and codes (≤ a few KB); 1 MiB leaves
 * room for a base64 thumbnail in metadata while bounding a single allocation.
 */
export const MAX_AMF_STRING_LENGTH = 1024 * 1024;
/** Most complex values (objects, arrays) in one payload: bounds the reference table. */
export const MAX_AMF_REFERENCES = 65_536;
