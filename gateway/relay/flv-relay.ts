import http from 'node:http';
import type { Logger } from 'pino';
import { ParseError } from '../../protocol/errors.js';
import { FlvTagReader } from '../../protocol/flv/tag-reader.js';
import { FlvTagIngest } from '../flv/tag-ingest.js';
import type { Hub } from '../hub/hub.js';
import type { Stream } from '../hub/stream.js';

/** How long a viewer waits for a relayed stream's first keyframe before it is told "not found". */
export const RELAY_START_TIMEOUT_MS = 5_000;
/** A relay with no readers for this long stops pulling (a viewer reconnecting within it reuses it). */
export const RELAY_IDLE_TIMEOUT_MS = 10_000;
/** How often a relay checks for readers. */
const RELAY_IDLE_CHECK_MS = 1_000;

/**
 * Pulls a stream that another gateway worker carries (its loopback HTTP-FLV relay listener)
 * into this worker's hub as a mirror, so viewers that landed on this worker can watch it.
 * Ends when the source ends, on a bad byte, or after RELAY_IDLE_TIMEOUT_MS without readers.
 */
export class FlvRelay {
  readonly path: string;
  readonly #url: string;
  readonly #hub: Hub;
  readonly #log: Logger;
  readonly #onClosed: (relay: FlvRelay) => void;
  #request: http.ClientRequest | null = null;
  #ingest: FlvTagIngest | null = null;
  #idleTimer: NodeJS.Timeout | null = null;
  #idleSince = Date.now();
  #closed = false;

  constructor(options: { path: string; url: string; hub: Hub; log: Logger; onClosed: (relay: FlvRelay) => void }) {
    this.path = options.path;
    this.#url = options.url;
    this.#hub = options.hub;
    this.#log = options.log;
    this.#onClosed = options.onClosed;
  }

  /** Connects and resolves with the mirror stream once it has a keyframe (or audio); rejects otherwise. */
  start(): Promise<Stream> {
    return new Promise<Stream>((resolve, reject) => {
      let settled = false;
      const settle = (err: Error | null, stream?: Stream): void => {
        if (settled) return;
        settled = true;
        clearTimeout(startTimer);
        if (err) {
          this.close(err.message);
          reject(err);
        } else resolve(stream!);
      };
      const startTimer = setTimeout(() => settle(new Error(`relay of ${this.path} did not start within ${RELAY_START_TIMEOUT_MS} ms`)), RELAY_START_TIMEOUT_MS);
      const req = http.get(this.#url, { agent: false }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          settle(new Error(`relay source answered ${res.statusCode}`));
          return;
        }
        const stream = this.#hub.publish(this.path, 'relay', { remoteAddress: 'relay', close: (reason) => this.close(reason) }, { mirror: true });
        const ingest = new FlvTagIngest({ hub: this.#hub, stream, log: this.#log });
        this.#ingest = ingest;
        const reader = new FlvTagReader();
        res.on('data', (chunk: Buffer) => {
          if (this.#closed) return;
          try {
            for (const tag of reader.push(chunk)) ingest.onTag(tag);
          } catch (err) {
            if (!(err instanceof ParseError)) throw err;
            settle(new Error(`relay source sent bad FLV: ${err.reason}`));
            this.close(`bad FLV from the source: ${err.reason}`);
            return;
          }
          if (!settled && stream.unitsIn > 0 && (!stream.hasVideo || stream.gopUnits.length > 0)) settle(null, stream);
        });
        res.on('end', () => {
          settle(new Error('relay source ended'));
          this.close('source ended');
        });
        res.on('error', (err) => settle(err));
      });
      this.#request = req;
      req.on('error', (err) => {
        settle(err);
        this.close(`source error: ${err.message}`);
      });
      this.#idleTimer = setInterval(() => this.#checkIdle(), RELAY_IDLE_CHECK_MS);
      this.#idleTimer.unref();
    });
  }

  /** The one place a relay ends: logs once, unpublishes the mirror, drops the connection. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#idleTimer) clearInterval(this.#idleTimer);
    this.#idleTimer = null;
    this.#log.info({ path: this.path, source: new URL(this.#url).host }, `closed: ${reason}`);
    this.#ingest?.close(reason);
    this.#request?.destroy();
    this.#onClosed(this);
  }

  #checkIdle(): void {
    const stream = this.#ingest?.stream;
    if (!stream) return;
    if (stream.readerCount > 0) this.#idleSince = Date.now();
    else if (Date.now() - this.#idleSince >= RELAY_IDLE_TIMEOUT_MS) this.close('no readers');
  }
}
