import { logger } from '../lib/logger.js';

const log = logger.child({ mod: 'publish-callback' });

/**
 * How long an `onPublish` / `onPlay` callback may take. An RTMP client waits for the answer
 * while it is pending; 5 s is well under OBS's and ffmpeg's own connect timeouts, and stays
 * under the gateway's request timeout (REQUEST_TIMEOUT_MS, 8 s).
 */
export const CALLBACK_TIMEOUT_MS = 5_000;

/** The JSON body POSTed to a callback. `query` may hold a key: the hook needs it. */
export interface CallbackBody {
  action: 'publish' | 'play';
  path: string;
  query: string;
  remoteAddress: string;
  protocol: string;
}

/**
 * POSTs the body to `url`; resolves to null when the hook answered 2xx, else the reason for
 * refusing (non-2xx, timeout, network error). Never throws; never logs the query.
 */
export async function callHook(url: string, body: CallbackBody, timeoutMs = CALLBACK_TIMEOUT_MS): Promise<string | null> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Drain the body so the connection is released.
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return null;
    log.info({ action: body.action, path: body.path, status: res.status }, 'callback refused');
    return `${body.action} callback answered ${res.status}`;
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    log.warn({ action: body.action, path: body.path, err: timedOut ? undefined : String(err) }, timedOut ? 'callback timed out' : 'callback failed');
    return timedOut ? `${body.action} callback timed out` : `${body.action} callback failed`;
  }
}
