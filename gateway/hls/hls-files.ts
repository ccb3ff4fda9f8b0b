import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * File names of one stream's HLS directory (`<hls.dir>/<stream path>/`). The server's
 * `/hls/` route serves exactly these names (server/http/hls.ts FILE_NAME).
 */
export const PLAYLIST_NAME = 'index.m3u8';
/** The same segments without LL-HLS tags, for clients that break on them. */
export const PLAIN_PLAYLIST_NAME = 'plain.m3u8';

/** Init segment of track-set generation `g` (EXT-X-MAP, RFC 8216bis §4.4.4.5). */
export function initName(generation: number): string {
  return generation === 0 ? 'init.mp4' : `init${generation}.mp4`;
}

export function segmentName(msn: number, extension: 'm4s' | 'ts'): string {
  return `seg${msn}.${extension}`;
}

export function partName(msn: number, index: number): string {
  return `part${msn}.${index}.m4s`;
}

/**
 * Writes a file so that a reader sees either the old content or the whole new one: write a
 * hidden temporary file beside it, then rename over (POSIX rename is atomic within a
 * directory). The server never serves the temporary names (they start with a dot).
 */
export async function writeAtomic(dir: string, name: string, data: Uint8Array | string): Promise<void> {
  const tmp = path.join(dir, `.${name}.tmp`);
  await writeFile(tmp, data);
  await rename(tmp, path.join(dir, name));
}

/** Removes files of a stream directory, ignoring ones already gone. */
export async function removeFiles(dir: string, names: readonly string[]): Promise<void> {
  await Promise.all(names.map((n) => rm(path.join(dir, n), { force: true })));
}
