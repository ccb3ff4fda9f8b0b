/**
 * FLV script data tags (FLV spec v10.1 E.4.4 SCRIPTDATA): an AMF0 handler name followed by
 * its arguments; `onMetaData` (E.5) carries one ECMA array of stream properties (width,
 * height, framerate, videocodecid, audiocodecid, audiosamplerate, ...).
 */
import { ParseError } from '../errors.js';
import { decodeAmf0, encodeAmf0 } from '../rtmp/amf0.js';
import { AmfEcmaArray, amfObject, type AmfObject, amfProperties, type AmfValue } from '../rtmp/amf-value.js';

/** A decoded script tag: handler name and its values. */
export interface FlvScript {
  name: string;
  values: AmfValue[];
}

/** Parses a script tag body. ParseError 'bad-script' if it does not start with a string name. */
export function parseScriptTag(body: Uint8Array): FlvScript {
  const [name, ...values] = decodeAmf0(body);
  if (typeof name !== 'string') throw new ParseError('bad-script', 'script tag without a handler name');
  return { name, values };
}

/** The onMetaData properties of a script tag body, or undefined for another handler. */
export function parseOnMetaData(body: Uint8Array): AmfObject | undefined {
  const s = parseScriptTag(body);
  if (s.name !== 'onMetaData') return undefined;
  const first = s.values[0];
  return first === undefined ? amfObject() : amfProperties(first);
}

/** Builds an onMetaData script tag body: 'onMetaData' then the properties as an ECMA array (E.5). */
export function buildOnMetaData(meta: Record<string, AmfValue>): Uint8Array {
  return encodeAmf0('onMetaData', new AmfEcmaArray(amfObject(meta)));
}
