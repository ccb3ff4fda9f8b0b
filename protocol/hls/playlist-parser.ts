/**
 * Media Playlist parser (RFC 8216 §4, rfc8216bis §4.4): enough of the format for tests and
 * for the server to answer blocking playlist reloads. Unknown tags are ignored, as clients
 * must (§6.3.1). Returns the shared playlist model.
 */
import { ParseError } from '../errors.js';
import { parseAttributes, parseDecimalFloat, parseDecimalInteger } from './attributes.js';
import type { ByteRange, HlsMap, HlsPart, HlsSegment, MediaPlaylist } from './playlist.js';

/** Largest playlist accepted: a live window of a few minutes is a few thousand lines. */
export const MAX_PLAYLIST_BYTES = 4 * 1024 * 1024;
export const MAX_PLAYLIST_LINES = 100_000;

function required(attrs: Map<string, string>, name: string, tag: string): string {
  const v = attrs.get(name);
  if (v === undefined) throw new ParseError('missing-attribute', `${tag} without ${name}`);
  return v;
}

function parseByteRange(s: string): ByteRange {
  const m = /^(\d{1,16})(?:@(\d{1,16}))?$/.exec(s);
  if (!m) throw new ParseError('bad-byterange', s);
  const r: ByteRange = { length: Number(m[1]) };
  if (m[2] !== undefined) r.offset = Number(m[2]);
  return r;
}

function parseMap(attrs: Map<string, string>): HlsMap {
  const map: HlsMap = { uri: required(attrs, 'URI', 'EXT-X-MAP') };
  const br = attrs.get('BYTERANGE');
  if (br !== undefined) map.byteRange = parseByteRange(br);
  return map;
}

function parsePart(attrs: Map<string, string>): HlsPart {
  const part: HlsPart = {
    uri: required(attrs, 'URI', 'EXT-X-PART'),
    duration: parseDecimalFloat(required(attrs, 'DURATION', 'EXT-X-PART'), 'DURATION'),
  };
  if (attrs.get('INDEPENDENT') === 'YES') part.independent = true;
  if (attrs.get('GAP') === 'YES') part.gap = true;
  const br = attrs.get('BYTERANGE');
  if (br !== undefined) part.byteRange = parseByteRange(br);
  return part;
}

