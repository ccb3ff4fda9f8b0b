import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRtpHeader } from '../../../protocol/rtp/index.js';
import { isH264KeyframePayload } from '../../../protocol/rtp-formats/index.js';
import { RTP_GOP_CACHE_MAX_PACKETS, RtpGopCache } from '../../../server/sfu/RtpGopCache.js';

/** H.264 RTP payloads (RFC 6184 §5.6, §5.8): NAL header bytes 0x65 IDR, 0x41 non-IDR slice, 0x67 SPS; FU-A 0x7c. */
const IDR = Uint8Array.of(0x65, 0x88, 0x84);
const SLICE = Uint8Array.of(0x41, 0x9a, 0x22);
const FU_IDR_START = Uint8Array.of(0x7c, 0x85, 0x88);
const FU_IDR_MIDDLE = Uint8Array.of(0x7c, 0x05, 0x11);
const STAP_SPS_PPS = Uint8Array.of(0x78, 0, 2, 0x67, 0x42, 0, 2, 0x68, 0xce);

let seq = 1000;
function rtp(timestamp: number, payload: Uint8Array, marker = false): Buffer {
  const b = Buffer.alloc(12 + payload.length);
  b[0] = 0x80;
  b[1] = (marker ? 0x80 : 0) | 102;
  b.writeUInt16BE(seq++ & 0xffff, 2);
  b.writeUInt32BE(timestamp >>> 0, 4);
  b.writeUInt32BE(0x1234, 8);
  b.set(payload, 12);
  return b;
}

function feed(cache: RtpGopCache, packets: Buffer[]): void {
  for (const p of packets) cache.push(p, parseRtpHeader(p));
}

const seqOf = (b: Buffer): number => b.readUInt16BE(2);

test('RtpGopCache: nothing is kept before the first keyframe', () => {
  const c = new RtpGopCache(isH264KeyframePayload);
  feed(c, [rtp(0, SLICE, true), rtp(3000, SLICE, true)]);
  assert.equal(c.packets.length, 0);
});

test('RtpGopCache: keeps the keyframe and the frames after it, in order, copied', () => {
  const c = new RtpGopCache(isH264KeyframePayload);
  const packets = [rtp(0, SLICE, true), rtp(3000, STAP_SPS_PPS), rtp(3000, FU_IDR_START), rtp(3000, FU_IDR_MIDDLE, true), rtp(6000, SLICE, true), rtp(9000, SLICE, true)];
  feed(c, packets);
  assert.deepEqual(c.packets.map(seqOf), packets.slice(1).map(seqOf));
  assert.equal(c.bytes, packets.slice(1).reduce((n, p) => n + p.length, 0));
  packets[1]!.fill(0);
  assert.notEqual(c.packets[0]![12], 0, 'the cache holds its own copy');
});

test('RtpGopCache: a new keyframe empties the cache and starts it again', () => {
  const c = new RtpGopCache(isH264KeyframePayload);
  feed(c, [rtp(0, IDR, true), rtp(3000, SLICE, true), rtp(6000, SLICE, true)]);
  const second = rtp(9000, FU_IDR_START);
  feed(c, [second, rtp(9000, FU_IDR_MIDDLE, true), rtp(12000, SLICE, true)]);
  assert.equal(c.packets.length, 3);
  assert.equal(seqOf(c.packets[0]!), seqOf(second));
});

test('RtpGopCache: a keyframe payload inside an access unit does not restart it (only the first packet is tested)', () => {
  const c = new RtpGopCache(isH264KeyframePayload);
  feed(c, [rtp(0, IDR, true), rtp(3000, SLICE), rtp(3000, IDR, true)]);
  assert.equal(c.packets.length, 3);
});

test('RtpGopCache: past RTP_GOP_CACHE_MAX_PACKETS it empties and waits for the next keyframe', () => {
  const c = new RtpGopCache(isH264KeyframePayload);
  feed(c, [rtp(0, IDR, true)]);
  for (let i = 1; i < RTP_GOP_CACHE_MAX_PACKETS; i++) feed(c, [rtp(3000 * i, SLICE, true)]);
  assert.equal(c.packets.length, RTP_GOP_CACHE_MAX_PACKETS);
  feed(c, [rtp(3000 * RTP_GOP_CACHE_MAX_PACKETS, SLICE, true)]);
  assert.equal(c.packets.length, 0, 'overflow empties');
  feed(c, [rtp(3000 * (RTP_GOP_CACHE_MAX_PACKETS + 1), SLICE, true)]);
  assert.equal(c.packets.length, 0, 'stays empty until a keyframe');
  feed(c, [rtp(3000 * (RTP_GOP_CACHE_MAX_PACKETS + 2), IDR, true)]);
  assert.equal(c.packets.length, 1);
  c.clear();
  assert.equal(c.packets.length, 0);
  assert.equal(c.bytes, 0);
});
