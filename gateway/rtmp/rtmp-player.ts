import { onMetaDataData, onStatusCommand, sampleAccessData, StatusCode } from '../../protocol/rtmp/commands.js';
import { userControlMessage, type RtmpMessage } from '../../protocol/rtmp/messages.js';
import { FlvTagMapper } from '../flv/tag-mapper.js';
import type { Reader } from '../hub/reader.js';
import type { Stream } from '../hub/stream.js';

/** Most bytes of messages encoded into one socket write (see MAX_WRITE_BATCH_BYTES in flv/). */
export const MAX_PLAY_BATCH_BYTES = 256 * 1024;
/**
 * A player whose socket has not drained for this long is gone or hopelessly behind (its reader
 * has been dropping frames all that time): end it rather than hold the connection forever.
 */
export const PLAY_WRITE_STALL_TIMEOUT_MS = 30_000;

/** What the player needs from its session: encoding with the session's chunk writer, writes. */
export interface PlayerSession {
  readonly remoteAddress: string;
  encode(messages: readonly RtmpMessage[]): Uint8Array;
  write(bytes: Uint8Array): boolean;
  onDrain(listener: () => void): void;
  close(reason: string): void;
}

/**
 * The playing half of an RTMP session: Stream Begin, NetStream.Play.Reset/Start, sample
 * access, onMetaData, then the reader's items as audio/video messages (the same tags as
 * HTTP-FLV), written as fast as the socket takes them and no faster.
 */
export class RtmpPlayer {
  readonly streamId: number;
  readonly path: string;
  readonly #session: PlayerSession;
  readonly #stream: Stream;
  readonly #mapper = new FlvTagMapper();
  #reader: Reader | null = null;
  #stallTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(options: { session: PlayerSession; stream: Stream; streamId: number; path: string }) {
    this.#session = options.session;
    this.#stream = options.stream;
    this.streamId = options.streamId;
    this.path = options.path;
  }

  start(): void {
    const id = this.streamId;
    const head: RtmpMessage[] = [
      userControlMessage({ event: 'streamBegin', streamId: id }),
      onStatusCommand(id, { level: 'status', code: StatusCode.PlayReset, description: `Playing and resetting ${this.path}.` }),
      onStatusCommand(id, { level: 'status', code: StatusCode.PlayStart, description: `Started playing ${this.path}.` }),
      sampleAccessData(id),
    ];
    const meta = this.#stream.metadata;
    if (meta) head.push(onMetaDataData(id, meta));
    this.#reader = this.#stream.subscribe('rtmp', this.#session.remoteAddress, {
      onReadable: () => this.#pump(),
      onClose: (reason) => {
        if (this.#closed) return;
        this.#session.write(this.#session.encode([onStatusCommand(id, { level: 'status', code: StatusCode.PlayUnpublishNotify, description: reason })]));
        this.#session.close(`stream ended: ${reason}`);
      },
    });
    this.#session.write(this.#session.encode(head));
    this.#pump();
  }

  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
    this.#stallTimer = null;
    this.#reader?.close(reason);
  }

  #pump(): void {
    const reader = this.#reader;
    if (!reader || this.#stallTimer || this.#closed) return;
    while (!this.#closed) {
      const batch: RtmpMessage[] = [];
      let size = 0;
      while (size < MAX_PLAY_BATCH_BYTES) {
        const item = reader.shift();
        if (!item) break;
        for (const tag of this.#mapper.map(item)) {
          batch.push({ typeId: tag.type, streamId: this.streamId, timestamp: tag.timestamp, payload: tag.data });
          size += tag.data.byteLength;
        }
      }
      if (batch.length === 0) return;
      if (!this.#session.write(this.#session.encode(batch))) {
        this.#stallTimer = setTimeout(() => this.#session.close('player stalled: socket not draining'), PLAY_WRITE_STALL_TIMEOUT_MS);
        this.#session.onDrain(() => {
          if (this.#stallTimer) clearTimeout(this.#stallTimer);
          this.#stallTimer = null;
          this.#pump();
        });
        return;
      }
    }
  }
}
