import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Request, Response } from 'express';
import { streamPathSchema } from '../../protocol/control/messages.js';
import { logger } from '../lib/logger.js';
import type { ServerContext, Subsystem } from '../server.js';

const log = logger.child({ mod: 'hls-http' });

/**
 * HLS serving (RFC 8216, draft-pantos-hls-rfc8216bis-17): the files the gateway's packager
 * writes under `hls.dir`, served under `/hls/<stream path>/<file>`.
 *
 * LL-HLS for players that ask, plain HLS for those that don't: `index.m3u8` is the LL-HLS
 * playlist (EXT-X-PART, EXT-X-PRELOAD-HINT, EXT-X-SERVER-CONTROL). A player that does not know
 * those tags ignores them (RFC 8216 §4.1: "clients MUST ignore any tag they do not
 * recognize") and plays the full segments in the same playlist, so ffplay, ffprobe and
 * hls.js without lowLatencyMode use the same URL. A player that asks for parts uses blocking
 * reload (`_HLS_msn`/`_HLS_part`, §6.2.5.2) on it. For the rare client that breaks on LL
 * tags, the packager also writes `plain.m3u8`, the same segments with no LL tags.
 */

/** Content types by file extension (RFC 8216 §4: playlists; §3.3 fMP4, §3.2 MPEG-TS). */
export const HLS_CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mp4': 'video/mp4',
  '.m4s': 'video/mp4',
  '.ts': 'video/mp2t',
};

/** File names the packager writes (gateway/hls/hls-files.ts): anything else is not served. */
const FILE_NAME = /^(?:index\.m3u8|plain\.m3u8|init\d*\.mp4|seg\d+\.(?:m4s|ts)|part\d+\.\d+\.m4s)$/;
const PLAYLIST = 'index.m3u8';

/**
 * Segments and parts never change once written, but a name is reused when a stream at the
 * same path starts over after its files were removed; a minute outlives every live window
 * (60 segments of ≤ 1 s would be the largest), and a stale copy cannot outlive it by much.
 */
export const SEGMENT_MAX_AGE_S = 60;
/** Blocking-reload responses name a future playlist and may be cached for a part or so. */
const PLAYLIST_CACHE = 'no-cache';
/**
 * Poll interval behind fs.watch: inotify can miss a rename on some filesystems (overlay,
 * NFS), and a stream's directory may not exist yet when a player asks. 100 ms is under half
 * of the smallest useful part (≈ 200 ms), so a missed event costs at most that much latency.
 */
export const POLL_INTERVAL_MS = 100;
/**
 * A blocked request waits at most 3 × the Target Duration (RFC 8216bis §6.2.5.2); this is
 * the target assumed when the playlist cannot be read yet (the packager's default is 1 s).
 */
export const FALLBACK_TARGET_DURATION_S = 2;
/** Held requests per server: each holds a socket and a timer; beyond this, answer 503 at once. */
export const MAX_BLOCKED_REQUESTS = 5_000;

/** Delivery directives of a playlist request (RFC 8216bis §6.2.5.2): validated or an error. */
export type DeliveryDirectives = { msn: number; part: number | undefined } | undefined;

const DECIMAL = /^\d{1,15}$/;

/** Reads `_HLS_msn` / `_HLS_part`: undefined when absent; throws TypeError when malformed. */
export function parseDeliveryDirectives(query: Record<string, unknown>): DeliveryDirectives {
  const msn = query['_HLS_msn'];
  const part = query['_HLS_part'];
  if (msn === undefined) {
    if (part !== undefined) throw new TypeError('_HLS_part without _HLS_msn');
    return undefined;
  }
  if (typeof msn !== 'string' || !DECIMAL.test(msn)) throw new TypeError('_HLS_msn must be a decimal integer');
  if (part !== undefined && (typeof part !== 'string' || !DECIMAL.test(part))) throw new TypeError('_HLS_part must be a decimal integer');
  return { msn: Number(msn), part: part === undefined ? undefined : Number(part) };
}

/** A file under the HLS root, resolved from URL path segments; undefined when not allowed. */
export interface HlsFile {
  /** Absolute path of the file. */
  file: string;
  /** Absolute path of the stream's directory. */
  dir: string;
  name: string;
}

