import { randomBytes, randomInt } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { streamPathSchema, type AuthorizeParams } from '../../protocol/control/messages.js';
import { ParseError } from '../../protocol/errors.js';
import { basicChallenge, decodeBasic, parseAuthHeader } from '../../protocol/rtsp/auth.js';
import { formatRange, formatRtpInfo, formatSession, formatTransport, parseSession, parseTransport, type TransportSpec } from '../../protocol/rtsp/headers.js';
import { RtspConnectionReader, writeInterleavedFrame } from '../../protocol/rtsp/interleaved.js';
import { getCSeq, getHeader, writeRtspResponse, type RtspHeaders, type RtspRequest } from '../../protocol/rtsp/message.js';
import { parseRtspSdp, writeRtspSdp, type RtspMediaTrack } from '../../protocol/rtsp/sdp-tracks.js';
import { requestTarget } from '../../protocol/rtsp/url.js';
import type { Authorize } from '../authorize.js';
import { StreamConflictError, type Hub } from '../hub/hub.js';
import type { Stream } from '../hub/stream.js';
import type { StreamSource } from '../relay/stream-finder.js';
import { RtspIngest } from './rtsp-ingest.js';
import { playTracks, RtspPlayer, startRtpTime, type PlayTrack, type PlayTransport } from './rtsp-player.js';
import { openUdpPair, type UdpPair } from './udp-pair.js';

/** Session timeout we state in `Session` (RFC 2326 §12.37 default): clients keep alive within it. */
export const RTSP_SESSION_TIMEOUT_S = 60;
/** A connection that neither plays nor records may sit this long between requests. */
export const RTSP_IDLE_TIMEOUT_MS = 30_000;
/** A recording publisher that sends no RTP/RTCP for this long is gone (encoders send every few ms). */
export const RTSP_RECORD_STALL_MS = 10_000;
/** How long DESCRIBE waits for a just-published stream to know its tracks (RTMP sequence headers, in-band SPS). */
export const DESCRIBE_TRACKS_WAIT_MS = 3_000;
/** How often receiver reports go back to a recording publisher (RFC 3550 §6.2: about every 5 s). */
export const RR_INTERVAL_MS = 5_000;
/** Liveness check period. */
const CHECK_INTERVAL_MS = 1_000;
/** The realm of our Basic challenge (the password is a publish key). */
export const RTSP_REALM = 'Estuary';

/** Methods answered here (OPTIONS `Public`). */
const PUBLIC_METHODS = 'OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, RECORD, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER';

/** A request answered with an error status (the session goes on unless `fatal`). */
class RtspStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: RtspHeaders = [],
  ) {
    super(message);
  }
}

type TrackTransport = { kind: 'tcp'; channels: [number, number] } | { kind: 'udp'; pair: UdpPair; clientHost: string; clientPorts: [number, number] };

export interface RtspSessionContext {
  hub: Hub;
  source: StreamSource;
  authorize: Authorize;
  /** Address UDP pairs bind to (the listener's host). */
  udpHost: string;
}

/**
 * One RTSP connection to the server (RFC 2326): OPTIONS, then either DESCRIBE → SETUP → PLAY
 * of any live hub stream (egress), or ANNOUNCE → SETUP → RECORD publishing one with origin
 * `rtsp-push` (ingest); RTP over the connection (interleaved) or UDP. One RTSP session per
 * connection, which is what ffmpeg, GStreamer and VLC use. Requests are handled in order.
 * Every way the connection ends goes through `close(reason)`: one `closed:` log line.
 */
export class RtspServerSession {
  readonly remoteAddress: string;
  readonly #socket: Socket;
  readonly #ctx: RtspSessionContext;
  readonly #log: Logger;
  readonly #onClosed: (s: RtspServerSession) => void;
  readonly #reader = new RtspConnectionReader();
  readonly #id = randomBytes(8).toString('hex');
  readonly #ourSsrc = randomInt(1, 0xffff_ffff);
  #queue: Promise<void> = Promise.resolve();
  #closed = false;
  #mode: 'play' | 'record' | null = null;
  #path = '';
  /** Play: the stream and its outgoing tracks (from DESCRIBE). */
  #playStream: Stream | null = null;
  #playTracks: PlayTrack[] = [];
  #player: RtspPlayer | null = null;
  /** Record: the announced tracks Estuary can take. */
  #recordTracks: RtspMediaTrack[] = [];
  #ingest: RtspIngest | null = null;
  #recordStream: Stream | null = null;
  #takeover = false;
  readonly #transports = new Map<number, TrackTransport>();
  /** Interleaved channel → [track index, is RTCP]. */
  readonly #channels = new Map<number, [number, boolean]>();
  #lastActivity = Date.now();
  #lastRr = Date.now();
  readonly #timer: NodeJS.Timeout;
  #drainListeners: (() => void)[] = [];

