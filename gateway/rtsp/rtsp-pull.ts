import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { PullParams, PullState } from '../../protocol/control/messages.js';
import { ParseError } from '../../protocol/errors.js';
import { formatTransport, parseSession, parseTransport, DEFAULT_SESSION_TIMEOUT_S } from '../../protocol/rtsp/headers.js';
import { writeInterleavedFrame } from '../../protocol/rtsp/interleaved.js';
import { getHeader } from '../../protocol/rtsp/message.js';
import { parseRtspSdp, type RtspMediaTrack } from '../../protocol/rtsp/sdp-tracks.js';
import { formatRtspUrl, parseRtspUrl, type RtspUrl } from '../../protocol/rtsp/url.js';
import { StreamConflictError, type Hub } from '../hub/hub.js';
import type { Stream } from '../hub/stream.js';
import { RtspClientConnection, UnauthorizedRtspError } from './rtsp-client.js';
import { RtspIngest } from './rtsp-ingest.js';
import { openUdpPair, type UdpPair } from './udp-pair.js';

/** First reconnect delay; doubled per failure up to PULL_BACKOFF_MAX_MS (issue 7: 1 s → 30 s). */
export const PULL_BACKOFF_MIN_MS = 1_000;
export const PULL_BACKOFF_MAX_MS = 30_000;
/** A 401 is retried at this pace only: a wrong password must not hammer the camera (or lock the account). */
export const PULL_UNAUTHORIZED_RETRY_MS = 30_000;
/** `transport: auto`: UDP with no RTP for this long falls back to TCP (issue 7). */
export const PULL_UDP_FALLBACK_MS = 3_000;
/** A playing pull with no RTP for this long is dead (camera gone, network down). */
export const PULL_MEDIA_TIMEOUT_MS = 5_000;
/** Liveness check period. */
const CHECK_INTERVAL_MS = 500;
/** How often receiver reports go to the camera (RFC 3550 §6.2: about every 5 s). */
const RR_INTERVAL_MS = 5_000;

/**
 * One pulled camera (`streams:` in the config, or `POST /api/v1/streams`): connect, DESCRIBE,
 * SETUP each supported track (interleaved TCP, UDP, or UDP falling back to TCP), PLAY, and
 * publish the media as a hub stream with origin `rtsp-pull`; keep the session alive with
 * GET_PARAMETER (OPTIONS when the camera lacks it) well within its timeout. Any failure ends
 * that attempt (the stream is unpublished) and a new one follows with backoff; a 401 is
 * reported as `unauthorized` and retried slowly. State changes go to `onState`.
 */
export class RtspPull {
  readonly path: string;
  readonly #params: PullParams;
  readonly #url: RtspUrl;
  readonly #hub: Hub;
  readonly #log: Logger;
  readonly #onState: (state: PullState, error: string | undefined) => void;
  #backoff = PULL_BACKOFF_MIN_MS;
  #retryTimer: NodeJS.Timeout | null = null;
  #closed = false;
  /** The current attempt's resources. */
  #conn: RtspClientConnection | null = null;
  #stream: Stream | null = null;
  #ingest: RtspIngest | null = null;
  #pairs: UdpPair[] = [];
  /** The camera's RTP/RTCP ports per UDP track (from the SETUP answer), for receiver reports. */
  #serverPorts = new Map<number, [string, number, number]>();
  #timer: NodeJS.Timeout | null = null;
  #attempt = 0;
  /** `auto` fell back to TCP after UDP stayed silent; kept for later attempts. */
  #forceTcp = false;

  constructor(params: PullParams, hub: Hub, log: Logger, onState: (state: PullState, error: string | undefined) => void) {
    this.path = params.path;
    this.#params = params;
    this.#url = parseRtspUrl(params.source);
    this.#hub = hub;
    this.#log = log.child({ path: params.path, source: formatRtspUrl(this.#url, { withQuery: false }) });
    this.#onState = onState;
    // Started on the next turn: the caller registers the pull before hearing its first state.
    setImmediate(() => this.#start());
  }

  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#endAttempt(reason);
    this.#log.info(`closed: ${reason}`);
  }