/**
 * Maps `/hls/<stream path>/<file>` to a file under `root`, refusing anything that could leave
 * it: the stream path must be a valid stream path (no `.`/`..` segments, no separators inside
 * a segment), the file name one the packager writes, and the resolved path inside the root.
 */
export function resolveHlsFile(root: string, segments: readonly string[]): HlsFile | undefined {
  const name = segments[segments.length - 1];
  if (name === undefined || segments.length < 2 || !FILE_NAME.test(name)) return undefined;
  const streamPath = segments.slice(0, -1).join('/');
  if (!streamPathSchema.safeParse(streamPath).success) return undefined;
  const base = path.resolve(root);
  const file = path.resolve(base, streamPath, name);
  if (!file.startsWith(base + path.sep)) return undefined;
  return { file, dir: path.dirname(file), name };
}

/** Where a live playlist stands: what blocking reload compares `_HLS_msn`/`_HLS_part` with. */
export interface PlaylistPosition {
  /** Media sequence number of the segment after the last complete one (the open segment). */
  nextMsn: number;
  /** Parts of the open segment listed so far. */
  openParts: number;
  /** EXT-X-TARGETDURATION, seconds. */
  targetDuration: number;
  /** EXT-X-PART-INF PART-TARGET, seconds. */
  partTarget: number | undefined;
  canBlockReload: boolean;
  /** URI of the EXT-X-PRELOAD-HINT TYPE=PART. */
  preloadHint: string | undefined;
}

export function playlistPosition(text: string): PlaylistPosition | undefined {
  return positionOf(text);
}

/** True when the playlist at `pos` contains segment `msn` (and part `part` of it, if asked). */
export function playlistHas(pos: PlaylistPosition, msn: number, part: number | undefined): boolean {
  // Segment M is complete once M+1 is open; an open segment's parts are listed as they land.
  if (msn < pos.nextMsn) return true;
  return part !== undefined && msn === pos.nextMsn && part < pos.openParts;
}

/**
 * Requests beyond what the packager can produce soon are refused (RFC 8216bis §6.2.5.2): an
 * `_HLS_msn` more than two past the last complete segment, or an `_HLS_part` more than the
 * Advance Part Limit past the last part (3 / PART-TARGET parts when that is under a second,
 * else 3).
 */
export function tooFarAhead(pos: PlaylistPosition, msn: number, part: number | undefined): boolean {
  const lastMsn = pos.nextMsn - 1;
  if (msn > lastMsn + 2) return true;
  if (part === undefined || pos.partTarget === undefined || msn !== pos.nextMsn) return false;
  const advancePartLimit = pos.partTarget < 1 ? Math.floor(3 / pos.partTarget) : 3;
  return part - (pos.openParts - 1) > advancePartLimit;
}

/**
 * Change notifications for one stream directory, shared by every request waiting on it: one
 * fs.watch (when the directory exists) plus a poll timer, both stopped when the last waiter
 * leaves.
 */
class DirectoryWatch {
  readonly #dir: string;
  readonly #listeners = new Set<() => void>();
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #onEmpty: () => void;

  constructor(dir: string, onEmpty: () => void) {
    this.#dir = dir;
    this.#onEmpty = onEmpty;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) this.#start();
    return () => {
      if (!this.#listeners.delete(listener) || this.#listeners.size > 0) return;
      this.close();
      this.#onEmpty();
    };
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
  }

  #start(): void {
    this.#timer = setInterval(() => this.#notify(), POLL_INTERVAL_MS);
    this.#tryWatch();
  }

  #tryWatch(): void {
    try {
      // The packager renames into the directory: watching the directory sees each new file
      // (a watch on the playlist itself would follow the old inode after the first rename).
      this.#watcher = watch(this.#dir, { persistent: false }, () => this.#notify());
      this.#watcher.on('error', () => {
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch {
      this.#watcher = undefined; // not created yet: the poll covers it and retries the watch
    }
  }

