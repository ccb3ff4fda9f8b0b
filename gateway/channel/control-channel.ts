import {
  checkEnvelope,
  checkRequestResult,
  checkServerNotification,
  checkServerRequest,
  serverRequests,
  type AnyServerNotification,
  type AnyServerRequest,
  type Envelope,
  type GatewayNotification,
  type GatewayNotificationMethod,
  type GatewayRequestMethod,
  type RequestParams,
  type RequestResult,
  type ServerRequestMethod,
} from '../../protocol/control/messages.js';
import { logger } from '../lib/logger.js';

const log = logger.child({ mod: 'channel' });

/**
 * How long a request waits for the server's answer. Authorization may include an HTTP
 * callback (its own timeout is 5 s on the server), so this leaves room above that.
 */
export const REQUEST_TIMEOUT_MS = 8_000;
/**
 * Most requests in flight at once. Each RTMP publish/play holds one while the server
 * decides; a flood of connections beyond this is answered at once with an error instead of
 * growing the pending map without bound.
 */
export const MAX_PENDING_REQUESTS = 1_000;

/** The wire under the channel: Node IPC in the worker, an in-memory pair in tests. */
export interface ChannelTransport {
  send(message: Envelope): void;
  onMessage(listener: (raw: unknown) => void): void;
  onClose(listener: () => void): void;
}

/** A request that failed: timed out, channel closed, or the server's handler threw. */
export class ChannelError extends Error {
  override name = 'ChannelError';
  constructor(
    readonly code: 'timeout' | 'closed' | 'overloaded' | 'bad-response' | 'remote',
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  method: GatewayRequestMethod;
  resolve(result: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The worker's end of the control channel: typed requests to the server (ids, timeouts,
 * every pending request rejected when the channel closes), notifications both ways. Every
 * received message is validated; a bad one is logged and dropped.
 */
export class ControlChannel {
  readonly #transport: ChannelTransport;
  readonly #pending = new Map<number, Pending>();
  readonly #timeoutMs: number;
  #nextId = 1;
  #closed = false;
  readonly #notificationListeners: ((n: AnyServerNotification) => void)[] = [];
  /** Handler of each server request method (a module claims the methods it answers). */
  readonly #requestHandlers = new Map<ServerRequestMethod, (req: AnyServerRequest) => Promise<unknown>>();
  #onClose: () => void = () => {};

  constructor(transport: ChannelTransport, options: { timeoutMs?: number } = {}) {
    this.#transport = transport;
    this.#timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    transport.onMessage((raw) => this.#receive(raw));
    transport.onClose(() => this.close());
  }

  get closed(): boolean {
    return this.#closed;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Adds a listener of server notifications (`config`, `kickStream`, `ingestClose`); each hears every one. */
  onNotification(listener: (n: AnyServerNotification) => void): void {
    this.#notificationListeners.push(listener);
  }

  /**
   * Sets the handler of the server requests `methods` (`ingestOpen`, `bridgeStart`): its
   * result is the response; a throw becomes an error response (code from the error's `code`
   * field, else 'failed'). A later handler of the same method replaces the earlier one.
   */
  onRequest(methods: readonly ServerRequestMethod[], handler: (req: AnyServerRequest) => Promise<unknown>): void {
    for (const m of methods) this.#requestHandlers.set(m, handler);
  }

  /** Called once when the channel closes (server gone). */
  onClose(listener: () => void): void {
    this.#onClose = listener;
  }

  /** Sends a request and resolves with the server's validated result. */
  request<M extends GatewayRequestMethod>(method: M, params: RequestParams<M>): Promise<RequestResult<M>> {
    if (this.#closed) return Promise.reject(new ChannelError('closed', 'control channel closed'));
    if (this.#pending.size >= MAX_PENDING_REQUESTS) return Promise.reject(new ChannelError('overloaded', 'too many pending requests'));
    const id = this.#nextId++;
    return new Promise<RequestResult<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ChannelError('timeout', `${method} timed out after ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, { method, resolve: resolve as (r: unknown) => void, reject, timer });
      this.#send({ kind: 'request', id, method, params });
    });
  }

  /** Sends a notification; dropped silently once closed. */
  notify<M extends GatewayNotificationMethod>(method: M, params: GatewayNotification<M>): void {
    if (this.#closed) return;
    this.#send({ kind: 'notify', method, params });
  }

  /** Idempotent: rejects every pending request and calls the close listener once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(new ChannelError('closed', `control channel closed before ${p.method} was answered`));
    }
    this.#onClose();
  }

  #send(message: Envelope): void {
    try {
      this.#transport.send(message);
    } catch (err) {
      log.error({ err }, 'control channel send failed');
      this.close();
    }
  }

  #receive(raw: unknown): void {
    if (this.#closed) return;
    const env = checkEnvelope(raw);
    if (!env.ok) {
      log.warn({ reason: env.reason }, 'dropped bad control message');
      return;
    }
    const msg = env.value;
    switch (msg.kind) {
      case 'response': {
        const p = this.#pending.get(msg.id);
        if (!p) {
          log.warn({ id: msg.id }, 'dropped response to unknown request');
          return;
        }
        this.#pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.error) {
          p.reject(new ChannelError('remote', `${msg.error.code}: ${msg.error.message}`));
          return;
        }
        const result = checkRequestResult(p.method, msg.result);
        if (result.ok) p.resolve(result.value);
        else p.reject(new ChannelError('bad-response', result.reason));
        return;
      }
      case 'notify': {
        const n = checkServerNotification(msg.method, msg.params);
        if (!n.ok) {
          log.warn({ reason: n.reason }, 'dropped bad control notification');
          return;
        }
        for (const listener of this.#notificationListeners) {
          try {
            listener(n.value);
          } catch (err) {
            log.error({ err, method: n.value.method }, 'notification listener threw');
          }
        }
        return;
      }
      case 'request':
        this.#answer(msg.id, msg.method, msg.params);
        return;
    }
  }

  /** Runs a server request through the handler and sends exactly one response. */
  #answer(id: number, method: string, params: unknown): void {
    const req = checkServerRequest(method, params);
    const handler = req.ok ? this.#requestHandlers.get(req.value.method) : undefined;
    if (!req.ok || !handler) {
      const known = Object.prototype.hasOwnProperty.call(serverRequests, method);
      const error = req.ok || !known ? { code: 'unsupported', message: `no handler for ${method}` } : { code: 'bad_request', message: req.reason.slice(0, 500) };
      this.#send({ kind: 'response', id, error });
      return;
    }
    handler(req.value).then(
      (result) => this.#respond(id, result),
      (err: unknown) => {
        const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code.slice(0, 64) : 'failed';
        this.#send({ kind: 'response', id, error: { code, message: (err instanceof Error ? err.message : String(err)).slice(0, 500) } });
      },
    );
  }

  /** Sends the response to a server request (dropped once closed). */
  #respond(id: number, result: unknown): void {
    if (this.#closed) return;
    this.#send({ kind: 'response', id, result });
  }
}

/** The transport over this process's IPC channel (the worker was started with fork()). */
export function processTransport(): ChannelTransport {
  if (!process.send) throw new TypeError('the gateway worker must be started with an IPC channel (child_process.fork)');
  return {
    send: (message) => {
      process.send?.(message);
    },
    onMessage: (listener) => {
      process.on('message', listener);
    },
    onClose: (listener) => {
      process.on('disconnect', listener);
    },
  };
}
