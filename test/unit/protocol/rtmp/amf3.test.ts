import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../../../../protocol/errors.js';
import { decodeAmf3Value } from '../../../../protocol/rtmp/amf3.js';
import { AmfEcmaArray, amfObject, AmfTypedObject, type AmfValue, MAX_AMF_DEPTH } from '../../../../protocol/rtmp/amf-value.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (h) => parseInt(h, 16));

/** Known byte vectors (AMF3 spec §1.3.1 U29, §3) and the values they decode to. */
const vectors: Array<[string, string, AmfValue]> = [
  ['undefined', '00', undefined],
  ['null', '01', null],
  ['false', '02', false],
  ['true', '03', true],
  ['integer 0', '04 00', 0],
  ['integer 127 (1-byte U29)', '04 7f', 127],
  ['integer 128 (2-byte U29)', '04 81 00', 128],
  ['integer 16384 (3-byte U29)', '04 81 80 00', 16384],
  ['integer 2^28-1 (4-byte U29, largest positive)', '04 bf ff ff ff', 0x0fffffff],
  ['integer -1 (29-bit sign extension)', '04 ff ff ff ff', -1],
  ['double', '05 3ff8000000000000', 1.5],
  ['string', '06 05 61 62', 'ab'],
  ['empty string', '06 01', ''],
  ['dense array with a string reference', '09 05 01 06 05 61 62 06 00', ['ab', 'ab']],
  ['associative array', '09 01 03 6b 03 01', new AmfEcmaArray(amfObject({ k: true }))],
  ['anonymous dynamic object', '0a 0b 01 03 61 04 01 01', amfObject({ a: 1 })],
  ['typed sealed object', '0a 13 03 43 03 78 03', new AmfTypedObject('C', amfObject({ x: true }))],
  [
    'traits and string references across two objects',
    '09 05 01 0a 0b 01 03 61 04 01 01 0a 01 00 04 02 01',
    [amfObject({ a: 1 }), amfObject({ a: 2 })],
  ],
  ['date', '08 01 0000000000000000', new Date(0)],
  ['byte array', '0c 07 01 02 03', Uint8Array.from([1, 2, 3])],
  ['xml as a string', '0b 05 3c 61', '<a'],
];

for (const [name, bytes, value] of vectors) {
  test(`AMF3 decodes ${name}`, () => {
    const b = hex(bytes);
    const copy = b.slice();
    const [v, used] = decodeAmf3Value(b);
    assert.deepEqual(v, value);
    assert.equal(used, b.length);
    assert.deepEqual(b, copy, 'input not mutated');
  });
}

test('AMF3 object reference resolves to the same object', () => {
  const [v] = decodeAmf3Value(hex('09 05 01 0a 0b 01 03 61 04 01 01 0a 02'));
  assert.ok(Array.isArray(v));
  assert.equal(v[0], v[1]);
});

const bomb = Uint8Array.from([...Array.from({ length: MAX_AMF_DEPTH + 2 }, () => [0x09, 0x03, 0x01]).flat(), 0x01]);

const corrupt: Array<[string, Uint8Array, string]> = [
  ['truncated U29', hex('04 81'), 'truncated'],
  ['string longer than its bytes', hex('06 09 61'), 'truncated'],
  ['string reference to nothing', hex('06 02'), 'amf-bad-reference'],
  ['object reference to nothing', hex('0a 04'), 'amf-bad-reference'],
  ['traits reference to nothing', hex('0a 05'), 'amf-bad-reference'],
  ['externalizable object', hex('0a 07 03 43'), 'amf3-unsupported'],
  ['vector', hex('0d 03 00'), 'amf3-unsupported'],
  ['unknown marker', hex('20'), 'amf-bad-marker'],
  ['dense count beyond the input', hex('09 81 49 01'), 'truncated'],
  ['dense count over the cap', hex('09 ff ff 7f 01'), 'amf-too-many-elements'],
  ['array nesting bomb', bomb, 'amf-too-deep'],
  ['byte array over the string cap', hex('0c ff ff ff ff'), 'amf-string-too-long'],
];

for (const [name, bytes, reason] of corrupt) {
  test(`AMF3 decode rejects ${name} with ParseError('${reason}')`, () => {
    assert.throws(() => decodeAmf3Value(bytes), (e: unknown) => e instanceof ParseError && e.reason === reason);
  });
}