  #start(): void {
    if (this.#closed) return;
    const attempt = ++this.#attempt;
    this.#onState('connecting', undefined);
    this.#run(attempt).catch((err: unknown) => this.#fail(attempt, err));
  }

  #fail(attempt: number, err: unknown): void {
    if (this.#closed || attempt !== this.#attempt) return;
    const message = err instanceof Error ? err.message : String(err);
    this.#attempt++; // late events of the failed attempt (its connection closing) are ignored from here
    this.#endAttempt(message);
    const unauthorized = err instanceof UnauthorizedRtspError;
    const delay = unauthorized ? PULL_UNAUTHORIZED_RETRY_MS : this.#backoff;
    if (!unauthorized) this.#backoff = Math.min(PULL_BACKOFF_MAX_MS, this.#backoff * 2);
    const state: PullState = unauthorized ? 'unauthorized' : err instanceof ParseError ? 'failed' : 'reconnecting';
    this.#log.warn({ state, err: message, retryInMs: delay }, 'pull failed');
    this.#onState(state, message.slice(0, 200));
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#start();
    }, delay);
  }

  #endAttempt(reason: string): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#ingest?.close();
    this.#ingest = null;
    if (this.#stream) this.#hub.unpublish(this.#stream, reason);
    this.#stream = null;
    for (const p of this.#pairs) p.close();
    this.#pairs = [];
    this.#serverPorts.clear();
    const conn = this.#conn;
    this.#conn = null;
    // No TEARDOWN: the camera frees the session when the connection closes.
    conn?.close(new Error(reason));
  }

  async #run(attempt: number): Promise<void> {
    const conn = await RtspClientConnection.connect(this.#url, { tlsVerify: this.#params.tlsVerify });
    if (this.#closed || attempt !== this.#attempt) return conn.close();
    this.#conn = conn;
    conn.onClose((reason) => this.#fail(attempt, reason));
    const url = formatRtspUrl(this.#url);
    await conn.request('OPTIONS', url);
    const described = await conn.request('DESCRIBE', url, [['Accept', 'application/sdp']]);
    const base = getHeader(described.headers, 'Content-Base') ?? getHeader(described.headers, 'Content-Location') ?? url;
    const tracks = parseRtspSdp(Buffer.from(described.body).toString('utf8'), base).filter((t) => t.info);
    if (tracks.length === 0) throw new ParseError('no-tracks', 'the camera offers no track Estuary can take');
    const udp = this.#params.transport === 'udp' || (this.#params.transport === 'auto' && !this.#forceTcp);
    let timeoutS = DEFAULT_SESSION_TIMEOUT_S;
    for (const [i, track] of tracks.entries()) {
      timeoutS = await this.#setup(conn, track, i, udp);
    }
    await conn.request('PLAY', base, [['Range', 'npt=0.000-']]);
    if (this.#closed || attempt !== this.#attempt) return;
    let stream: Stream;
    try {
      stream = this.#hub.publish(this.path, 'rtsp-pull', { remoteAddress: conn.remoteAddress, close: (reason) => this.close(`kicked: ${reason}`) }, { takeover: true });
    } catch (err) {
      if (err instanceof StreamConflictError) throw new Error(err.message);
      throw err;
    }
    this.#stream = stream;
    const ingest = new RtspIngest({ stream, tracks, udp, log: this.#log, ourSsrc: randomInt(1, 0xffff_ffff) });
    this.#ingest = ingest;
    conn.onFrame = (frame) => {
      const index = frame.channel >> 1;
      if (frame.channel & 1) ingest.onRtcp(index, frame.payload);
      else ingest.onRtp(index, frame.payload);
    };
    this.#pairs.forEach((pair, i) => {
      pair.rtp.on('message', (m) => ingest.onRtp(i, m));
      pair.rtcp.on('message', (m) => ingest.onRtcp(i, m));
    });
    this.#watch(attempt, conn, url, timeoutS, udp);
    this.#log.info({ tracks: tracks.map((t) => t.info?.codec), transport: udp ? 'udp' : 'tcp' }, 'pulling');
  }

  /** SETUP of track `i`: interleaved channels 2i/2i+1, or a local UDP pair. Returns the session timeout. */
  async #setup(conn: RtspClientConnection, track: RtspMediaTrack, i: number, udp: boolean): Promise<number> {
    let transport: string;
    if (udp) {
      const pair = await openUdpPair('0.0.0.0');
      this.#pairs.push(pair);
      transport = formatTransport({ protocol: 'udp', multicast: false, clientPort: [pair.rtpPort, pair.rtcpPort], other: {} });
    } else {
      transport = formatTransport({ protocol: 'tcp', multicast: false, interleaved: [2 * i, 2 * i + 1], other: {} });
    }
    const res = await conn.request('SETUP', track.control, [['Transport', transport]]);
    const sessionHeader = getHeader(res.headers, 'Session');
    if (!sessionHeader) throw new ParseError('bad-session', 'SETUP answer without Session');
    const session = parseSession(sessionHeader);
    conn.session = session.id;
    const reply = getHeader(res.headers, 'Transport');
    if (udp && reply) {
      const spec = parseTransport(reply)[0];
      if (spec?.serverPort) this.#serverPorts.set(i, [conn.remoteAddress, spec.serverPort[0], spec.serverPort[1]]);
    }
    return session.timeout ?? DEFAULT_SESSION_TIMEOUT_S;
  }

  /** Keep-alive, receiver reports, and the media liveness (and `auto`'s UDP → TCP fallback). */
  #watch(attempt: number, conn: RtspClientConnection, url: string, timeoutS: number, udp: boolean): void {
    const started = Date.now();
    let lastKeepAlive = Date.now();
    let lastRr = Date.now();
    let keepAliveMethod: 'GET_PARAMETER' | 'OPTIONS' = 'GET_PARAMETER';
    let healthy = false;
    const keepAliveMs = Math.max(1_000, (timeoutS * 1000) / 2);
    this.#timer = setInterval(() => {
      const ingest = this.#ingest;
      if (!ingest || attempt !== this.#attempt) return;
      const now = Date.now();
      const silentFor = ingest.packets === 0 ? now - started : now - ingest.lastPacketAt;
      if (udp && this.#params.transport === 'auto' && ingest.packets === 0 && silentFor > PULL_UDP_FALLBACK_MS) {
        this.#forceTcp = true;
        this.#backoff = PULL_BACKOFF_MIN_MS / 2;
        this.#fail(attempt, new Error(`no RTP over UDP in ${PULL_UDP_FALLBACK_MS / 1000} s: falling back to TCP`));
        return;
      }
      if (silentFor > PULL_MEDIA_TIMEOUT_MS) {
        this.#fail(attempt, new Error(`no RTP for ${PULL_MEDIA_TIMEOUT_MS / 1000} s`));
        return;
      }
      if (!healthy && ingest.packets > 0) {
        healthy = true;
        this.#backoff = PULL_BACKOFF_MIN_MS;
        this.#onState('running', undefined);
      }
      if (now - lastKeepAlive >= keepAliveMs) {
        lastKeepAlive = now;
        conn.request(keepAliveMethod, url).catch((err: unknown) => {
          // A camera without GET_PARAMETER (405/501) gets OPTIONS from now on.
          if (keepAliveMethod === 'GET_PARAMETER' && !(err instanceof UnauthorizedRtspError) && /: (405|501|551) /.test(String((err as Error).message) + ' ')) keepAliveMethod = 'OPTIONS';
          else this.#fail(attempt, err);
        });
      }
      if (now - lastRr >= RR_INTERVAL_MS) {
        lastRr = now;
        for (const { index, packet } of ingest.receiverReports(`estuary-${this.path}`)) {
          const server = this.#serverPorts.get(index);
          const pair = this.#pairs[index];
          if (pair && server) pair.rtcp.send(packet, server[2], server[0]);
          else if (!udp) conn.write(writeInterleavedFrame(2 * index + 1, packet));
        }
      }
    }, CHECK_INTERVAL_MS);
  }
}
