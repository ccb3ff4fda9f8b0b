/** Builders shared by the RTP payload format tests. */
import type { AccessUnit } from '../../../../protocol/media/access-unit.js';
import type { RtpDepacketizer, RtpPayloadOut } from '../../../../protocol/rtp-formats/types.js';

/** A NAL unit of `size` octets: the header bytes, then a counting pattern so that offsets matter. */
export function nalu(header: readonly number[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(header, 0);
  for (let i = header.length; i < size; i += 1) out[i] = (i * 7 + size) & 0xff;
  return out;
}

/** 4-octet length-prefixed NAL units, as in an AccessUnit. */
export function avcc(nalus: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(nalus.reduce((n, u) => n + 4 + u.length, 0));
  let at = 0;
  for (const u of nalus) {
    new DataView(out.buffer).setUint32(at, u.length);
    out.set(u, at + 4);
    at += 4 + u.length;
  }
  return out;
}

export function videoUnit(codec: 'h264' | 'h265', nalus: readonly Uint8Array[], pts: number, keyframe: boolean): AccessUnit {
  return { type: 'video', codec, pts, dts: pts, keyframe, data: avcc(nalus) };
}

/** Feeds packets with consecutive sequence numbers from `firstSeq` (mod 2^16), skipping the indices in `lose`. */
export function feed(d: RtpDepacketizer, packets: readonly RtpPayloadOut[], firstSeq: number, lose: ReadonlySet<number> = new Set()): { units: AccessUnit[]; errors: string[] } {
  const units: AccessUnit[] = [];
  const errors: string[] = [];
  packets.forEach((p, i) => {
    if (lose.has(i)) return;
    const r = d.push({ payload: p.payload, marker: p.marker, timestamp: p.timestamp, sequenceNumber: (firstSeq + i) & 0xffff });
    units.push(...r.units);
    if (r.error) errors.push(r.error.reason);
  });
  return { units, errors };
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
