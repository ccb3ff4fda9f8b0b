import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BitReader } from '../../../../protocol/bits/bit-reader.js';
import { BitWriter } from '../../../../protocol/bits/bit-writer.js';
import { ByteWriter } from '../../../../protocol/bits/byte-writer.js';
import { insertEmulationPrevention, removeEmulationPrevention } from '../../../../protocol/bits/emulation-prevention.js';
import { ParseError } from '../../../../protocol/errors.js';

test('BitReader reads fixed fields MSB first across byte boundaries, up to 32 bits unsigned', () => {
  const r = new BitReader(Uint8Array.of(0b1011_0011, 0xff, 0xff, 0xff, 0xff));
  assert.equal(r.readBits(3), 0b101);
  assert.equal(r.readFlag(), true);
  assert.equal(r.bitsLeft, 36);
  assert.equal(r.readBits(4), 0b0011);
  assert.equal(r.readBits(32), 0xffffffff);
  assert.equal(r.bitsLeft, 0);
});

// ue(v) codewords from H.264 Table 9-2 and their se(v) mapping from Table 9-3.
const expGolomb: Array<[string, number, number]> = [
  ['1', 0, 0],
  ['010', 1, 1],
  ['011', 2, -1],
  ['00100', 3, 2],
  ['00111', 6, -3],
  ['0001000', 7, 4],
  ['000000011111111', 254, -127],
];

for (const [bits, ue, se] of expGolomb) {
  test(`BitReader decodes Exp-Golomb ${bits} as ue ${ue} and se ${se}`, () => {
    const w = new BitWriter();
    for (const c of bits) w.writeBits(Number(c), 1);
    w.writeBits(1, 1); // guard bit so padding cannot help
    const data = w.finish();
    const a = new BitReader(data);
    assert.equal(a.readUe(), ue);
    assert.equal(a.bitPosition, bits.length);
    assert.equal(new BitReader(data).readSe(), se);
  });
}

test('BitReader throws ParseError truncated instead of reading past the end', () => {
  const r = new BitReader(Uint8Array.of(0xff), 0, 1);
  r.readBits(6);
  assert.throws(() => r.readBits(3), (e: unknown) => e instanceof ParseError && e.reason === 'truncated');
  assert.throws(() => new BitReader(Uint8Array.of(0, 0)).readUe(), (e: unknown) => e instanceof ParseError && e.reason === 'truncated');
  assert.throws(() => new BitReader(Uint8Array.of(0xff)).skipBits(9), (e: unknown) => e instanceof ParseError && e.reason === 'truncated');
});

test('BitReader rejects an Exp-Golomb code with more than 31 leading zeros', () => {
  const data = Uint8Array.of(0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff);
  assert.throws(() => new BitReader(data).readUe(), (e: unknown) => e instanceof ParseError && e.reason === 'exp-golomb-overflow');
});

test('BitReader honours a byte window inside a larger buffer', () => {
  const r = new BitReader(Uint8Array.of(0xaa, 0x0f, 0xbb), 1, 1);
  assert.equal(r.readBits(8), 0x0f);
  assert.equal(r.bitsLeft, 0);
});

// [name, rbsp, nal payload]
const epb: Array<[string, number[], number[]]> = [
  ['no zero runs', [0x67, 0x42, 0x00, 0x1e], [0x67, 0x42, 0x00, 0x1e]],
  ['00 00 00', [0x00, 0x00, 0x00], [0x00, 0x00, 0x03, 0x00]],
  ['ends in a cabac_zero_word', [0x11, 0x00, 0x00], [0x11, 0x00, 0x00, 0x03]],
  ['00 00 01', [0x11, 0x00, 0x00, 0x01, 0x22], [0x11, 0x00, 0x00, 0x03, 0x01, 0x22]],
  ['00 00 03 itself', [0x00, 0x00, 0x03], [0x00, 0x00, 0x03, 0x03]],
  ['00 00 04 needs nothing', [0x00, 0x00, 0x04], [0x00, 0x00, 0x04]],
  ['two runs back to back', [0x00, 0x00, 0x00, 0x00, 0x02], [0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x02]],
];

for (const [name, rbsp, nal] of epb) {
  test(`emulation prevention round trip: ${name}`, () => {
    const rbspBytes = Uint8Array.from(rbsp);
    const nalBytes = Uint8Array.from(nal);
    assert.deepEqual([...insertEmulationPrevention(rbspBytes)], nal);
    assert.deepEqual([...removeEmulationPrevention(nalBytes)], rbsp);
    assert.deepEqual([...nalBytes], nal, 'input not mutated');
  });
}

test('ByteWriter writes big-endian integers, u64 above 2^32, and patches a size', () => {
  const w = new ByteWriter(4);
  w.u32(0).ascii('moof').u64(2 ** 33 + 5).u24(0x010203).i16(-2).u8(7);
  w.setU32At(0, w.length);
  const out = w.finish();
  assert.deepEqual([...out], [0, 0, 0, 22, 0x6d, 0x6f, 0x6f, 0x66, 0, 0, 0, 2, 0, 0, 0, 5, 1, 2, 3, 0xff, 0xfe, 7]);
  assert.throws(() => new ByteWriter().u8(256), RangeError);
  assert.throws(() => new ByteWriter().u64(2 ** 53), RangeError);
});

test('BitWriter packs fields MSB first and pads the last byte with zeros', () => {
  const out = new BitWriter().writeBits(2, 5).writeBits(4, 4).writeBits(2, 4).writeFlag(false).finish();
  assert.deepEqual([...out], [0x12, 0x10]); // AudioSpecificConfig for AAC-LC 44.1 kHz stereo
  assert.throws(() => new BitWriter().writeBits(8, 3), RangeError);
});

test('ByteWriter keeps every field when it grows mid-write', () => {
  const w = new ByteWriter(16);
  for (let i = 0; i < 100; i += 1) w.u32(i).u16(i).u8(i).bytes(Uint8Array.of(i));
  const out = w.finish();
  assert.equal(out.length, 800);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 100; i += 1) {
    assert.equal(view.getUint32(i * 8), i);
    assert.equal(view.getUint16(i * 8 + 4), i);
    assert.equal(out[i * 8 + 6], i);
    assert.equal(out[i * 8 + 7], i);
  }
});
