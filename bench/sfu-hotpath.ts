/**
 * Micro-benchmark of the SFU forwarding hot path, in JS only (no engine, no sockets):
 * `Producer.receive()` of one VP8 video stream fanned out to N consumers whose `send` accepts
 * every packet without copying it, as node-datachannel's `sendMessageBinary` would be handed it.
 * Reports µs of CPU per received packet and per forwarded packet, and the heap allocated per
 * forwarded packet (what per-packet garbage costs the GC).
 *
 *   node --expose-gc --max-semi-space-size=256 --import tsx bench/sfu-hotpath.ts [N ...]
 *   (default N: 1 10 100; without the flags the heap column means nothing)
 *
 * Not a test and not part of `npm test`; the end-to-end figure with real peers is
 * bench/sfu-fanout.ts.
 */
import { performance } from 'node:perf_hooks';
import { Consumer } from '../server/sfu/Consumer.js';
import { Producer } from '../server/sfu/Producer.js';
import type { RtpCodec } from '../server/sfu/ortc.js';

const VP8: RtpCodec = {
  mimeType: 'video/VP8',
  clockRate: 90_000,
  payloadType: 96,
  parameters: {},
  rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
};
/** Packets per frame and frames between keyframes: ~1.5 Mb/s 720p30 VP8 at 1200-octet packets. */
const PACKETS_PER_FRAME = 6;
const GOP_FRAMES = 30;
const PACKET_LENGTH = 1200;
const WARMUP_PACKETS = 50_000;
/** Enough packets that one run takes around a second of CPU at N = 100. */
const FORWARDS_PER_RUN = 5_000_000;
/** Forwards in the allocation phase: small enough that their garbage fits a 256 MB semi-space. */
const ALLOC_FORWARDS = 200_000;

/** A VP8 RTP packet of 1000–1200 octets (RFC 7741 §4.2 descriptor: X=1, S on a frame's first packet, 15-bit PictureID). */
function vp8Packet(seq: number, frame: number, index: number): Buffer {
  // Frame sizes vary and a frame is split into near-equal packets (as libwebrtc's packetizer does).
  const b = Buffer.alloc(PACKET_LENGTH - ((frame * 37) % 200));
  b[0] = 0x90; // V=2, X=1 (one-byte header extension follows)
  b[1] = (index === PACKETS_PER_FRAME - 1 ? 0x80 : 0) | VP8.payloadType;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((frame * 3000) >>> 0, 4);
  b.writeUInt32BE(0x1234_5678, 8);
  b.writeUInt16BE(0xbede, 12); // RFC 8285 one-byte extension: one word (abs-send-time)
  b.writeUInt16BE(1, 14);
  b[16] = 0x32;
  const at = 20;
  b[at] = 0x80 | (index === 0 ? 0x10 : 0); // X, S
  b[at + 1] = 0x80; // I: PictureID present
  b.writeUInt16BE(0x8000 | (frame & 0x7fff), at + 2);
  b[at + 4] = frame % GOP_FRAMES === 0 ? 0x00 : 0x01; // VP8 payload header: P bit (0 = keyframe)
  return b;
}

/**
 * The consumers' send: keeps a reference like the engine's native call does, so V8 cannot
 * optimise away the buffer views the hot path creates (a send ignoring its argument would hide them).
 */
let lastSent: Uint8Array | undefined;
function keep(packet: Uint8Array): boolean {
  lastSent = packet;
  return lastSent.length > 0;
}

function run(n: number): { usPerReceived: number; usPerForwarded: number; bytesPerForwarded: number } {
  const producer = new Producer({ kind: 'video', mid: '0', codec: VP8, ssrc: 0x1234_5678, paused: false, appData: {}, rtcpSenderSsrc: 1, sendRtcp: () => true });
  for (let i = 0; i < n; i++) {
    const c = new Consumer({ producer, codec: VP8, ssrc: 1000 + i, cname: 'bench', mid: String(i), paused: true, appData: {}, send: keep });
    c.resume();
  }
  // One GOP of distinct packets, replayed with rising sequence numbers and timestamps.
  const packets: Buffer[] = [];
  for (let f = 0; f < GOP_FRAMES; f++) for (let i = 0; i < PACKETS_PER_FRAME; i++) packets.push(vp8Packet(0, f, i));
  let seq = 0;
  const feed = (count: number): void => {
    for (let k = 0; k < count; k++) {
      const p = packets[k % packets.length] as Buffer;
      p[2] = (seq >>> 8) & 0xff;
      p[3] = seq & 0xff;
      p.writeUInt32BE(((Math.floor(seq / PACKETS_PER_FRAME) * 3000) >>> 0) >>> 0, 4);
      seq = (seq + 1) & 0xffff;
      producer.receive(p);
    }
  };
  feed(WARMUP_PACKETS);
  const received = Math.max(1000, Math.round(FORWARDS_PER_RUN / n));
  const forwardedBefore = producer.getStats().packetsForwarded;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  feed(received);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  const forwarded = producer.getStats().packetsForwarded - forwardedBefore;
  // Allocation: heap growth over a run short enough to fit the young generation (no GC between
  // the two readings when started with --max-semi-space-size=256 after a forced GC).
  const allocReceived = Math.max(100, Math.round(ALLOC_FORWARDS / n));
  const allocBefore = producer.getStats().packetsForwarded;
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  feed(allocReceived);
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  const allocForwarded = producer.getStats().packetsForwarded - allocBefore;
  producer.close();
  const cpuUs = Math.min(cpu.user + cpu.system, wall * 1000);
  return { usPerReceived: cpuUs / received, usPerForwarded: cpuUs / forwarded, bytesPerForwarded: heapGrowth / allocForwarded };
}

const ns = process.argv.slice(2).map(Number).filter((x) => x > 0);
console.log('N    µs/received  µs/forwarded  heap B/forwarded');
for (const n of ns.length > 0 ? ns : [1, 10, 100]) {
  const r = run(n);
  console.log(`${String(n).padEnd(4)} ${r.usPerReceived.toFixed(3).padStart(11)}  ${r.usPerForwarded.toFixed(3).padStart(12)}  ${r.bytesPerForwarded.toFixed(0).padStart(16)}`);
}
