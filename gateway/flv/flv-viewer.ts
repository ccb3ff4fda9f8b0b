import type { Logger } from 'pino';
import { buildFlvHeader, FLV_TAG_HEADER_SIZE, PREVIOUS_TAG_SIZE_SIZE, type FlvTag } from '../../protocol/flv/tag.js';
import type { Reader } from '../hub/reader.js';
import type { Stream } from '../hub/stream.js';
import type { ByteSink } from './byte-sink.js';
import { FlvTagMapper } from './tag-mapper.js';

/**
 * Most bytes gathered into one write. A late reader's cached GOP can be megabytes; writing it
 * in slices lets the socket push back between them instead of buffering it all at once.
 */
export const MAX_WRITE_BATCH_BYTES = 256 * 1024;
/**
 * A viewer whose connection has not drained for this long is gone or hopelessly behind (its
 * reader has dropped frames all that time): end it instead of holding the socket forever.
 */
export const WRITE_STALL_TIMEOUT_MS = 30_000;

/**
 * One HTTP-FLV or WS-FLV viewer: the FLV header, onMetaData, then its reader's items as FLV
 * tags (FLV spec v10.1 Annex E), written as the sink accepts them. While the sink is behind
 * nothing is written and the reader's bounded queue absorbs (and then drops) frames: the
 * viewer never buffers without bound and never slows the publisher.
 */
export class FlvViewer {
  readonly remoteAddress: string;
  readonly #sink: ByteSink;
  readonly #log: Logger;
  readonly #mapper = new FlvTagMapper();
  readonly #onClosed: (viewer: FlvViewer) => void;
  #reader: Reader | null = null;
  #waitingDrain = false;
  #stallTimer: NodeJS.Timeout | null = null;
  #closed = false;
  #bytesOut = 0;

  constructor(options: { remoteAddress: string; sink: ByteSink; log: Logger; onClosed: (viewer: FlvViewer) => void }) {
    this.remoteAddress = options.remoteAddress;
    this.#sink = options.sink;
    this.#log = options.log;
    this.#onClosed = options.onClosed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Subscribes to the stream and starts writing. */
  start(stream: Stream, protocol: 'flv' | 'ws-flv'): void {
    const hasVideo = stream.tracks.length === 0 || stream.hasVideo;
    const hasAudio = stream.tracks.length === 0 || stream.tracks.some((t) => t.type === 'audio');
    const head: Uint8Array[] = [buildFlvHeader({ hasAudio, hasVideo })];
    const meta = this.#mapper.metadataTag(stream.metadata);
    if (meta) head.push(...tagChunks(meta));
    this.#reader = stream.subscribe(protocol, this.remoteAddress, {
      onReadable: () => this.#pump(),
      onClose: (reason) => this.close(reason),
    });
    this.#write(head);
    this.#pump();
  }

  /** The one place a viewer's life ends: logs one line, detaches, ends the sink. Idempotent. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
    this.#stallTimer = null;
    this.#log.info({ remoteAddress: this.remoteAddress, bytesOut: this.#bytesOut, drops: this.#reader?.drops ?? 0 }, `closed: ${reason}`);
    this.#reader?.close(reason);
    this.#sink.end();
    this.#onClosed(this);
  }

  #pump(): void {
    const reader = this.#reader;
    if (!reader || this.#waitingDrain || this.#closed) return;
    while (!this.#waitingDrain && !this.#closed) {
      const batch: Uint8Array[] = [];
      let size = 0;
      while (size < MAX_WRITE_BATCH_BYTES) {
        const item = reader.shift();
        if (!item) break;
        for (const tag of this.#mapper.map(item)) {
          for (const c of tagChunks(tag)) {
            batch.push(c);
            size += c.byteLength;
          }
        }
      }
      if (batch.length === 0) return;
      this.#write(batch);
    }
  }

  #write(chunks: Uint8Array[]): void {
    for (const c of chunks) this.#bytesOut += c.byteLength;
    if (this.#sink.write(chunks)) return;
    this.#waitingDrain = true;
    this.#stallTimer = setTimeout(() => this.close('viewer stalled: connection not draining'), WRITE_STALL_TIMEOUT_MS);
    this.#sink.onDrain(() => {
      if (this.#stallTimer) clearTimeout(this.#stallTimer);
      this.#stallTimer = null;
      this.#waitingDrain = false;
      this.#pump();
    });
  }
}

/**
 * A tag as three chunks so the body (shared between viewers) is never copied: the 11-byte
 * tag header (E.4.1: TagType, DataSize u24, Timestamp u24 + TimestampExtended u8, StreamID
 * u24 = 0), the body, and PreviousTagSize (u32 = 11 + DataSize).
 */
function tagChunks(tag: FlvTag): Uint8Array[] {
  const size = tag.data.byteLength;
  const ts = tag.timestamp % 2 ** 32;
  const header = Buffer.allocUnsafe(FLV_TAG_HEADER_SIZE);
  header.writeUInt8(tag.type, 0);
  header.writeUIntBE(size, 1, 3);
  header.writeUIntBE(ts & 0xffffff, 4, 3);
  header.writeUInt8(Math.floor(ts / 0x1000000) & 0xff, 7);
  header.writeUIntBE(0, 8, 3);
  const trailer = Buffer.allocUnsafe(PREVIOUS_TAG_SIZE_SIZE);
  trailer.writeUInt32BE(FLV_TAG_HEADER_SIZE + size, 0);
  return [header, tag.data, trailer];
}
