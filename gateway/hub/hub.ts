import type { StreamOrigin, StreamProtocol } from '../../protocol/control/messages.js';
import { logger } from '../lib/logger.js';
import type { Reader, ReaderHandlers } from './reader.js';
import { Stream, type Publisher } from './stream.js';

const log = logger.child({ mod: 'hub' });

/**
 * Most streams one worker carries. Each holds up to a GOP cache (16 MB worst case); this
 * bounds a publisher flood's memory, and a node with more belongs on more workers.
 */
export const MAX_STREAMS = 1_000;

/** A path is already live (and the caller did not ask to take it over). */
export class StreamConflictError extends Error {
  override name = 'StreamConflictError';
}

/** What the hub reports (the channel turns these into notifications). */
export interface HubObserver {
  onPublished(stream: Stream): void;
  onUnpublished(stream: Stream, reason: string): void;
  onTracks(stream: Stream): void;
}

/**
 * The streams of one gateway worker, by path: ingest adapters publish into it, egress
 * modules (FLV, RTMP play, HLS) subscribe readers to it. The single owner of every Stream.
 */
export class Hub {
  readonly #streams = new Map<string, Stream>();
  readonly #observers: HubObserver[] = [];

  /** Adds an observer (the channel; packagers that follow every stream, such as HLS). */
  observe(observer: HubObserver): void {
    this.#observers.push(observer);
  }

  get size(): number {
    return this.#streams.size;
  }

  streams(): IterableIterator<Stream> {
    return this.#streams.values();
  }

  getStream(path: string): Stream | undefined {
    return this.#streams.get(path);
  }

  /**
   * Creates the stream at `path`. A live stream there is closed first when `takeover` is
   * set (its publisher is told why), else this throws StreamConflictError. A mirror (relay
   * copy) always gives way to a real publisher. Observers hear of real streams only.
   */
  publish(path: string, origin: StreamOrigin, publisher: Publisher, options: { takeover?: boolean; mirror?: boolean } = {}): Stream {
    const existing = this.#streams.get(path);
    if (existing) {
      if (existing.mirror && !options.mirror) this.kick(path, 'the stream is now published on this worker');
      else if (options.takeover) this.kick(path, 'taken over by a new publisher');
      else throw new StreamConflictError(`stream ${path} is already live`);
    }
    if (this.#streams.size >= MAX_STREAMS) throw new StreamConflictError(`worker carries ${MAX_STREAMS} streams already`);
    const mirror = options.mirror ?? false;
    const stream = new Stream({ path, origin, publisher, mirror, onTracks: (s) => !s.mirror && this.#each((o) => o.onTracks(s)) });
    this.#streams.set(path, stream);
    log.info({ path, origin, remoteAddress: publisher.remoteAddress, mirror }, 'stream published');
    if (!mirror) this.#each((o) => o.onPublished(stream));
    return stream;
  }

  /** Ends a stream: readers closed, observers told. No-op for a stream no longer current. */
  unpublish(stream: Stream, reason: string): void {
    if (this.#streams.get(stream.path) !== stream) return;
    this.#streams.delete(stream.path);
    stream.close(reason);
    log.info({ path: stream.path, reason }, 'stream unpublished');
    if (!stream.mirror) this.#each((o) => o.onUnpublished(stream, reason));
  }

  /** Closes a stream's publisher (API kick, takeover) and unpublishes it. */
  kick(path: string, reason: string): boolean {
    const stream = this.#streams.get(path);
    if (!stream) return false;
    this.unpublish(stream, reason);
    stream.publisher.close(reason);
    return true;
  }

  /** Adds a reader to a live stream, or returns undefined when the path is not live. */
  subscribe(path: string, protocol: StreamProtocol, remoteAddress: string, handlers: ReaderHandlers): Reader | undefined {
    return this.#streams.get(path)?.subscribe(protocol, remoteAddress, handlers);
  }

  /** Ends every stream (worker shutdown). */
  close(reason: string): void {
    for (const path of [...this.#streams.keys()]) this.kick(path, reason);
  }

  #each(fn: (o: HubObserver) => void): void {
    for (const o of this.#observers) {
      try {
        fn(o);
      } catch (err) {
        log.error({ err }, 'hub observer threw');
      }
    }
  }
}
