/**
 * Multivariant Playlist writer (rfc8216bis §4.4.6): one EXT-X-STREAM-INF per variant with
 * BANDWIDTH, AVERAGE-BANDWIDTH, CODECS, RESOLUTION and FRAME-RATE.
 */
import { quoted } from './attributes.js';
import type { MultivariantPlaylist } from './playlist.js';

/** Writes a Multivariant Playlist as text. */
export function writeMultivariantPlaylist(pl: MultivariantPlaylist): string {
  if (pl.variants.length === 0) throw new TypeError('a multivariant playlist needs a variant');
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${pl.version ?? 3}`];
  if (pl.independentSegments) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  for (const v of pl.variants) {
    if (!Number.isInteger(v.bandwidth) || v.bandwidth <= 0) throw new TypeError(`bad BANDWIDTH ${v.bandwidth}`);
    const attrs = [`BANDWIDTH=${v.bandwidth}`];
    if (v.averageBandwidth !== undefined) attrs.push(`AVERAGE-BANDWIDTH=${v.averageBandwidth}`);
    if (v.codecs.length > 0) attrs.push(`CODECS=${quoted(v.codecs.join(','))}`);
    if (v.resolution) attrs.push(`RESOLUTION=${v.resolution.width}x${v.resolution.height}`);
    if (v.frameRate !== undefined) attrs.push(`FRAME-RATE=${v.frameRate.toFixed(3)}`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, v.uri);
  }
  return `${lines.join('\n')}\n`;
}