  #notify(): void {
    if (!this.#watcher && this.#listeners.size > 0) this.#tryWatch();
    for (const l of [...this.#listeners]) l();
  }
}

/** The HLS file server: static files plus the requests held for blocking reload. */
class HlsServer {
  readonly #root: string;
  readonly #watches = new Map<string, DirectoryWatch>();
  readonly #pending = new Set<() => void>();
  #closed = false;

  constructor(root: string) {
    this.#root = path.resolve(root);
  }

  get blockedRequests(): number {
    return this.#pending.size;
  }

  async handle(req: Request, res: Response): Promise<void> {
    const segments = (req.params as { path?: string[] }).path ?? [];
    const target = resolveHlsFile(this.#root, segments);
    if (!target) {
      res.status(404).type('text/plain').send('not found\n');
      return;
    }
    setCors(res);
    if (target.name === PLAYLIST) await this.#servePlaylist(req, res, target);
    else if (target.name.endsWith('.m3u8')) await this.#sendPlaylistFile(res, target.file);
    else await this.#serveMedia(res, target);
  }

  close(): void {
    this.#closed = true;
    for (const cancel of [...this.#pending]) cancel();
    for (const w of this.#watches.values()) w.close();
    this.#watches.clear();
  }

  async #servePlaylist(req: Request, res: Response, target: HlsFile): Promise<void> {
    let directives: DeliveryDirectives;
    try {
      directives = parseDeliveryDirectives(req.query as Record<string, unknown>);
    } catch (err) {
      res.status(400).type('text/plain').send(`${(err as Error).message}\n`);
      return;
    }
    const text = await readText(target.file);
    if (text === undefined) {
      res.status(404).type('text/plain').send('stream not found\n');
      return;
    }
    if (!directives) {
      sendPlaylist(res, text);
      return;
    }
    const { msn, part } = directives;
    const pos = playlistPosition(text);
    // A playlist without CAN-BLOCK-RELOAD (MPEG-TS mode) ignores the directives (§6.2.5.2).
    if (!pos || !pos.canBlockReload) {
      sendPlaylist(res, text);
      return;
    }
    if (tooFarAhead(pos, msn, part)) {
      res.status(400).type('text/plain').send('_HLS_msn/_HLS_part too far ahead of the playlist\n');
      return;
    }
    if (playlistHas(pos, msn, part)) {
      sendPlaylist(res, text);
      return;
    }
    const timeoutMs = 3 * pos.targetDuration * 1000;
    const ready = await this.#waitFor(req, target.dir, timeoutMs, async () => {
      const now = await readText(target.file);
      const p = now === undefined ? undefined : playlistPosition(now);
      return p && playlistHas(p, msn, part) ? now : undefined;
    });
    if (res.headersSent || res.destroyed) return;
    if (ready === undefined) {
      res.status(503).set('Retry-After', '1').type('text/plain').send('the requested segment or part did not become available in time\n');
      return;
    }
    sendPlaylist(res, ready);
  }

  async #sendPlaylistFile(res: Response, file: string): Promise<void> {
    const text = await readText(file);
    if (text === undefined) res.status(404).type('text/plain').send('not found\n');
    else sendPlaylist(res, text);
  }

  /**
   * Segments, parts and init segments. A part or segment that does not exist yet but is the
   * playlist's EXT-X-PRELOAD-HINT is waited for (RFC 8216bis §6.2.6: the server holds the
   * request until the part is available), at most 3 × the Target Duration.
   */
  async #serveMedia(res: Response, target: HlsFile): Promise<void> {
    if (!(await exists(target.file))) {
      const text = await readText(path.join(target.dir, PLAYLIST));
      const pos = text === undefined ? undefined : playlistPosition(text);
      if (!pos || pos.preloadHint !== target.name) {
        res.status(404).type('text/plain').send('not found\n');
        return;
      }
      const found = await this.#waitFor(res.req, target.dir, 3 * pos.targetDuration * 1000, async () =>
        (await exists(target.file)) ? true : undefined,
      );
      if (res.headersSent || res.destroyed) return;
      if (!found) {
        res.status(503).set('Retry-After', '1').type('text/plain').send('the hinted part did not become available in time\n');
        return;
      }
    }
    const type = HLS_CONTENT_TYPES[path.extname(target.name)] ?? 'application/octet-stream';
    res.sendFile(target.file, { cacheControl: false, headers: { 'Content-Type': type, 'Cache-Control': `public, max-age=${SEGMENT_MAX_AGE_S}` } }, (err) => {
      if (err && !res.headersSent) res.status(404).type('text/plain').send('not found\n');
    });
  }

