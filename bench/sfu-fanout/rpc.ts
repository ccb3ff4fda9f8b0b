/**
 * A tiny typed request/response channel over Node's child-process IPC, for the SFU fan-out
 * benchmark's helper processes (the SFU, the publisher, the subscribers). The child serves a
 * handler table; the driver calls methods by name. A child announces itself with one `ready`
 * message, and exits when its parent goes away (IPC `disconnect`), so no helper outlives a run.
 */
import type { ChildProcess } from 'node:child_process';

/** A process's API: method name → params and result. */
export type Api = Record<string, { params: unknown; result: unknown }>;

interface RpcRequest {
  id: number;
  method: string;
  params: unknown;
}

type RpcMessage = { ready: unknown } | { id: number; result: unknown } | { id: number; error: string };

export type Handlers<A extends Api> = { [K in keyof A]: (params: A[K]['params']) => Promise<A[K]['result']> | A[K]['result'] };

/**
 * Child side: serves `handlers`, sends `ready` with `info`, and runs `onDisconnect` (cleanup,
 * then process.exit) when the parent's channel closes.
 */
export function serveRpc<A extends Api>(handlers: Handlers<A>, info: unknown, onDisconnect: () => void): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('serveRpc: this process has no IPC channel (start it with the driver)');
  process.on('message', (raw: unknown) => {
    const req = raw as RpcRequest;
    if (typeof req !== 'object' || req === null || typeof req.id !== 'number' || typeof req.method !== 'string') return;
    const handler = (handlers as Record<string, ((p: unknown) => unknown) | undefined>)[req.method];
    if (!handler) {
      send({ id: req.id, error: `unknown method ${req.method}` } satisfies RpcMessage);
      return;
    }
    Promise.resolve()
      .then(() => handler(req.params))
      .then(
        (result) => send({ id: req.id, result } satisfies RpcMessage),
        (err: unknown) => send({ id: req.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies RpcMessage),
      );
  });
  process.on('disconnect', onDisconnect);
  send({ ready: info } satisfies RpcMessage);
}

/** Driver side of one helper process. */
export class RpcClient<A extends Api> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readyInfo: Promise<unknown>;

  constructor(
    readonly child: ChildProcess,
    readonly name: string,
  ) {
    let onReady: (v: unknown) => void = () => {};
    let onFail: (e: Error) => void = () => {};
    this.readyInfo = new Promise((resolve, reject) => {
      onReady = resolve;
      onFail = reject;
    });
    child.on('message', (raw: unknown) => {
      const msg = raw as RpcMessage;
      if ('ready' in msg) {
        onReady(msg.ready);
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if ('error' in msg) p.reject(new Error(`${name}: ${msg.error}`));
      else p.resolve(msg.result);
    });
    child.once('exit', (code, signal) => {
      const err = new Error(`${name} exited (code ${code}, signal ${signal})`);
      onFail(err);
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(err);
      }
      this.pending.clear();
    });
  }

  /** Resolves with the child's `ready` info, or rejects after `timeoutMs` or when it exits first. */
  async ready<T>(timeoutMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} not ready after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return (await Promise.race([this.readyInfo, timeout])) as T;
    } finally {
      clearTimeout(timer);
    }
  }

  call<K extends keyof A & string>(method: K, params: A[K]['params'], timeoutMs = 30_000): Promise<A[K]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}.${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.child.send({ id, method, params } satisfies RpcRequest, (err) => {
        if (!err) return;
        this.pending.delete(id);
        clearTimeout(timer);
        reject(err);
      });
    });
  }
}
