import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { ParseError } from '../../protocol/errors.js';
import { basicCredentials, digestCredentials, parseAuthHeader, type AuthHeader } from '../../protocol/rtsp/auth.js';
import { RtspConnectionReader, type InterleavedFrame } from '../../protocol/rtsp/interleaved.js';
import { getCSeq, getHeaders, writeRtspRequest, type RtspHeaders, type RtspResponse } from '../../protocol/rtsp/message.js';
import type { RtspUrl } from '../../protocol/rtsp/url.js';

/** How long a request waits for its response: cameras answer in well under a second; 10 s is a dead one. */
export const RTSP_RESPONSE_TIMEOUT_MS = 10_000;
/** How long the TCP (and TLS) connect may take. */
export const RTSP_CONNECT_TIMEOUT_MS = 10_000;
/** The User-Agent we send (some cameras vary their answers by it; this is honest). */
export const RTSP_USER_AGENT = 'Estuary';

/** A request the camera refused with a status (401 is UnauthorizedRtspError). */
export class RtspResponseError extends Error {
  override name = 'RtspResponseError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The camera refused our credentials (or wanted some and we have none). */
export class UnauthorizedRtspError extends RtspResponseError {
  override name = 'UnauthorizedRtspError';
}

interface Pending {
  resolve(res: RtspResponse): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The client end of one RTSP connection (RFC 2326) to a camera: requests with CSeq, answered
 * in order; 401 answered once with Digest (MD5, qop=auth) or Basic credentials from the URL;
 * interleaved frames handed to `onFrame`. A malformed reply, a reply without CSeq or an
 * impossible frame ends the connection with a ParseError as the reason.
 */
export class RtspClientConnection {
  readonly #socket: net.Socket;
  readonly #reader = new RtspConnectionReader();
  readonly #pending = new Map<number, Pending>();
  readonly #url: RtspUrl;
  #cseq = 1;
  #auth: AuthHeader | undefined;
  #nonceCount = 0;
  #session: string | undefined;
  #closed = false;
  #onClose: (reason: Error) => void = () => {};
  onFrame: (frame: InterleavedFrame) => void = () => {};

  private constructor(socket: net.Socket, url: RtspUrl) {
    this.#socket = socket;
    this.#url = url;
    socket.setNoDelay(true);
    socket.on('data', (d) => this.#onData(d));
    socket.on('close', () => this.close(new Error('connection closed by the camera')));
    socket.on('error', (err) => this.close(err));
  }

  /** Connects (TLS for rtsps://, certificate checked unless `tlsVerify` is false). */
  static connect(url: RtspUrl, options: { tlsVerify: boolean }): Promise<RtspClientConnection> {
    return new Promise((resolve, reject) => {
      const socket =
        url.scheme === 'rtsps'
          ? tls.connect({ host: url.host, port: url.port, servername: net.isIP(url.host) ? undefined : url.host, rejectUnauthorized: options.tlsVerify })
          : net.connect({ host: url.host, port: url.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${url.host}:${url.port} timed out`));
      }, RTSP_CONNECT_TIMEOUT_MS);
      const ready = url.scheme === 'rtsps' ? 'secureConnect' : 'connect';
      socket.once(ready, () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RtspClientConnection(socket, url));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  get localAddress(): string {
    return this.#socket.localAddress ?? '0.0.0.0';
  }

  get remoteAddress(): string {
    return (this.#socket.remoteAddress ?? this.#url.host).replace(/^::ffff:/, '');
  }

  /** Called once when the connection ends, with why. */
  onClose(listener: (reason: Error) => void): void {
    this.#onClose = listener;
  }

  /** Sets the Session id later requests carry (from the SETUP answer). */
  set session(id: string | undefined) {
    this.#session = id;
  }

  /** Sends a request and resolves with a 2xx response; a 401 is retried once with credentials. */
  async request(method: string, uri: string, headers: RtspHeaders = [], body?: Uint8Array): Promise<RtspResponse> {
    let res = await this.#send(method, uri, headers, body);
    if (res.status === 401 && this.#url.username !== undefined && !this.#auth) {
      this.#auth = pickChallenge(getHeaders(res.headers, 'WWW-Authenticate'));
      if (this.#auth) res = await this.#send(method, uri, headers, body);
    }
    if (res.status === 401) throw new UnauthorizedRtspError(401, `${method}: 401 ${res.reason || 'Unauthorized'}`);
    if (res.status < 200 || res.status >= 300) throw new RtspResponseError(res.status, `${method}: ${res.status} ${res.reason}`);
    return res;
  }

  /** Writes raw bytes (interleaved RTCP). */
  write(bytes: Uint8Array): void {
    if (!this.#closed) this.#socket.write(bytes);
  }

  /** Ends the connection; pending requests fail with `reason`. Idempotent. */
  close(reason: Error = new Error('closed')): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(reason);
    }
    this.#pending.clear();
    this.#socket.destroy();
    this.#onClose(reason);
  }

  #send(method: string, uri: string, headers: RtspHeaders, body?: Uint8Array): Promise<RtspResponse> {
    if (this.#closed) return Promise.reject(new Error('connection closed'));
    const cseq = this.#cseq++;
    const all: RtspHeaders = [['CSeq', String(cseq)], ['User-Agent', RTSP_USER_AGENT], ...headers];
    if (this.#session) all.push(['Session', this.#session]);
    const auth = this.#authorization(method, uri);
    if (auth) all.push(['Authorization', auth]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(cseq);
        reject(new Error(`${method} timed out after ${RTSP_RESPONSE_TIMEOUT_MS} ms`));
      }, RTSP_RESPONSE_TIMEOUT_MS);
      this.#pending.set(cseq, { resolve, reject, timer });
      this.#socket.write(writeRtspRequest({ method, uri, headers: all, ...(body ? { body } : {}) }));
    });
  }

  #authorization(method: string, uri: string): string | undefined {
    if (!this.#auth || this.#url.username === undefined) return undefined;
    const creds = { username: this.#url.username, password: this.#url.password ?? '' };
    if (this.#auth.scheme === 'basic') return basicCredentials(creds.username, creds.password);
    return digestCredentials(this.#auth, creds, method, uri, randomBytes(8).toString('hex'), ++this.#nonceCount);
  }

  #onData(data: Buffer): void {
    if (this.#closed) return;
    try {
      for (const item of this.#reader.push(data)) {
        if (item.kind === 'frame') {
          this.onFrame(item.frame);
          continue;
        }
        const msg = item.message;
        if (msg.kind !== 'response') continue; // requests from the server (rare): not answered
        const cseq = getCSeq(msg);
        const p = this.#pending.get(cseq);
        if (!p) continue;
        this.#pending.delete(cseq);
        clearTimeout(p.timer);
        p.resolve(msg);
      }
    } catch (err) {
      if (err instanceof ParseError) this.close(err);
      else throw err;
    }
  }
}

/** Digest (MD5) when offered, else Basic; other schemes are skipped. */
function pickChallenge(values: readonly string[]): AuthHeader | undefined {
  const parsed: AuthHeader[] = [];
  for (const v of values) {
    try {
      parsed.push(parseAuthHeader(v));
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
    }
  }
  return parsed.find((a) => a.scheme === 'digest' && (a.params.algorithm ?? 'MD5').toUpperCase() === 'MD5') ?? parsed.find((a) => a.scheme === 'basic');
}