  /**
   * Re-runs `check` on every change in `dir` (and every poll tick) until it returns a value,
   * the timeout passes, the client goes away or the server closes. Resolves undefined unless
   * the check succeeded. Checks never overlap.
   */
  #waitFor<T>(req: Request, dir: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T | undefined> {
    if (this.#closed || this.#pending.size >= MAX_BLOCKED_REQUESTS) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let watch = this.#watches.get(dir);
      if (!watch) {
        watch = new DirectoryWatch(dir, () => this.#watches.delete(dir));
        this.#watches.set(dir, watch);
      }
      let running = false;
      let again = false;
      let done = false;
      const finish = (value: T | undefined): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        req.off('close', cancel);
        this.#pending.delete(cancel);
        resolve(value);
      };
      const cancel = (): void => finish(undefined);
      const run = (): void => {
        if (done) return;
        if (running) {
          again = true;
          return;
        }
        running = true;
        check().then(
          (value) => {
            running = false;
            if (value !== undefined) finish(value);
            else if (again) {
              again = false;
              run();
            }
          },
          (err: unknown) => {
            log.warn({ err, dir }, 'blocking check failed');
            finish(undefined);
          },
        );
      };
      const timer = setTimeout(cancel, Math.max(timeoutMs, 1));
      const unsubscribe = watch.subscribe(run);
      req.once('close', cancel);
      this.#pending.add(cancel);
      run();
    });
  }
}

function setCors(res: Response): void {
  // Segments are public by path: any origin may play them (hls.js on another site, embeds).
  res.set('Access-Control-Allow-Origin', '*');
  res.set('Access-Control-Expose-Headers', 'Age, Date, Content-Length');
}

function sendPlaylist(res: Response, text: string): void {
  res.status(200).set({ 'Content-Type': HLS_CONTENT_TYPES['.m3u8'], 'Cache-Control': PLAYLIST_CACHE }).send(Buffer.from(text, 'utf8'));
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Mounts `/hls/*` (RFC 8216 serving with LL-HLS blocking reload) from `config.hls.dir`. */
export function mountHls(ctx: ServerContext): Subsystem {
  const server = new HlsServer(ctx.config.hls.dir);
  ctx.app.options('/hls/*path', (_req, res) => {
    setCors(res);
    res.set('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS').status(204).end();
  });
  ctx.app.get('/hls/*path', (req, res, next) => {
    server.handle(req, res).catch(next);
  });
  log.info({ dir: path.resolve(ctx.config.hls.dir) }, 'serving HLS under /hls/');
  return { name: 'hls', close: () => server.close() };
}

const ATTR = (name: string): RegExp => new RegExp(`(?:^|,)${name}=("([^"]*)"|[^,]*)`);

/** Scans the few tags blocking reload needs (RFC 8216bis §4.4.3.2, §4.4.3.7, §4.4.3.8, §4.4.4.9, §4.4.5.3). */
function positionOf(text: string): PlaylistPosition | undefined {
  if (!text.startsWith('#EXTM3U')) return undefined;
  let mediaSequence = 0;
  let segments = 0;
  let openParts = 0;
  let targetDuration: number | undefined;
  let partTarget: number | undefined;
  let canBlockReload = false;
  let preloadHint: string | undefined;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    const tag = colon < 0 ? line.trim() : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).trim();
    switch (tag) {
      case '#EXT-X-MEDIA-SEQUENCE':
        mediaSequence = Number(value);
        break;
      case '#EXT-X-TARGETDURATION':
        targetDuration = Number(value);
        break;
      case '#EXT-X-PART-INF':
        partTarget = Number(ATTR('PART-TARGET').exec(value)?.[1]);
        break;
      case '#EXT-X-SERVER-CONTROL':
        canBlockReload = ATTR('CAN-BLOCK-RELOAD').exec(value)?.[1] === 'YES';
        break;
      case '#EXTINF':
        segments++;
        openParts = 0;
        break;
      case '#EXT-X-PART':
        openParts++;
        break;
      case '#EXT-X-PRELOAD-HINT': {
        const m = ATTR('URI').exec(value);
        if (ATTR('TYPE').exec(value)?.[1] === 'PART') preloadHint = m?.[2] ?? m?.[1];
        break;
      }
    }
  }
  if (targetDuration === undefined || !Number.isFinite(targetDuration) || !Number.isFinite(mediaSequence)) return undefined;
  return { nextMsn: mediaSequence + segments, openParts, targetDuration, partTarget: Number.isFinite(partTarget) ? partTarget : undefined, canBlockReload, preloadHint };
}
