import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ParseError } from '../../../../protocol/errors.js';
import { decodeAmf0, decodeAmf0Value, encodeAmf0 } from '../../../../protocol/rtmp/amf0.js';
import {
  AmfEcmaArray,
  amfObject,
  AmfTypedObject,
  type AmfValue,
  MAX_AMF_DEPTH,
  MAX_AMF_ELEMENTS,
  MAX_AMF_STRING_LENGTH,
} from '../../../../protocol/rtmp/amf-value.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (h) => parseInt(h, 16));

/** One table drives encode and decode: value ⇄ exact bytes (AMF0 spec §2). */
const vectors: Array<[string, AmfValue, string]> = [
  ['number 1.5', 1.5, '00 3ff8000000000000'],
  ['number -0', -0, '00 8000000000000000'],
  ['boolean true', true, '01 01'],
  ['boolean false', false, '01 00'],
  ['string', 'live', '02 0004 6c697665'],
  ['empty string', '', '02 0000'],
  ['utf-8 string', 'é', '02 0002 c3a9'],
  ['null', null, '05'],
  ['undefined', undefined, '06'],
  ['object', amfObject({ app: 'live', n: 1 }), '03 0003 617070 02 0004 6c697665 0001 6e 00 3ff0000000000000 0000 09'],
  ['empty object', amfObject(), '03 0000 09'],
  ['ECMA array', new AmfEcmaArray(amfObject({ w: 320 })), '08 00000001 0001 77 00 4074000000000000 0000 09'],
  ['strict array', [1, 'a', null], '0a 00000003 00 3ff0000000000000 02 0001 61 05'],
  ['date', new Date(86_400_000), '0b 4194997000000000 0000'],
  ['typed object', new AmfTypedObject('C', amfObject({ x: true })), '10 0001 43 0001 78 01 01 0000 09'],
  ['nested', amfObject({ o: amfObject({ a: [] }) }), '03 0001 6f 03 0001 61 0a 00000000 0000 09 0000 09'],
];

for (const [name, value, bytes] of vectors) {
  test(`AMF0 ${name} encodes to its spec bytes and decodes back`, () => {
    const enc = encodeAmf0(value);
    assert.deepEqual([...enc], [...hex(bytes)]);
    const copy = enc.slice();
    const [dec, used] = decodeAmf0Value(enc);
    assert.equal(used, enc.length);
    assert.deepEqual(dec, value);
    assert.deepEqual(enc, copy, 'input not mutated');
  });
}

test('AMF0 long string: strings over 65535 UTF-8 bytes use marker 0x0C', () => {
  const s = 'x'.repeat(70_000);
  const enc = encodeAmf0(s);
  assert.equal(enc[0], 0x0c);
  assert.equal(enc.length, 1 + 4 + 70_000);
  assert.equal(decodeAmf0Value(enc)[0], s);
});

test('AMF0 reference (0x07) resolves to the object it names', () => {
  // strict array [obj{a:1}, ref 1] – table: [array(0), obj(1)]
  const bytes = hex('0a 00000002 03 0001 61 00 3ff0000000000000 0000 09 07 0001');
  const [v] = decodeAmf0Value(bytes);
  assert.ok(Array.isArray(v));
  assert.equal(v[0], v[1]);
});

test('AMF0 AVM+ switch (0x11) decodes the following AMF3 value', () => {
  assert.deepEqual(decodeAmf0(hex('11 04 7f 02 0001 61')), [127, 'a']);
});

test('AMF0 decodes ffmpeg 5.1 connect (fixture) into name, transaction id and command object', () => {
  const bytes = new Uint8Array(readFileSync(new URL('../../../fixtures/rtmp/ffmpeg-connect.bin', import.meta.url)));
  const [name, tx, obj, ...rest] = decodeAmf0(bytes);
  assert.equal(name, 'connect');
  assert.equal(tx, 1);
  assert.deepEqual(obj, amfObject({
    app: 'live',
    type: 'nonprivate',
    flashVer: 'FMLE/3.0 (compatible; Lavf59.27.100)',
    tcUrl: 'rtmp://127.0.0.1:40563/live',
  }));
  assert.deepEqual(rest, []);
  assert.deepEqual([...encodeAmf0(name, tx, obj)], [...bytes], 'our encoder writes the same bytes');
});

test('AMF0 accepts an ECMA array that ends at the end of the payload without its end marker (encoder quirk)', () => {
  const [v] = decodeAmf0(hex('08 00000001 0001 77 00 4074000000000000'));
  assert.deepEqual(v, new AmfEcmaArray(amfObject({ w: 320 })));
});

test('AMF0 objects keep a "__proto__" key as data', () => {
  const [v] = decodeAmf0(encodeAmf0(amfObject({ ['__proto__']: 'x' })));
  assert.equal(Object.getPrototypeOf(v), null);
  assert.equal((v as Record<string, unknown>)['__proto__'], 'x');
});

const nest = (depth: number): Uint8Array => {
  const open = Array.from({ length: depth }, () => [0x03, 0x00, 0x01, 0x61]).flat();
  return Uint8Array.from([...open, 0x05, ...Array.from({ length: depth }, () => [0, 0, 9]).flat()]);
};

/** Corrupt inputs: each must fail with its reason. */
const corrupt: Array<[string, Uint8Array, string]> = [
  ['truncated number', hex('00 3ff0'), 'truncated'],
  ['truncated string length', hex('02 00'), 'truncated'],
  ['string longer than its bytes', hex('02 0010 61'), 'truncated'],
  ['object without end marker', hex('03 0001 61 05'), 'truncated'],
  ['unknown marker', hex('12'), 'amf-bad-marker'],
  ['object end at top level', hex('09'), 'amf-unexpected-object-end'],
  ['reference to nothing', hex('07 0005'), 'amf-bad-reference'],
  ['strict array count beyond the input', hex('0a 00001000 05'), 'truncated'],
  ['strict array count over the cap', hex('0a ffffffff'), 'amf-too-many-elements'],
  ['long string over the cap', Uint8Array.from([0x0c, ...u32(MAX_AMF_STRING_LENGTH + 1)]), 'amf-string-too-long'],
  ['nesting bomb', nest(MAX_AMF_DEPTH + 5), 'amf-too-deep'],
  ['strict array nesting bomb', Uint8Array.from(Array.from({ length: 10_000 }, () => [0x0a, 0, 0, 0, 1]).flat()), 'amf-too-deep'],
];

function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

for (const [name, bytes, reason] of corrupt) {
  test(`AMF0 decode rejects ${name} with ParseError('${reason}')`, () => {
    const copy = bytes.slice();
    assert.throws(() => decodeAmf0(bytes), (e: unknown) => e instanceof ParseError && e.reason === reason);
    assert.deepEqual(bytes, copy);
  });
}

test('AMF0 nesting up to the limit decodes', () => {
  assert.equal(decodeAmf0(nest(MAX_AMF_DEPTH)).length, 1);
  assert.ok(MAX_AMF_ELEMENTS >= 3600, 'a 2-hour keyframe index fits');
});

test('AMF0 encode refuses cycles and values it cannot carry', () => {
  const o = amfObject();
  o.self = o;
  assert.throws(() => encodeAmf0(o), TypeError);
  assert.throws(() => encodeAmf0(new Uint8Array(1)), TypeError);
});
