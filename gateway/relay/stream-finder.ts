import type { Logger } from 'pino';
import type { AuthorizeResult } from '../../protocol/control/messages.js';
import type { Hub } from '../hub/hub.js';
import type { Stream } from '../hub/stream.js';
import { FlvRelay } from './flv-relay.js';

/** What opening a stream for a viewer gave: the stream, or why not. */
export type OpenResult = { ok: true; stream: Stream } | { ok: false; code: 'not_found' | 'unauthorized' | 'conflict' | 'internal'; reason: string };

/** Where egress modules get a stream for a viewer (this worker's hub, or a relay). */
export interface StreamSource {
  /** Finds `path`, asks `authorize` first, and resolves with the stream to subscribe to. */
  open(path: string, authorize: () => Promise<AuthorizeResult>): Promise<OpenResult>;
}

async function authorized(authorize: () => Promise<AuthorizeResult>): Promise<OpenResult | null> {
  try {
    const r = await authorize();
    return r.allow ? null : { ok: false, code: r.code, reason: r.reason };
  } catch (err) {
    return { ok: false, code: 'internal', reason: `authorization unavailable: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** This worker's streams only (the relay listener, single-worker tests). */
export function localSource(hub: Hub): StreamSource {
  return {
    async open(path, authorize) {
      if (!hub.getStream(path)) return { ok: false, code: 'not_found', reason: `stream ${path} is not live` };
      const denied = await authorized(authorize);
      if (denied) return denied;
      const stream = hub.getStream(path);
      return stream ? { ok: true, stream } : { ok: false, code: 'not_found', reason: `stream ${path} is not live` };
    },
  };
}

/**
 * Finds a stream for a viewer: in this worker's hub, else on another worker (the server says
 * which, `locateStream`) through an FlvRelay that mirrors it here. Concurrent viewers of the
 * same path share one relay; relays end on their own when their readers are gone.
 */
export class StreamFinder implements StreamSource {
  readonly #hub: Hub;
  readonly #locate: (path: string) => Promise<string | null>;
  readonly #log: Logger;
  readonly #pending = new Map<string, Promise<Stream | undefined>>();
  readonly #relays = new Set<FlvRelay>();

  constructor(options: { hub: Hub; locate: (path: string) => Promise<string | null>; log: Logger }) {
    this.#hub = options.hub;
    this.#locate = options.locate;
    this.#log = options.log;
  }

  async open(path: string, authorize: () => Promise<AuthorizeResult>): Promise<OpenResult> {
    if (this.#hub.getStream(path)) return localSource(this.#hub).open(path, authorize);
    let url: string | null;
    try {
      url = await this.#locate(path);
    } catch (err) {
      return { ok: false, code: 'internal', reason: `stream lookup failed: ${err instanceof Error ? err.message : String(err)}` };
    }
    // Published here meanwhile, or nowhere.
    if (this.#hub.getStream(path) || url === null) return localSource(this.#hub).open(path, authorize);
    const denied = await authorized(authorize);
    if (denied) return denied;
    const stream = this.#hub.getStream(path) ?? (await this.#pull(path, url));
    return stream && !stream.closed ? { ok: true, stream } : { ok: false, code: 'not_found', reason: `stream ${path} could not be relayed` };
  }

  /** Stops every relay (worker shutdown). */
  close(): void {
    for (const r of [...this.#relays]) r.close('worker stopping');
  }

  #pull(path: string, url: string): Promise<Stream | undefined> {
    let pending = this.#pending.get(path);
    if (!pending) {
      const relay = new FlvRelay({ path, url, hub: this.#hub, log: this.#log.child({ relay: path }), onClosed: (r) => this.#relays.delete(r) });
      this.#relays.add(relay);
      pending = relay.start().then(
        (stream) => stream,
        (err: unknown) => {
          this.#log.warn({ path, err: err instanceof Error ? err.message : String(err) }, 'relay failed');
          return undefined;
        },
      );
      pending.finally(() => this.#pending.delete(path)).catch(() => {});
      this.#pending.set(path, pending);
    }
    return pending;
  }
}
