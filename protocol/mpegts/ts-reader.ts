/**
 * Minimal MPEG-2 transport stream reader (ISO 13818-1): finds the program through PAT and PMT,
 * reassembles PES packets per elementary PID and returns one frame per PES packet. Meant for
 * tests and for ingest; damaged input is counted in `stats`, never thrown.
 */
import { ParseError } from '../errors.js';
import { TS_HEADER_SIZE, TS_PACKET_SIZE, TS_SYNC_BYTE } from './packet.js';
import { parsePesHeader } from './pes.js';
import { PAT_PID, parsePat, parsePmt, type Pmt } from './psi.js';

/**
 * Largest PES packet reassembled. An intra frame of 4K video at high bitrate is a few MB;
 * anything past this is dropped so a stream without PUSI cannot grow memory without bound.
 */
export const MAX_PES_SIZE = 16 * 1024 * 1024;

export interface TsFrame {
  pid: number;
  streamType: number;
  /** 33-bit timestamps as found (not unwrapped). */
  pts?: number;
  dts?: number;
  /** random_access_indicator of the packet that started this PES. */
  randomAccess: boolean;
  /** The elementary stream bytes of the PES packet (a new buffer). */
  data: Uint8Array;
}

export interface TsReaderStats {
  /** Bytes skipped to find sync_byte again. */
  bytesSkipped: number;
  /** Packets whose continuity_counter did not follow the previous one. */
  continuityErrors: number;
  /** PSI sections or PES packets that failed to parse, or PES over MAX_PES_SIZE. */
  badUnits: number;
}

interface PesAssembly {
  chunks: Uint8Array[];
  size: number;
  randomAccess: boolean;
  /** Whole PES size when PES_packet_length is non-zero: the packet completes without the next PUSI. */
  expected?: number;
}

/** packet_start_code_prefix + stream_id + PES_packet_length (§2.4.3.6). */
const PES_PREFIX_SIZE = 6;

export class TsReader {
  readonly stats: TsReaderStats = { bytesSkipped: 0, continuityErrors: 0, badUnits: 0 };
  private pending = new Uint8Array(0);
  private pmtPid: number | undefined;
  private program: Pmt | undefined;
  private readonly assemblies = new Map<number, PesAssembly>();
  private readonly counters = new Map<number, number>();

  /** The PMT once seen. */
  get pmt(): Pmt | undefined {
    return this.program;
  }

  /**
   * Feeds bytes (any split); returns the PES packets completed by them: at once when
   * PES_packet_length is set (audio), else when the next PES of that PID starts (video).
   */
  push(chunk: Uint8Array): TsFrame[] {
    const data = new Uint8Array(this.pending.length + chunk.length);
    data.set(this.pending);
    data.set(chunk, this.pending.length);
    const frames: TsFrame[] = [];
    let i = 0;
    while (data.length - i >= TS_PACKET_SIZE) {
      if (data[i] !== TS_SYNC_BYTE) {
        i += 1;
        this.stats.bytesSkipped += 1;
        continue;
      }
      this.packet(data.subarray(i, i + TS_PACKET_SIZE), frames);
      i += TS_PACKET_SIZE;
    }
    this.pending = data.slice(i);
    return frames;
  }

  /** Ends the stream: returns the PES packets still being assembled. */
  flush(): TsFrame[] {
    const frames: TsFrame[] = [];
    for (const pid of [...this.assemblies.keys()]) this.finish(pid, frames);
    return frames;
  }

  private packet(p: Uint8Array, frames: TsFrame[]): void {
    const b1 = p[1] as number;
    const pusi = (b1 & 0x40) !== 0;
    const pid = ((b1 & 0x1f) << 8) | (p[2] as number);
    const afc = ((p[3] as number) >>> 4) & 0x03;
    const cc = (p[3] as number) & 0x0f;
    let at = TS_HEADER_SIZE;
    let randomAccess = false;
    if (afc & 0x2) {
      const afLength = p[4] as number;
      if (afLength > TS_PACKET_SIZE - TS_HEADER_SIZE - 1) {
        this.stats.badUnits += 1;
        return;
      }
      if (afLength > 0) randomAccess = ((p[5] as number) & 0x40) !== 0;
      at += 1 + afLength;
    }
    if (!(afc & 0x1)) return; // no payload: counter does not advance (§2.4.3.3)
    const last = this.counters.get(pid);
    this.counters.set(pid, cc);
    if (last !== undefined && cc !== (last + 1) % 16 && cc !== last) {
      this.stats.continuityErrors += 1;
      this.assemblies.delete(pid); // the PES in progress lost bytes
    }
    const payload = p.subarray(at);
    if (pid === PAT_PID || pid === this.pmtPid) {
      if (pusi) this.section(pid, payload);
      return;
    }
    const stream = this.program?.streams.find((s) => s.pid === pid);
    if (!stream) return;
    if (pusi) {
      this.finish(pid, frames);
      const asm: PesAssembly = { chunks: [], size: 0, randomAccess };
      if (payload.length >= PES_PREFIX_SIZE) {
        const length = ((payload[4] as number) << 8) | (payload[5] as number);
        if (length > 0) asm.expected = PES_PREFIX_SIZE + length;
      }
      this.assemblies.set(pid, asm);
    }
    const asm = this.assemblies.get(pid);
    if (!asm) return; // joined mid-PES: wait for the next start
    asm.size += payload.length;
    if (asm.size > MAX_PES_SIZE) {
      this.assemblies.delete(pid);
      this.stats.badUnits += 1;
      return;
    }
    asm.chunks.push(payload.slice());
    if (asm.expected !== undefined && asm.size >= asm.expected) this.finish(pid, frames);
  }

  /** PAT/PMT: sections that start in this packet (pointer_field, §2.4.4.2). */
  private section(pid: number, payload: Uint8Array): void {
    const pointer = payload[0] as number;
    const body = payload.subarray(1 + pointer);
    try {
      if (pid === PAT_PID) {
        this.pmtPid = parsePat(body)[0]?.pmtPid;
      } else {
        this.program = parsePmt(body);
      }
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.stats.badUnits += 1;
    }
  }

  private finish(pid: number, frames: TsFrame[]): void {
    const asm = this.assemblies.get(pid);
    this.assemblies.delete(pid);
    const stream = this.program?.streams.find((s) => s.pid === pid);
    if (!asm || !stream || asm.size === 0) return;
    const pes = new Uint8Array(asm.size);
    let at = 0;
    for (const c of asm.chunks) {
      pes.set(c, at);
      at += c.length;
    }
    try {
      const h = parsePesHeader(pes);
      if (!h) throw new ParseError('truncated', 'PES header');
      const end = h.packetLength === 0 ? pes.length : Math.min(pes.length, PES_PREFIX_SIZE + h.packetLength);
      const frame: TsFrame = { pid, streamType: stream.streamType, randomAccess: asm.randomAccess, data: pes.subarray(h.payloadOffset, end) };
      if (h.pts !== undefined) frame.pts = h.pts;
      if (h.dts !== undefined) frame.dts = h.dts;
      frames.push(frame);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.stats.badUnits += 1;
    }
  }
}