/** Parses a Media Playlist. Throws ParseError with a reason on malformed input. */
export function parseMediaPlaylist(text: string): MediaPlaylist {
  if (text.length > MAX_PLAYLIST_BYTES) throw new ParseError('too-large', `${text.length} characters`);
  const lines = text.split('\n');
  if (lines.length > MAX_PLAYLIST_LINES) throw new ParseError('too-large', `${lines.length} lines`);
  if (lines[0]?.replace(/\r$/, '') !== '#EXTM3U') throw new ParseError('missing-header', 'first line must be #EXTM3U');
  const pl: MediaPlaylist = { targetDuration: 0, mediaSequence: 0, segments: [] };
  let targetSeen = false;
  // Tags that apply to the next segment.
  let next: Partial<HlsSegment> = {};
  let parts: HlsPart[] = [];
  let extinf: { duration: number; title: string } | undefined;
  for (let n = 1; n < lines.length; n += 1) {
    const line = (lines[n] as string).replace(/\r$/, '').trim();
    if (line === '') continue;
    if (!line.startsWith('#')) {
      if (!extinf) throw new ParseError('missing-extinf', `URI without EXTINF on line ${n + 1}`);
      const seg: HlsSegment = { ...next, uri: line, duration: extinf.duration };
      if (extinf.title) seg.title = extinf.title;
      if (parts.length > 0) seg.parts = parts;
      pl.segments.push(seg);
      next = {};
      parts = [];
      extinf = undefined;
      continue;
    }
    if (!line.startsWith('#EXT')) continue; // comment
    const colon = line.indexOf(':');
    const tag = colon < 0 ? line.slice(1) : line.slice(1, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1);
    switch (tag) {
      case 'EXT-X-VERSION':
        pl.version = parseDecimalInteger(value, tag);
        break;
      case 'EXT-X-TARGETDURATION':
        pl.targetDuration = parseDecimalInteger(value, tag);
        targetSeen = true;
        break;
      case 'EXT-X-MEDIA-SEQUENCE':
        pl.mediaSequence = parseDecimalInteger(value, tag);
        break;
      case 'EXT-X-DISCONTINUITY-SEQUENCE':
        pl.discontinuitySequence = parseDecimalInteger(value, tag);
        break;
      case 'EXT-X-INDEPENDENT-SEGMENTS':
        pl.independentSegments = true;
        break;
      case 'EXT-X-PLAYLIST-TYPE':
        if (value !== 'EVENT' && value !== 'VOD') throw new ParseError('bad-value', `${tag}: ${value}`);
        pl.playlistType = value;
        break;
      case 'EXT-X-ENDLIST':
        pl.endList = true;
        break;
      case 'EXT-X-MAP':
        // Before the first segment it is the playlist's map; later ones start at the next segment.
        if (pl.segments.length === 0 && !pl.map) pl.map = parseMap(parseAttributes(value));
        else next.map = parseMap(parseAttributes(value));
        break;
      case 'EXTINF': {
        const comma = value.indexOf(',');
        extinf = {
          duration: parseDecimalFloat(comma < 0 ? value : value.slice(0, comma), tag),
          title: comma < 0 ? '' : value.slice(comma + 1),
        };
        break;
      }
      case 'EXT-X-DISCONTINUITY':
        next.discontinuity = true;
        break;
      case 'EXT-X-GAP':
        next.gap = true;
        break;
      case 'EXT-X-PROGRAM-DATE-TIME': {
        const d = new Date(value);
        if (Number.isNaN(d.getTime())) throw new ParseError('bad-value', `${tag}: ${value}`);
        next.programDateTime = d;
        break;
      }
      case 'EXT-X-PART-INF':
        pl.partTarget = parseDecimalFloat(required(parseAttributes(value), 'PART-TARGET', tag), 'PART-TARGET');
        break;
      case 'EXT-X-SERVER-CONTROL': {
        const a = parseAttributes(value);
        pl.serverControl = {};
        if (a.get('CAN-BLOCK-RELOAD') === 'YES') pl.serverControl.canBlockReload = true;
        const fields = [['HOLD-BACK', 'holdBack'], ['PART-HOLD-BACK', 'partHoldBack'], ['CAN-SKIP-UNTIL', 'canSkipUntil']] as const;
        for (const [name, key] of fields) {
          const v = a.get(name);
          if (v !== undefined) pl.serverControl[key] = parseDecimalFloat(v, name);
        }
        break;
      }
      case 'EXT-X-PART':
        parts.push(parsePart(parseAttributes(value)));
        break;
      case 'EXT-X-PRELOAD-HINT': {
        const a = parseAttributes(value);
        const type = required(a, 'TYPE', tag);
        if (type !== 'PART' && type !== 'MAP') throw new ParseError('bad-value', `${tag} TYPE ${type}`);
        pl.preloadHint = { type, uri: required(a, 'URI', tag) };
        const start = a.get('BYTERANGE-START');
        const length = a.get('BYTERANGE-LENGTH');
        if (start !== undefined) pl.preloadHint.byteRangeStart = parseDecimalInteger(start, 'BYTERANGE-START');
        if (length !== undefined) pl.preloadHint.byteRangeLength = parseDecimalInteger(length, 'BYTERANGE-LENGTH');
        break;
      }
      case 'EXT-X-SKIP':
        pl.skippedSegments = parseDecimalInteger(required(parseAttributes(value), 'SKIPPED-SEGMENTS', tag), 'SKIPPED-SEGMENTS');
        break;
      case 'EXT-X-RENDITION-REPORT': {
        const a = parseAttributes(value);
        const report = { uri: required(a, 'URI', tag), lastMsn: parseDecimalInteger(required(a, 'LAST-MSN', tag), 'LAST-MSN') };
        const lastPart = a.get('LAST-PART');
        (pl.renditionReports ??= []).push(lastPart === undefined ? report : { ...report, lastPart: parseDecimalInteger(lastPart, 'LAST-PART') });
        break;
      }
      default:
        break; // unknown tags are ignored (§6.3.1)
    }
  }
  if (!targetSeen) throw new ParseError('missing-target-duration', 'EXT-X-TARGETDURATION is required');
  if (extinf) throw new ParseError('missing-uri', 'EXTINF without a URI at the end');
  if (parts.length > 0) pl.pendingParts = parts;
  return pl;
}