  constructor(options: { socket: Socket; ctx: RtspSessionContext; log: Logger; onClosed: (s: RtspServerSession) => void }) {
    this.#socket = options.socket;
    this.#ctx = options.ctx;
    this.#log = options.log;
    this.#onClosed = options.onClosed;
    this.remoteAddress = `${options.socket.remoteAddress}:${options.socket.remotePort}`;
    const socket = this.#socket;
    socket.setNoDelay(true);
    socket.on('data', (data) => this.#onData(data));
    socket.on('drain', () => {
      const listeners = this.#drainListeners;
      this.#drainListeners = [];
      for (const l of listeners) l();
    });
    socket.on('end', () => this.close('peer closed'));
    socket.on('close', () => this.close('socket closed'));
    socket.on('error', (err) => this.close(`socket error: ${err.message}`));
    this.#timer = setInterval(() => this.#check(), CHECK_INTERVAL_MS);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The one place a connection ends. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#log.info({ remoteAddress: this.remoteAddress, role: this.#mode ?? 'none', path: this.#path || undefined, packets: this.#ingest?.packets, sentUnits: this.#player?.sentUnits }, `closed: ${reason}`);
    this.#player?.close(reason);
    this.#ingest?.close();
    if (this.#recordStream) this.#ctx.hub.unpublish(this.#recordStream, reason);
    for (const t of this.#transports.values()) if (t.kind === 'udp') t.pair.close();
    this.#drainListeners = [];
    this.#socket.destroy();
    this.#onClosed(this);
  }

  #check(): void {
    const now = Date.now();
    if (this.#ingest) {
      if (now - this.#ingest.lastPacketAt > RTSP_RECORD_STALL_MS) return this.close('publisher stalled: no RTP');
      if (now - this.#lastRr >= RR_INTERVAL_MS) {
        this.#lastRr = now;
        for (const { index, packet } of this.#ingest.receiverReports(`estuary-${this.#id}`)) this.#sendRtcp(index, packet);
      }
      return;
    }
    const udpPlay = this.#player && [...this.#transports.values()].some((t) => t.kind === 'udp');
    if (this.#player && !udpPlay) return; // TCP players: the socket's own life decides
    const limit = udpPlay ? RTSP_SESSION_TIMEOUT_S * 1000 : RTSP_IDLE_TIMEOUT_MS;
    if (now - this.#lastActivity > limit) this.close(udpPlay ? 'session timed out' : 'idle timeout');
  }

  #write(bytes: Uint8Array): boolean {
    if (this.#closed) return false;
    return this.#socket.write(bytes);
  }

  #onData(data: Buffer): void {
    if (this.#closed) return;
    let items;
    try {
      items = this.#reader.push(data);
    } catch (err) {
      if (err instanceof ParseError) return this.close(`protocol error: ${err.message}`);
      throw err;
    }
    for (const item of items) {
      if (item.kind === 'frame') {
        this.#lastActivity = Date.now();
        const ch = this.#channels.get(item.frame.channel);
        if (ch && this.#ingest) {
          if (ch[1]) this.#ingest.onRtcp(ch[0], item.frame.payload);
          else this.#ingest.onRtp(ch[0], item.frame.payload);
        }
        continue;
      }
      const msg = item.message;
      if (msg.kind !== 'request') continue; // a response to nothing we asked: ignored
      this.#lastActivity = Date.now();
      this.#queue = this.#queue.then(() => this.#handle(msg)).catch((err: unknown) => this.close(`internal error: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  async #handle(req: RtspRequest): Promise<void> {
    if (this.#closed) return;
    let cseq: number;
    try {
      cseq = getCSeq(req);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.#write(writeRtspResponse({ status: 400, headers: [] }));
      return this.close(`bad request: ${err.message}`);
    }
    const base: RtspHeaders = [['CSeq', String(cseq)], ['Server', 'Estuary']];
    try {
      const answer = await this.#dispatch(req);
      if (this.#closed) return;
      const headers: RtspHeaders = [...base, ...answer.headers];
      if (this.#mode && req.method !== 'OPTIONS') headers.push(['Session', formatSession({ id: this.#id, timeout: RTSP_SESSION_TIMEOUT_S })]);
      this.#write(writeRtspResponse({ status: 200, headers, ...(answer.body ? { body: answer.body } : {}) }));
      answer.after?.();
    } catch (err) {
      if (this.#closed) return;
      if (err instanceof RtspStatusError) {
        this.#log.info({ method: req.method, status: err.status, reason: err.message, remoteAddress: this.remoteAddress }, 'request refused');
        this.#write(writeRtspResponse({ status: err.status, headers: [...base, ...err.headers] }));
        return;
      }
      if (err instanceof ParseError) {
        this.#write(writeRtspResponse({ status: 400, headers: base }));
        return this.close(`bad request: ${err.message}`);
      }
      throw err;
    }
  }

  async #dispatch(req: RtspRequest): Promise<{ headers: RtspHeaders; body?: Uint8Array; after?: () => void }> {
    switch (req.method) {
      case 'OPTIONS':
        return { headers: [['Public', PUBLIC_METHODS]] };
      case 'DESCRIBE':
        return this.#describe(req);
      case 'ANNOUNCE':
        return this.#announce(req);
      case 'SETUP':
        return this.#setup(req);
      case 'PLAY':
        return this.#play(req);
      case 'RECORD':
        return this.#record(req);
      case 'PAUSE':
        return this.#pause();
      case 'TEARDOWN':
        return { headers: [], after: () => this.close('teardown') };
      case 'GET_PARAMETER':
      case 'SET_PARAMETER':
        return { headers: [] }; // keep-alive
      default:
        throw new RtspStatusError(501, `method ${req.method}`);
    }
  }

  /** The stream path and query of a request URI, validated. */
  #target(uri: string): { path: string; query: string } {
    const t = requestTarget(uri);
    if (!streamPathSchema.safeParse(t.path).success) throw new RtspStatusError(400, 'bad stream path');
    return t;
  }

  /** The query to authorize with: the URI's, plus a Basic password as `key` (a publish key or token). */
  #authQuery(req: RtspRequest, query: string): string {
    const params = new URLSearchParams(query);
    const auth = getHeader(req.headers, 'Authorization');
    if (auth && !params.has('key')) {
      try {
        const creds = decodeBasic(parseAuthHeader(auth));
        if (creds?.password) params.set('key', creds.password);
      } catch (err) {
        if (!(err instanceof ParseError)) throw err;
      }
    }
    return params.toString();
  }

  #authParams(req: RtspRequest, path: string, query: string): AuthorizeParams {
    return { path, query: this.#authQuery(req, query), remoteAddress: this.#socket.remoteAddress ?? '', protocol: 'rtsp' };
  }

  #denied(code: string, reason: string): RtspStatusError {
    if (code === 'unauthorized') return new RtspStatusError(401, reason, [['WWW-Authenticate', basicChallenge(RTSP_REALM)]]);
    if (code === 'not_found') return new RtspStatusError(404, reason);
    if (code === 'conflict') return new RtspStatusError(403, reason);
    return new RtspStatusError(503, reason);
  }

  async #describe(req: RtspRequest): Promise<{ headers: RtspHeaders; body: Uint8Array }> {
    if (this.#mode) throw new RtspStatusError(455, 'DESCRIBE after SETUP');
    const { path, query } = this.#target(req.uri);
    const params = this.#authParams(req, path, query);
    const opened = await this.#ctx.source.open(path, () => this.#ctx.authorize.play(params));
    if (!opened.ok) throw this.#denied(opened.code, `${opened.code}: ${opened.reason}`);
    const stream = opened.stream;
    const deadline = Date.now() + DESCRIBE_TRACKS_WAIT_MS;
    while (!this.#closed && !stream.closed && !tracksReady(stream) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const { sdp, tracks } = writeRtspSdp(stream.tracks, { sessionName: path, origin: this.#socket.localAddress ?? '127.0.0.1' });
    if (tracks.length === 0) throw new RtspStatusError(404, `stream ${path} has no track RTSP can carry`);
    this.#path = path;
    this.#playStream = stream;
    this.#playTracks = playTracks(tracks);
    const base = req.uri.split('?')[0]!.replace(/\/?$/, '/');
    return { headers: [['Content-Type', 'application/sdp'], ['Content-Base', base]], body: Buffer.from(sdp, 'utf8') };
  }

  async #announce(req: RtspRequest): Promise<{ headers: RtspHeaders }> {
    if (this.#mode) throw new RtspStatusError(455, 'ANNOUNCE in a session');
    const { path, query } = this.#target(req.uri);
    const tracks = parseRtspSdp(Buffer.from(req.body).toString('utf8'), req.uri.split('?')[0]!);
    const supported = tracks.filter((t) => t.info);
    if (supported.length === 0) throw new RtspStatusError(415, `no supported track: ${tracks.map((t) => t.unsupported).join('; ')}`);
    const r = await this.#ctx.authorize.publish(this.#authParams(req, path, query)).catch((err: unknown) => ({ allow: false as const, code: 'internal' as const, reason: `authorization unavailable: ${err instanceof Error ? err.message : String(err)}` }));
    if (!r.allow) throw this.#denied(r.code, `${r.code}: ${r.reason}`);
    this.#takeover = r.takeover;
    this.#path = path;
    this.#recordTracks = supported;
    this.#mode = 'record';
    return { headers: [] };
  }

  /** Which track a SETUP names: `trackID=<n>` of our SDP (play), or a control of the announced SDP (record). */
  #trackIndex(uri: string): number {
    const noQuery = uri.split('?')[0]!;
    if (this.#mode === 'record') {
      const i = this.#recordTracks.findIndex((t) => t.control.split('?')[0] === noQuery || noQuery.endsWith(`/${t.control.split('/').pop()!.split('?')[0]}`));
      if (i < 0) throw new RtspStatusError(404, `no announced track at ${uri.slice(0, 200)}`);
      return i;
    }
    const m = /trackID=(\d+)\/?$/.exec(noQuery);
    const i = m ? Number(m[1]) : this.#playTracks.length === 1 ? 0 : -1;
    if (i < 0 || i >= this.#playTracks.length) throw new RtspStatusError(404, `no track at ${uri.slice(0, 200)}`);
    return i;
  }

  async #setup(req: RtspRequest): Promise<{ headers: RtspHeaders }> {
    if (!this.#playStream && this.#mode !== 'record') throw new RtspStatusError(455, 'SETUP before DESCRIBE or ANNOUNCE');
    if (this.#player || this.#ingest) throw new RtspStatusError(455, 'SETUP while playing or recording');
    this.#checkSession(req);
    this.#mode ??= 'play';
    const index = this.#trackIndex(req.uri);
    const header = getHeader(req.headers, 'Transport');
    if (!header) throw new RtspStatusError(400, 'SETUP without Transport');
    const spec = parseTransport(header).find((s) => !s.multicast && (s.protocol === 'tcp' || s.clientPort));
    if (!spec) throw new RtspStatusError(461, 'no unicast TCP or UDP transport offered');
    const previous = this.#transports.get(index);
    if (previous?.kind === 'udp') previous.pair.close();
    const reply: TransportSpec = { protocol: spec.protocol, multicast: false, other: {} };
    if (spec.protocol === 'tcp') {
      const channels = spec.interleaved ?? [2 * index, 2 * index + 1];
      this.#transports.set(index, { kind: 'tcp', channels });
      this.#channels.set(channels[0], [index, false]);
      this.#channels.set(channels[1], [index, true]);
      reply.interleaved = channels;
    } else {
      const pair = await openUdpPair(this.#ctx.udpHost);
      if (this.#closed) {
        pair.close();
        return { headers: [] };
      }
      const clientHost = this.#socket.remoteAddress ?? '127.0.0.1';
      const transport: TrackTransport = { kind: 'udp', pair, clientHost: clientHost.replace(/^::ffff:/, ''), clientPorts: spec.clientPort! };
      this.#transports.set(index, transport);
      pair.rtp.on('message', (msg) => this.#onUdp(index, msg, false));
      pair.rtcp.on('message', (msg) => this.#onUdp(index, msg, true));
      reply.clientPort = spec.clientPort!;
      reply.serverPort = [pair.rtpPort, pair.rtcpPort];
    }
    if (this.#mode === 'play') reply.ssrc = this.#playTracks[index]!.ssrc;
    else reply.mode = 'record';
    return { headers: [['Transport', formatTransport(reply)]] };
  }

  #onUdp(index: number, msg: Buffer, rtcp: boolean): void {
    this.#lastActivity = Date.now();
    if (!this.#ingest) return;
    if (rtcp) this.#ingest.onRtcp(index, msg);
    else this.#ingest.onRtp(index, msg);
  }

  #checkSession(req: RtspRequest): void {
    const header = getHeader(req.headers, 'Session');
    if (header === undefined) return; // the first SETUP, or a lenient client on the same connection
    if (parseSession(header).id !== this.#id) throw new RtspStatusError(454, 'unknown session');
  }

  #transportOf(index: number): PlayTransport | undefined {
    const t = this.#transports.get(index);
    if (!t) return undefined;
    if (t.kind === 'tcp') {
      return {
        sendRtp: (packet) => this.#write(writeInterleavedFrame(t.channels[0], packet)),
        sendRtcp: (packet) => void this.#write(writeInterleavedFrame(t.channels[1], packet)),
      };
    }
    return {
      sendRtp: (packet) => {
        t.pair.rtp.send(packet, t.clientPorts[0], t.clientHost);
        return true;
      },
      sendRtcp: (packet) => t.pair.rtp.send(packet, t.clientPorts[1], t.clientHost),
    };
  }

  #sendRtcp(index: number, packet: Uint8Array): void {
    const t = this.#transports.get(index);
    if (!t) return;
    if (t.kind === 'tcp') this.#write(writeInterleavedFrame(t.channels[1], packet));
    else t.pair.rtcp.send(packet, t.clientPorts[1], t.clientHost);
  }

  async #play(req: RtspRequest): Promise<{ headers: RtspHeaders; after: () => void }> {
    const stream = this.#playStream;
    if (this.#mode !== 'play' || !stream || this.#transports.size === 0) throw new RtspStatusError(455, 'PLAY before SETUP');
    this.#checkSession(req);
    if (this.#player) return { headers: [['Range', formatRange({ start: 0 })]], after: () => {} };
    if (stream.closed) throw new RtspStatusError(404, `stream ${this.#path} ended`);
    const base = req.uri.split('?')[0]!.replace(/\/?$/, '/');
    const tracks = this.#playTracks.filter((_t, i) => this.#transports.has(i));
    this.#playTracks.forEach((t, i) => {
      const transport = this.#transportOf(i);
      if (transport) t.transport = transport;
    });
    const rtpInfo = formatRtpInfo(this.#playTracks.flatMap((t, i) => (this.#transports.has(i) ? [{ url: `${base}trackID=${i}`, seq: t.firstSequence, rtptime: startRtpTime(t) }] : [])));
    const player = new RtspPlayer({ stream, tracks: this.#playTracks, remoteAddress: this.remoteAddress, onEnd: (reason) => this.close(reason), onDrain: (l) => this.#drainListeners.push(l) });
    this.#player = player;
    this.#log.info({ path: this.#path, remoteAddress: this.remoteAddress, tracks: tracks.map((t) => t.info.codec), transport: [...this.#transports.values()][0]?.kind }, 'playing');
    return { headers: [['Range', formatRange({ start: 0 })], ['RTP-Info', rtpInfo]], after: () => player.start() };
  }

  /** PAUSE of a live stream stops sending; a later PLAY starts again from the live edge (RFC 2326 §10.6). */
  #pause(): { headers: RtspHeaders } {
    if (this.#mode !== 'play') throw new RtspStatusError(455, 'PAUSE outside a play session');
    this.#player?.close('paused');
    this.#player = null;
    return { headers: [] };
  }

  async #record(req: RtspRequest): Promise<{ headers: RtspHeaders }> {
    if (this.#mode !== 'record' || this.#transports.size === 0) throw new RtspStatusError(455, 'RECORD before SETUP');
    this.#checkSession(req);
    if (this.#ingest) return { headers: [] };
    let stream: Stream;
    try {
      stream = this.#ctx.hub.publish(this.#path, 'rtsp-push', { remoteAddress: this.remoteAddress, close: (reason) => this.close(`kicked: ${reason}`) }, { takeover: this.#takeover });
    } catch (err) {
      if (err instanceof StreamConflictError) throw new RtspStatusError(403, err.message);
      throw err;
    }
    this.#recordStream = stream;
    const udp = [...this.#transports.values()].some((t) => t.kind === 'udp');
    this.#ingest = new RtspIngest({ stream, tracks: this.#recordTracks, udp, log: this.#log, ourSsrc: this.#ourSsrc });
    this.#log.info({ path: this.#path, remoteAddress: this.remoteAddress, tracks: this.#recordTracks.map((t) => t.info?.codec), transport: udp ? 'udp' : 'tcp' }, 'recording');
    return { headers: [] };
  }
}

/** A stream is ready to describe once each track it has is usable (video with its parameter sets). */
function tracksReady(stream: Stream): boolean {
  const tracks = stream.tracks;
  return tracks.length > 0 && tracks.every((t) => t.type !== 'video' || t.config !== undefined || t.codec === 'vp8');
}
