import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOggPage, OGG_BOS, OGG_MAX_PACKET_SIZE, oggCrc, OggPageReader } from '../../../gateway/transcode/ogg.js';

const pkt = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

/** Valid streams: pages → packets (with granule on the page's last packet), cut anywhere. */
const valid: { name: string; pages: Parameters<typeof buildOggPage>[0][]; expect: { size: number; granule: number }[] }[] = [
  { name: 'one packet per page', pages: [{ packets: [pkt(19, 1)], granule: 0, serial: 7, sequence: 0, headerType: OGG_BOS }, { packets: [pkt(80, 2)], granule: 960, serial: 7, sequence: 1 }], expect: [{ size: 19, granule: 0 }, { size: 80, granule: 960 }] },
  { name: 'several packets in a page', pages: [{ packets: [pkt(10, 3), pkt(20, 4), pkt(30, 5)], granule: 2880, serial: 1, sequence: 0 }], expect: [{ size: 10, granule: -1 }, { size: 20, granule: -1 }, { size: 30, granule: 2880 }] },
  { name: 'packet of exactly 255 octets (a 0 lacing value ends it)', pages: [{ packets: [pkt(255, 6)], granule: 5, serial: 1, sequence: 0 }], expect: [{ size: 255, granule: 5 }] },
  { name: 'packet of 600 octets', pages: [{ packets: [pkt(600, 7)], granule: 9, serial: 1, sequence: 0 }], expect: [{ size: 600, granule: 9 }] },
];

for (const c of valid) {
  test(`OggPageReader reads ${c.name}, whole or one byte at a time`, () => {
    const bytes = Buffer.concat(c.pages.map((p) => buildOggPage(p)));
    const whole = new OggPageReader().push(bytes);
    assert.deepEqual(whole.map((p) => ({ size: p.data.length, granule: p.granule })), c.expect);
    const r = new OggPageReader();
    const bytewise = [];
    for (const b of bytes) bytewise.push(...r.push(Uint8Array.of(b)));
    assert.deepEqual(bytewise.map((p) => ({ size: p.data.length, granule: p.granule })), c.expect);
    assert.equal(r.errors, 0);
  });
}

const good = buildOggPage({ packets: [pkt(40, 9)], granule: 960, serial: 3, sequence: 2 });
function corrupt(at: number, value: number): Uint8Array {
  const b = good.slice();
  b[at] = value;
  return b;
}

/** Corrupt inputs: each is dropped and counted, and the good page after it still reads. */
const bad: { name: string; bytes: Uint8Array; errors: number }[] = [
  { name: 'CRC mismatch (body byte flipped)', bytes: corrupt(good.length - 1, 0xff), errors: 1 },
  { name: 'version 1', bytes: corrupt(4, 1), errors: 1 },
  { name: 'garbage before the capture pattern', bytes: Uint8Array.of(1, 2, 3, 0x4f, 0x67, 0x67), errors: 0 },
  { name: 'truncated page followed by a new one', bytes: good.subarray(0, 30), errors: 1 },
];

for (const c of bad) {
  test(`OggPageReader drops ${c.name} and resyncs`, () => {
    const r = new OggPageReader();
    const input = Buffer.concat([c.bytes, good]);
    const copy = Buffer.from(input);
    const out = r.push(input);
    assert.deepEqual(out.map((p) => p.data.length), [40]);
    assert.ok(r.errors >= c.errors, `errors ${r.errors}`);
    assert.deepEqual(input, copy, 'input not mutated');
  });
}

/** A page whose 255 lacing values are all 255: its packet continues on the next page. */
function continuedPage(sequence: number): Uint8Array {
  const body = 255 * 255;
  const page = new Uint8Array(27 + 255 + body);
  page.set([0x4f, 0x67, 0x67, 0x53], 0);
  page[5] = sequence > 0 ? 1 : 0;
  new DataView(page.buffer).setBigInt64(6, -1n, true);
  new DataView(page.buffer).setUint32(18, sequence, true);
  page[26] = 255;
  page.fill(255, 27, 27 + 255);
  new DataView(page.buffer).setUint32(22, oggCrc(page), true);
  return page;
}

test('OggPageReader drops a packet continued past OGG_MAX_PACKET_SIZE, then reads on', () => {
  const r = new OggPageReader();
  let out = 0;
  const pages = Math.ceil(OGG_MAX_PACKET_SIZE / (255 * 255)) + 1;
  for (let i = 0; i < pages; i++) out += r.push(continuedPage(i)).length;
  assert.equal(out, 0);
  assert.equal(r.errors, 1);
  assert.deepEqual(r.push(good).map((p) => p.data.length), [40]);
});
