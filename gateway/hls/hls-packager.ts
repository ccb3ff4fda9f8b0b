import { rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { streamPathSchema } from '../../protocol/control/messages.js';
import type { HubObserver } from '../hub/hub.js';
import type { Reader } from '../hub/reader.js';
import type { Stream } from '../hub/stream.js';
import { logger } from '../lib/logger.js';
import type { HlsConfig } from './hls-config.js';
import { HlsMuxer } from './hls-muxer.js';
import { fmp4Format, mpegtsFormat } from './segment-format.js';

const log = logger.child({ mod: 'hls' });

interface Entry {
  path: string;
  muxer: HlsMuxer;
  reader: Reader | undefined;
  /** A drain of the reader scheduled on the event loop (not run inside the publisher's call). */
  drain: NodeJS.Immediate | undefined;
  /** Pending removal of the directory after an unpublish. */
  cleanup: NodeJS.Timeout | undefined;
  /** Items the muxer threw on (bad codec data): counted, the first logged. */
  failures: number;
}

/**
 * Packages every stream of the hub as HLS under `<hls.dir>/<stream path>/` (one HlsMuxer per
 * stream, fed by an 'hls' reader of the stream). When a stream ends its files stay
 * `cleanupDelay` seconds, then the directory is removed. A republish within that grace
 * continues the same playlist (media sequence numbers keep counting) after an
 * EXT-X-DISCONTINUITY, so players that kept polling go on without reloading; after the grace
 * a publish starts a fresh playlist at sequence 0.
 */
export class HlsPackager implements HubObserver {
  readonly #config: HlsConfig;
  readonly #entries = new Map<string, Entry>();
  #closed = false;

  constructor(config: HlsConfig) {
    this.#config = config;
  }

  /** The muxer of a path (live or within its grace period). */
  muxer(streamPath: string): HlsMuxer | undefined {
    return this.#entries.get(streamPath)?.muxer;
  }

  onPublished(stream: Stream): void {
    if (this.#closed) return;
    if (!streamPathSchema.safeParse(stream.path).success) {
      log.warn({ path: stream.path }, 'stream path cannot name an HLS directory; not packaged');
      return;
    }
    let entry = this.#entries.get(stream.path);
    if (entry) {
      clearTimeout(entry.cleanup);
      entry.cleanup = undefined;
      entry.reader?.close('republished');
    } else {
      const muxer = new HlsMuxer({
        dir: path.join(this.#config.dir, stream.path),
        format: this.#config.format === 'mpegts' ? mpegtsFormat() : fmp4Format(),
        segmentDuration: this.#config.segmentDuration,
        partDuration: this.#config.partDuration,
        windowSegments: this.#config.windowSegments,
        log: log.child({ path: stream.path }),
      });
      entry = { path: stream.path, muxer, reader: undefined, drain: undefined, cleanup: undefined, failures: 0 };
      this.#entries.set(stream.path, entry);
    }
    const current = entry;
    const reader = stream.subscribe('hls', 'local', {
      // Packaging runs after the publisher's call returns: the ingest never waits for it, and
      // the reader's bounded queue absorbs a burst (dropping to a keyframe if HLS falls behind).
      onReadable: () => {
        current.drain ??= setImmediate(() => this.#drain(current));
      },
      onClose: () => {
        if (current.reader === reader) current.reader = undefined;
      },
    });
    entry.reader = reader;
    // A late reader starts with the track set and the cached GOP, queued without onReadable.
    current.drain ??= setImmediate(() => this.#drain(current));
  }

  #drain(entry: Entry): void {
    entry.drain = undefined;
    const reader = entry.reader;
    if (!reader) return;
    for (let item = reader.shift(); item; item = reader.shift()) {
      try {
        entry.muxer.push(item);
      } catch (err) {
        if (entry.failures++ === 0) log.warn({ err, path: entry.path }, 'hls muxer rejected a unit (further failures counted, not logged)');
      }
    }
  }

  onUnpublished(stream: Stream): void {
    const entry = this.#entries.get(stream.path);
    if (!entry || this.#closed) return;
    // Package what the reader still holds before ending the playlist.
    if (entry.drain) clearImmediate(entry.drain);
    this.#drain(entry);
    entry.reader?.close('unpublished');
    entry.reader = undefined;
    entry.muxer.end();
    clearTimeout(entry.cleanup);
    entry.cleanup = setTimeout(() => {
      if (this.#entries.get(stream.path) !== entry) return;
      this.#entries.delete(stream.path);
      void this.#remove(entry, stream.path);
    }, this.#config.cleanupDelay * 1000);
  }

  onTracks(): void {
    // Track changes reach the muxer through its reader, in order with the units.
  }

  /** Stops packaging and removes every stream's files (the streams ended with the worker). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const entries = [...this.#entries];
    this.#entries.clear();
    await Promise.all(entries.map(([p, e]) => this.#remove(e, p)));
  }

  async #remove(entry: Entry, streamPath: string): Promise<void> {
    clearTimeout(entry.cleanup);
    if (entry.drain) clearImmediate(entry.drain);
    entry.drain = undefined;
    entry.reader?.close('hls closed');
    entry.muxer.close();
    await entry.muxer.idle();
    await rm(entry.muxer.dir, { recursive: true, force: true });
    // Remove parents left empty (`live/`), never the root itself.
    const segments = streamPath.split('/');
    for (let n = segments.length - 1; n > 0; n--) {
      try {
        await rmdir(path.join(this.#config.dir, ...segments.slice(0, n)));
      } catch {
        break; // not empty (another stream) or gone
      }
    }
    log.info({ path: streamPath }, 'hls files removed');
  }
}
