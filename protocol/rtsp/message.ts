/**
 * RTSP requests and responses (RFC 2326 §6, §7 and the RFC 7826 subset cameras use): parse
 * from bytes and serialize to bytes. A message is a start line, header lines, an empty line and
 * a body of Content-Length octets (RFC 2326 §4.3: no chunked bodies). Parsing is bounded by the
 * limits below and returns "need more bytes" (`undefined`) until a whole message is there.
 *
 *     Request-Line  = Method SP Request-URI SP RTSP-Version CRLF
 *     Status-Line   = RTSP-Version SP Status-Code SP Reason-Phrase CRLF
 */
import { ParseError } from '../errors.js';

/**
 * Longest start or header line. Camera replies carry long `Transport`, `RTP-Info` and
 * `WWW-Authenticate` lines (a few hundred octets); 4096 leaves ample room while bounding a
 * peer that never sends CRLF.
 */
export const MAX_RTSP_LINE_LENGTH = 4096;
/** Most header lines in one message: real ones carry under 20. */
export const MAX_RTSP_HEADERS = 64;
/** Largest head (start line + headers + blank line): the header limits above, multiplied out loosely. */
export const MAX_RTSP_HEAD_SIZE = 32 * 1024;
/**
 * Largest body. Bodies are SDP (DESCRIBE replies, ANNOUNCE) and GET_PARAMETER text: an SDP
 * with sprop parameter sets is 1–2 KB; 64 KiB bounds what a hostile peer can make us buffer.
 */
export const MAX_RTSP_BODY_SIZE = 64 * 1024;

/** The protocol version this code speaks and writes (RFC 2326 §3.1). */
export const RTSP_VERSION = 'RTSP/1.0';

/** Methods of RFC 2326 §10 (and GET_PARAMETER keep-alives); others are parsed but answered 501. */
export const RTSP_METHODS = ['OPTIONS', 'DESCRIBE', 'ANNOUNCE', 'SETUP', 'PLAY', 'PAUSE', 'RECORD', 'TEARDOWN', 'GET_PARAMETER', 'SET_PARAMETER', 'REDIRECT'] as const;
export type RtspMethod = (typeof RTSP_METHODS)[number];

/** Header lines in order, names as received; look them up with `getHeader`. */
export type RtspHeaders = [name: string, value: string][];

export interface RtspRequest {
  kind: 'request';
  /** The method token as sent (an unknown one is kept: the server answers 501). */
  method: string;
  uri: string;
  headers: RtspHeaders;
  body: Uint8Array;
}

export interface RtspResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: RtspHeaders;
  body: Uint8Array;
}

export type RtspMessage = RtspRequest | RtspResponse;

/** The first value of a header (case-insensitive name, RFC 2326 §4.2), or undefined. */
export function getHeader(headers: RtspHeaders, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [n, v] of headers) if (n.toLowerCase() === lower) return v;
  return undefined;
}

