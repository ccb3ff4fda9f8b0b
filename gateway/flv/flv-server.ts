import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { streamPathSchema } from '../../protocol/control/messages.js';
import type { Authorize } from '../authorize.js';
import type { Stream } from '../hub/stream.js';
import type { StreamSource } from '../relay/stream-finder.js';
import { logger } from '../lib/logger.js';
import { httpSink, wsSink } from './byte-sink.js';
import { FlvViewer } from './flv-viewer.js';

const log = logger.child({ mod: 'flv' });

/**
 * Most viewers one worker serves over HTTP-FLV and WS-FLV together. Each holds a socket and a
 * reader queue (bounded, units shared); 5000 keeps a worker inside a default 64k fd limit with
 * room for RTMP and packagers, and well inside what one core can feed at ~2 Mb/s each.
 */
export const MAX_FLV_VIEWERS = 5_000;
/** Headers of a request must arrive within this (slowloris guard). */
export const HEADERS_TIMEOUT_MS = 10_000;
/** Longest request URL accepted (path + query with a key). */
export const MAX_URL_LENGTH = 8192;

/** Where a stream path sits in a viewer URL: `/live/demo.flv` → `live/demo`. */
export function flvPathOf(url: URL): string | undefined {
  const m = /^\/(.+)\.flv$/.exec(url.pathname);
  if (!m) return undefined;
  const r = streamPathSchema.safeParse(decodeURIComponent(m[1]!));
  return r.success ? r.data : undefined;
}

/**
 * HTTP-FLV and WS-FLV egress (`flv.port`, default 8088): `GET /<path>.flv` answers a chunked
 * FLV body with CORS open; the same URL upgraded to WebSocket sends the FLV bytes as binary
 * messages (flv.js / mpegts.js). Plays are authorized by the server; unknown streams get 404.
 */
export class FlvServer {
  readonly #source: StreamSource;
  readonly #authorize: Authorize;
  readonly #http: http.Server;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  readonly #viewers = new Set<FlvViewer>();
  #nextConn = 1;

  constructor(source: StreamSource, authorize: Authorize) {
    this.#source = source;
    this.#authorize = authorize;
    this.#http = http.createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: 0, maxHeaderSize: 16 * 1024 }, (req, res) => {
      void this.#onRequest(req, res);
    });
    this.#http.on('upgrade', (req, socket, head) => {
      void this.#onUpgrade(req, socket, head);
    });
    this.#http.on('clientError', (_err, socket) => socket.destroy());
  }

  get viewerCount(): number {
    return this.#viewers.size;
  }

  /** `exclusive`: a port of this worker's own, not shared with the other workers (relay). */
  async listen(port: number, host: string, exclusive = false): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen({ port, host, exclusive }, () => {
        this.#http.off('error', reject);
        resolve();
      });
    });
    const bound = (this.#http.address() as AddressInfo).port;
    log.info({ port: bound, exclusive }, `HTTP-FLV listening on ${host}:${bound}`);
    return bound;
  }

  /** Stops listening and closes every viewer. */
  async close(): Promise<void> {
    for (const v of [...this.#viewers]) v.close('server stopping');
    this.#wss.close();
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  /** Resolves the stream a request names after the server allowed the play; else why not. */
  async #admit(req: IncomingMessage, protocol: 'flv' | 'ws-flv'): Promise<{ status: number; message: string } | { stream: Stream }> {
    if ((req.url ?? '').length > MAX_URL_LENGTH) return { status: 414, message: 'URL too long' };
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = flvPathOf(url);
    if (!path) return { status: 404, message: 'not a stream URL (/<app>/<name>.flv)' };
    if (this.#viewers.size >= MAX_FLV_VIEWERS) return { status: 503, message: 'too many viewers' };
    const params = { path, query: url.search.slice(1), remoteAddress: req.socket.remoteAddress ?? '', protocol };
    const opened = await this.#source.open(path, () => this.#authorize.play(params));
    if (opened.ok) return { stream: opened.stream };
    const status = { not_found: 404, unauthorized: 403, conflict: 409, internal: 503 }[opened.code];
    if (status === 503) log.warn({ path, reason: opened.reason }, 'play failed');
    return { status, message: opened.reason };
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Methods': 'GET, OPTIONS', 'Access-Control-Max-Age': '86400' }).end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, OPTIONS' }).end();
      return;
    }
    const admitted = await this.#admit(req, 'flv');
    if ('status' in admitted) {
      res.writeHead(admitted.status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: admitted.message }));
      return;
    }
    const { stream } = admitted;
    if (stream.closed || res.destroyed) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'video/x-flv', 'Cache-Control': 'no-cache, no-store', Connection: 'close' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.flushHeaders();
    const remoteAddress = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const viewer = this.#newViewer(remoteAddress, httpSink(res), 'flv', stream.path);
    res.on('close', () => viewer.close('client disconnected'));
    res.on('error', (err) => viewer.close(`socket error: ${err.message}`));
    viewer.start(stream, 'flv');
  }

  async #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const admitted = await this.#admit(req, 'ws-flv');
    if ('status' in admitted) {
      socket.end(`HTTP/1.1 ${admitted.status} ${http.STATUS_CODES[admitted.status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const { stream } = admitted;
      if (stream.closed) {
        ws.close(1011, 'stream ended');
        return;
      }
      const remoteAddress = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
      const viewer = this.#newViewer(remoteAddress, wsSink(ws), 'ws-flv', stream.path);
      ws.on('close', () => viewer.close('client disconnected'));
      ws.on('error', (err) => viewer.close(`socket error: ${err.message}`));
      // A viewer has nothing to say; anything it sends is ignored (ws bounds its size).
      ws.on('message', () => {});
      viewer.start(stream, 'ws-flv');
    });
  }

  #newViewer(remoteAddress: string, sink: ReturnType<typeof httpSink>, protocol: 'flv' | 'ws-flv', path: string): FlvViewer {
    const viewer = new FlvViewer({
      remoteAddress,
      sink,
      log: log.child({ conn: this.#nextConn++, protocol, path }),
      onClosed: (v) => this.#viewers.delete(v),
    });
    this.#viewers.add(viewer);
    return viewer;
  }
}
