import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annexBToAvcc, avccToAnnexB, joinAnnexB, joinAvcc, splitAnnexB, splitAvcc, type NalLengthSize } from '../../../../protocol/codec/nal.js';
import { ParseError } from '../../../../protocol/errors.js';

const isReason = (reason: string) => (e: unknown): boolean => e instanceof ParseError && e.reason === reason;
const hex = (units: Uint8Array[]): string[] => units.map((u) => Buffer.from(u).toString('hex'));

// [name, Annex B input, NAL units]
const annexB: Array<[string, number[], string[]]> = [
  ['4-byte start codes', [0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68, 0xce], ['6742', '68ce']],
  ['3-byte start codes', [0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x65, 0x88], ['09f0', '6588']],
  ['mixed start codes and leading zero bytes', [0, 0, 0, 0, 1, 0x06, 0x05, 0, 0, 1, 0x41, 0x9a, 0, 0, 0, 1, 0x41, 0x9b], ['0605', '419a', '419b']],
  ['trailing_zero_8bits are not part of the unit', [0, 0, 1, 0x41, 0x01, 0, 0, 0, 0, 0, 0, 1, 0x41, 0x02, 0, 0], ['4101', '4102']],
  ['00 00 03 inside a unit is kept', [0, 0, 1, 0x67, 0, 0, 3, 1], ['67000003' + '01']],
  ['empty units between start codes are skipped', [0, 0, 1, 0, 0, 1, 0x68, 0x01], ['6801']],
];

for (const [name, input, units] of annexB) {
  test(`splitAnnexB(): ${name}`, () => {
    const data = Uint8Array.from(input);
    assert.deepEqual(hex(splitAnnexB(data)), units);
    assert.deepEqual([...data], input, 'input not mutated');
  });
}

test('splitAnnexB() of nothing is no units; data without a start code is a ParseError', () => {
  assert.deepEqual(splitAnnexB(new Uint8Array(0)), []);
  assert.throws(() => splitAnnexB(Uint8Array.of(0x67, 0x42, 0, 0, 1, 0x68)), isReason('missing-start-code'));
  assert.throws(() => splitAnnexB(Uint8Array.of(0, 1, 0x67)), isReason('missing-start-code'));
});

test('joinAnnexB() writes 4-byte start codes and splitAnnexB() reads them back', () => {
  const units = [Uint8Array.of(0x67, 1, 2), Uint8Array.of(0x68, 3), Uint8Array.of(0x65, 0, 0, 3, 1)];
  const joined = joinAnnexB(units);
  assert.deepEqual([...joined.subarray(0, 7)], [0, 0, 0, 1, 0x67, 1, 2]);
  assert.deepEqual(hex(splitAnnexB(joined)), hex(units));
});

for (const lengthSize of [1, 2, 4] as NalLengthSize[]) {
  test(`AVCC with ${lengthSize}-byte lengths: join then split gives the units back`, () => {
    const units = [Uint8Array.of(0x65, 0xaa), new Uint8Array(200).fill(0x41), Uint8Array.of(0x06)];
    const joined = joinAvcc(units, lengthSize);
    assert.equal(joined.length, units.reduce((n, u) => n + u.length + lengthSize, 0));
    assert.equal(joined[lengthSize - 1], 2, 'big-endian length of the first unit');
    assert.deepEqual(hex(splitAvcc(joined, lengthSize)), hex(units));
    assert.deepEqual(hex(splitAnnexB(avccToAnnexB(joined, lengthSize))), hex(units));
    assert.deepEqual([...annexBToAvcc(avccToAnnexB(joined, lengthSize), lengthSize)], [...joined]);
  });
}

// Corrupt and quirk inputs for splitAvcc: [name, bytes, lengthSize, units | ParseError reason]
const avccQuirks: Array<[string, number[], NalLengthSize, string[] | string]> = [
  ['zero-length entries are skipped', [0, 0, 0, 0, 0, 0, 0, 1, 0x09], 4, ['09']],
  ['length past the end', [0, 0, 0, 5, 0x65, 0x88], 4, 'truncated'],
  ['partial length prefix', [0, 1, 0x09, 0], 2, 'truncated'],
];
for (const [name, bytes, lengthSize, want] of avccQuirks) {
  test(`splitAvcc() quirk: ${name}`, () => {
    const data = Uint8Array.from(bytes);
    if (typeof want === 'string') assert.throws(() => splitAvcc(data, lengthSize), isReason(want));
    else assert.deepEqual(hex(splitAvcc(data, lengthSize)), want);
  });
}

test('joinAvcc() refuses a unit longer than its length prefix can say', () => {
  assert.throws(() => joinAvcc([new Uint8Array(256)], 1), TypeError);
  assert.throws(() => joinAvcc([], 3 as NalLengthSize), TypeError);
});
