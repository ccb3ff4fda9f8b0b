import { ParseError } from '../errors.js';

/**
 * SDP (RFC 8866 §5) as a session part and media sections, each an ordered list of `type=value`
 * lines. Lines Estuary does not interpret are kept as they are, so `writeSdp(parseSdp(x))`
 * reproduces `x` up to line endings.
 */

/** A browser offer has a few hundred lines; 4000 bounds a hostile one well above that. */
export const MAX_SDP_LINES = 4000;
/** Longest single line accepted (a long fmtp or candidate is ~300 octets). */
export const MAX_SDP_LINE_LENGTH = 4096;
/** Media sections per description: far above any real call (Chrome caps transceivers near this). */
export const MAX_MEDIA_SECTIONS = 256;

export interface SdpLine {
  /** The one-letter type before '=' (RFC 8866 §5). */
  type: string;
  value: string;
}

/** One `m=` section (RFC 8866 §5.14) and the lines after it. */
export interface MediaSection {
  kind: string;
  port: number;
  protocol: string;
  /** Payload types (or other formats) in m-line order. */
  formats: string[];
  lines: SdpLine[];
}

export interface SessionDescription {
  /** Session-level lines in order (v=, o=, s=, t=, a=...). */
  lines: SdpLine[];
  media: MediaSection[];
}

/**
 * Parses SDP text. Accepts CRLF or LF line ends and a missing final line end; requires `v=0`
 * first and a well-formed `m=` line per section. Throws ParseError with a reason otherwise.
 */
export function parseSdp(text: string): SessionDescription {
  if (typeof text !== 'string') throw new ParseError('not-text', 'SDP must be a string');
  const raw = text.split('\n');
  if (raw.length > MAX_SDP_LINES + 1) throw new ParseError('too-many-lines', `more than ${MAX_SDP_LINES} lines`);
  const desc: SessionDescription = { lines: [], media: [] };
  let current: MediaSection | undefined;
  let first = true;
  for (let i = 0; i < raw.length; i++) {
    const line = (raw[i] as string).replace(/\r$/, '');
    if (line === '') continue;
    if (line.length > MAX_SDP_LINE_LENGTH) throw new ParseError('line-too-long', `line ${i + 1} is ${line.length} characters`);
    if (line.length < 2 || line[1] !== '=' || !/^[a-z]$/.test(line[0] as string)) throw new ParseError('bad-line', `line ${i + 1}: ${line.slice(0, 40)}`);
    const type = line[0] as string;
    const value = line.slice(2);
    if (first) {
      if (type !== 'v' || value !== '0') throw new ParseError('bad-version', 'SDP must start with v=0');
      first = false;
    }
    if (type === 'm') {
      if (desc.media.length >= MAX_MEDIA_SECTIONS) throw new ParseError('too-many-media', `more than ${MAX_MEDIA_SECTIONS} m-lines`);
      current = parseMediaLine(value, i + 1);
      desc.media.push(current);
    } else if (current) {
      current.lines.push({ type, value });
    } else {
      desc.lines.push({ type, value });
    }
  }
  if (first) throw new ParseError('empty', 'no SDP lines');
  return desc;
}

/** RFC 8866 §5.14: `m=<media> <port>[/<number of ports>] <proto> <fmt> ...`. */
function parseMediaLine(value: string, lineNo: number): MediaSection {
  const parts = value.split(' ');
  const [kind, portText, protocol, ...formats] = parts;
  const port = Number((portText ?? '').split('/')[0]);
  if (!kind || !protocol || !Number.isInteger(port) || port < 0 || port > 65535) throw new ParseError('bad-media-line', `line ${lineNo}: m=${value.slice(0, 40)}`);
  return { kind, port, protocol, formats: formats.filter((f) => f !== ''), lines: [] };
}

/** Writes a description as SDP text with CRLF line ends (RFC 8866 §5). */
export function writeSdp(desc: SessionDescription): string {
  const out: string[] = [];
  for (const l of desc.lines) out.push(`${l.type}=${l.value}`);
  for (const m of desc.media) {
    out.push(`m=${m.kind} ${m.port} ${m.protocol} ${m.formats.join(' ')}`);
    for (const l of m.lines) out.push(`${l.type}=${l.value}`);
  }
  return out.join('\r\n') + '\r\n';
}

/** Values of every `a=<name>` / `a=<name>:<value>` line, in order ('' for a property attribute). */
export function getAttributes(lines: readonly SdpLine[], name: string): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (l.type !== 'a') continue;
    if (l.value === name) out.push('');
    else if (l.value.startsWith(name) && l.value[name.length] === ':') out.push(l.value.slice(name.length + 1));
  }
  return out;
}

/** The first value of `a=<name>`, or undefined. */
export function getAttribute(lines: readonly SdpLine[], name: string): string | undefined {
  return getAttributes(lines, name)[0];
}

/** The attribute name of an `a=` line value (`rtpmap` for `rtpmap:111 opus/48000/2`). */
export function attributeName(value: string): string {
  const colon = value.indexOf(':');
  return colon < 0 ? value : value.slice(0, colon);
}
