import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

/**
 * Where a viewer's FLV bytes go: an HTTP response (chunked) or a WebSocket (binary messages).
 * `write` returns false when the peer is behind; `onDrain` then fires once when it caught up.
 */
export interface ByteSink {
  write(chunks: readonly Uint8Array[]): boolean;
  onDrain(listener: () => void): void;
  /** Ends the response / closes the socket. Idempotent. */
  end(): void;
}

/** HTTP-FLV: one corked write of every chunk (a writev), backpressure from the socket. */
export function httpSink(res: ServerResponse): ByteSink {
  return {
    write(chunks) {
      res.cork();
      let ok = true;
      for (const c of chunks) ok = res.write(c);
      res.uncork();
      return ok;
    },
    onDrain(listener) {
      res.once('drain', listener);
    },
    end() {
      if (!res.writableEnded) res.end();
    },
  };
}

/**
 * Bytes a WebSocket may have buffered before the viewer counts as behind. ws has no 'drain'
 * event; its send callback fires when the bytes reached the kernel, so the sink waits for the
 * callback that brings the buffer back under this mark. 256 KB is ~1 s at 2 Mb/s.
 */
export const WS_HIGH_WATER_BYTES = 256 * 1024;

/** WS-FLV: each write is one binary message (flv.js / mpegts.js take any slicing). */
export function wsSink(ws: WebSocket): ByteSink {
  let drainListener: (() => void) | null = null;
  const afterSend = (): void => {
    if (drainListener && ws.bufferedAmount < WS_HIGH_WATER_BYTES) {
      const l = drainListener;
      drainListener = null;
      l();
    }
  };
  return {
    write(chunks) {
      if (ws.readyState !== ws.OPEN) return false;
      ws.send(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), { binary: true }, afterSend);
      return ws.bufferedAmount < WS_HIGH_WATER_BYTES;
    },
    onDrain(listener) {
      drainListener = listener;
    },
    end() {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000, 'stream ended');
    },
  };
}