/** Every value of a header, in order (WWW-Authenticate may come once per scheme). */
export function getHeaders(headers: RtspHeaders, name: string): string[] {
  const lower = name.toLowerCase();
  return headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

/**
 * The CSeq of a message (RFC 2326 §12.17): required in every request and response. Some
 * cameras pad it with spaces; the value must be a non-negative integer.
 */
export function getCSeq(message: RtspMessage): number {
  const raw = getHeader(message.headers, 'CSeq');
  if (raw === undefined) throw new ParseError('missing-cseq', 'message without CSeq');
  const value = raw.trim();
  if (!/^\d{1,10}$/.test(value)) throw new ParseError('bad-cseq', value.slice(0, 20));
  return Number(value);
}

/** A copy of a range (a Node Buffer's own `slice` would return a view into the socket's data). */
export function copyBytes(buf: Uint8Array, start: number, end: number): Uint8Array {
  return Uint8Array.prototype.slice.call(buf, start, end);
}

const CR = 0x0d;
const LF = 0x0a;

/** Where the head ends (index just past the blank line), or -1 when it has not arrived yet. */
function findHeadEnd(buf: Uint8Array, offset: number): number {
  const limit = Math.min(buf.length, offset + MAX_RTSP_HEAD_SIZE);
  for (let i = offset; i < limit; i++) {
    if (buf[i] !== LF) continue;
    // LF LF or LF CR LF ends the head (RFC 2326 §4.1 allows bare LF line ends from peers).
    if (buf[i + 1] === LF) return i + 2;
    if (buf[i + 1] === CR && buf[i + 2] === LF) return i + 3;
  }
  if (limit - offset >= MAX_RTSP_HEAD_SIZE) throw new ParseError('head-too-large', `no end of headers within ${MAX_RTSP_HEAD_SIZE} octets`);
  return -1;
}

/**
 * Parses one message starting at `offset`. Returns the message and the octets it took, or
 * undefined when more bytes are needed. Throws ParseError for malformed input. Never modifies
 * `buf`; the body is a copy.
 */
export function parseRtspMessage(buf: Uint8Array, offset = 0): [RtspMessage, number] | undefined {
  // An interleaved frame's '$' or a stray byte may sit here: the caller dispatches on '$'.
  const headEnd = findHeadEnd(buf, offset);
  if (headEnd < 0) {
    // A line that runs on without LF is bad long before the head limit.
    let lineStart = offset;
    for (let i = offset; i < buf.length; i++) if (buf[i] === LF) lineStart = i + 1;
    if (buf.length - lineStart > MAX_RTSP_LINE_LENGTH) throw new ParseError('line-too-long', `line over ${MAX_RTSP_LINE_LENGTH} octets`);
    return undefined;
  }
  const head = Buffer.from(buf.buffer, buf.byteOffset + offset, headEnd - offset).toString('latin1');
  const lines = head.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const startLine = lines.shift() ?? '';
  if (startLine.length > MAX_RTSP_LINE_LENGTH) throw new ParseError('line-too-long', `start line of ${startLine.length} octets`);
  const headers = parseHeaderLines(lines);
  const lengthText = getHeader(headers, 'Content-Length');
  let bodyLength = 0;
  if (lengthText !== undefined) {
    const t = lengthText.trim();
    if (!/^\d{1,9}$/.test(t)) throw new ParseError('bad-content-length', t.slice(0, 20));
    bodyLength = Number(t);
    if (bodyLength > MAX_RTSP_BODY_SIZE) throw new ParseError('body-too-large', `Content-Length ${bodyLength} over ${MAX_RTSP_BODY_SIZE}`);
  }
  if (buf.length - headEnd < bodyLength) return undefined;
  const body = copyBytes(buf, headEnd, headEnd + bodyLength);
  const total = headEnd + bodyLength - offset;

  if (startLine.startsWith('RTSP/')) {
    // Status-Line; some cameras omit the reason phrase or send "RTSP/1.0 200" only.
    const m = /^RTSP\/(\d)\.(\d) (\d{3})(?: (.*))?$/.exec(startLine);
    if (!m) throw new ParseError('bad-status-line', startLine.slice(0, 60));
    if (m[1] !== '1' && m[1] !== '2') throw new ParseError('bad-version', startLine.slice(0, 20));
    return [{ kind: 'response', status: Number(m[3]), reason: m[4] ?? '', headers, body }, total];
  }
  const m = /^([A-Z_]{1,32}) (\S{1,4000}) RTSP\/(\d)\.(\d)$/.exec(startLine);
  if (!m) throw new ParseError('bad-request-line', startLine.slice(0, 60));
  if (m[3] !== '1' && m[3] !== '2') throw new ParseError('bad-version', startLine.slice(0, 20));
  return [{ kind: 'request', method: m[1] as string, uri: m[2] as string, headers, body }, total];
}

function parseHeaderLines(lines: readonly string[]): RtspHeaders {
  const headers: RtspHeaders = [];
  for (const line of lines) {
    if (line.length > MAX_RTSP_LINE_LENGTH) throw new ParseError('line-too-long', `header line of ${line.length} octets`);
    if (line.startsWith(' ') || line.startsWith('\t')) {
      // Folded continuation (RFC 2326 §4.2 via RFC 2616 §2.2): joins the previous header.
      const last = headers[headers.length - 1];
      if (!last) throw new ParseError('bad-header', 'continuation line before any header');
      last[1] = `${last[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ParseError('bad-header', line.slice(0, 60));
    const name = line.slice(0, colon).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new ParseError('bad-header', line.slice(0, 60));
    if (headers.length >= MAX_RTSP_HEADERS) throw new ParseError('too-many-headers', `more than ${MAX_RTSP_HEADERS} headers`);
    headers.push([name, line.slice(colon + 1).trim()]);
  }
  return headers;
}

/** Status codes Estuary writes, with their RFC 2326 §7.1.1 reason phrases. */
export const RTSP_STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  453: 'Not Enough Bandwidth',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  459: 'Aggregate Operation Not Allowed',
  461: 'Unsupported Transport',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

function assertHeaderSafe(text: string, what: string): void {
  if (/[\r\n]/.test(text)) throw new TypeError(`${what} must not contain CR or LF`);
}

function writeMessage(startLine: string, headers: RtspHeaders, body: Uint8Array): Uint8Array {
  assertHeaderSafe(startLine, 'start line');
  let head = `${startLine}\r\n`;
  for (const [name, value] of headers) {
    if (name.toLowerCase() === 'content-length') continue;
    assertHeaderSafe(name, 'header name');
    assertHeaderSafe(value, 'header value');
    head += `${name}: ${value}\r\n`;
  }
  if (body.length > 0) head += `Content-Length: ${body.length}\r\n`;
  head += '\r\n';
  const headBytes = Buffer.from(head, 'latin1');
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes, 0);
  out.set(body, headBytes.length);
  return out;
}

/** Serializes a request; Content-Length is written from the body (a given one is ignored). */
export function writeRtspRequest(req: Omit<RtspRequest, 'kind' | 'body'> & { body?: Uint8Array }): Uint8Array {
  return writeMessage(`${req.method} ${req.uri} ${RTSP_VERSION}`, req.headers, req.body ?? new Uint8Array(0));
}

/** Serializes a response; the reason defaults to the standard phrase of the status. */
export function writeRtspResponse(res: { status: number; reason?: string; headers: RtspHeaders; body?: Uint8Array }): Uint8Array {
  const reason = res.reason ?? RTSP_STATUS_TEXT[res.status] ?? 'Unknown';
  return writeMessage(`${RTSP_VERSION} ${res.status} ${reason}`, res.headers, res.body ?? new Uint8Array(0));
}
