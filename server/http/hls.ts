import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Request, Response } from 'express';
import { streamPathSchema } from '../../protocol/control/messages.js';
import { parseMediaPlaylist } from '../../protocol/hls/playlist-parser.js';
import type { MediaPlaylist } from '../../protocol/hls/playlist.js';
import { blockingReloadState, parseHlsQuery, type HlsQuery } from '../../protocol/hls/query.js';
import { logger } from '../lib/logger.js';
import type { ServerContext, Subsystem } from '../server.js';
import { watchPageRoutes } from './routes/watch-page.js';

const log = logger.child({ mod: 'hls-http' });

/**
 * HLS serving (RFC 8216, draft-pantos-hls-rfc8216bis-17): the files the gateway's packager
 * writes under `hls.dir`, served under `/hls/<stream path>/<file>`.
 *
 * LL-HLS for players that ask, plain HLS for those that don't: `index.m3u8` is the LL-HLS
 * playlist (EXT-X-PART, EXT-X-PRELOAD-HINT, EXT-X-SERVER-CONTROL). A player that does not know
 * those tags ignores them (RFC 8216 §6.3.1: clients "MUST ignore any unrecognized
 * tags") and plays the full segments in the same playlist, so ffplay, ffprobe and
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
/** Playlists change with every part: a cache must revalidate each time. */
const PLAYLIST_CACHE = 'no-cache';
/**
 * Poll interval behind fs.watch: inotify can miss a rename on some filesystems (overlay,
 * NFS), and a stream's directory may not exist yet when a player asks. 100 ms is under half
 * of the smallest useful part (≈ 200 ms), so a missed event costs at most that much latency.
 */
export const POLL_INTERVAL_MS = 100;
/**
 * A blocked request is held at most this many Target Durations (RFC 8216bis §6.2.5.2: a
 * server SHOULD answer 503 when the part or segment did not appear within three).
 */
export const BLOCK_TARGET_DURATIONS = 3;
/** Held requests per server: each holds a socket and a timer; beyond this, answer 503 at once. */
export const MAX_BLOCKED_REQUESTS = 5_000;

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

/**
 * The Advance Part Limit (RFC 8216bis §6.2.5.2): an `_HLS_part` more than this many parts past
 * the last one in the playlist is answered with 400 at once: 3 / PART-TARGET parts when the
 * part target is under a second, else 3 (about three seconds of parts either way).
 */
export function partTooFarAhead(pl: MediaPlaylist, msn: number, part: number | undefined): boolean {
  if (part === undefined || pl.partTarget === undefined) return false;
  if (msn !== pl.mediaSequence + pl.segments.length) return false;
  const limit = pl.partTarget < 1 ? Math.floor(3 / pl.partTarget) : 3;
  return part - ((pl.pendingParts?.length ?? 0) - 1) > limit;
}

/** Parses a playlist file's text; undefined when it is not a media playlist. */
function parsePlaylist(text: string): MediaPlaylist | undefined {
  try {
    return parseMediaPlaylist(text);
  } catch {
    return undefined;
  }
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
    let query: HlsQuery;
    try {
      query = parseHlsQuery(new URL(req.originalUrl, 'http://localhost').searchParams);
    } catch (err) {
      res.status(400).type('text/plain').send(`${(err as Error).message}\n`);
      return;
    }
    const text = await readText(target.file);
    if (text === undefined) {
      res.status(404).type('text/plain').send('stream not found\n');
      return;
    }
    const { msn, part } = query;
    const pl = msn === undefined ? undefined : parsePlaylist(text);
    // No directives, or a playlist without CAN-BLOCK-RELOAD (MPEG-TS mode): answer at once
    // (a server that does not block ignores them, §6.2.5.2).
    if (msn === undefined || !pl?.serverControl?.canBlockReload) {
      sendPlaylist(res, text);
      return;
    }
    const state = blockingReloadState(pl, msn, part);
    if (state === 'too-far' || partTooFarAhead(pl, msn, part)) {
      res.status(400).type('text/plain').send('_HLS_msn/_HLS_part too far ahead of the playlist\n');
      return;
    }
    if (state === 'ready') {
      sendPlaylist(res, text);
      return;
    }
    const timeoutMs = BLOCK_TARGET_DURATIONS * pl.targetDuration * 1000;
    const ready = await this.#waitFor(res, target.dir, timeoutMs, async () => {
      const now = await readText(target.file);
      const p = now === undefined ? undefined : parsePlaylist(now);
      return p && blockingReloadState(p, msn, part) === 'ready' ? now : undefined;
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
      const pl = text === undefined ? undefined : parsePlaylist(text);
      if (!pl || pl.preloadHint?.type !== 'PART' || pl.preloadHint.uri !== target.name) {
        res.status(404).type('text/plain').send('not found\n');
        return;
      }
      const found = await this.#waitFor(res, target.dir, BLOCK_TARGET_DURATIONS * pl.targetDuration * 1000, async () =>
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
  #waitFor<T>(res: Response, dir: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T | undefined> {
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
        res.off('close', cancel);
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
      // The response's 'close' fires when the client goes away (or the response ends).
      res.once('close', cancel);
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

/**
 * Mounts `/hls/*` (RFC 8216 serving with LL-HLS blocking reload) from `config.hls.dir`, and
 * the watch page `/watch/*` that plays it.
 */
export function mountHls(ctx: ServerContext): Subsystem {
  const server = new HlsServer(ctx.config.hls.dir);
  ctx.app.options('/hls/*path', (_req, res) => {
    setCors(res);
    res.set('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS').status(204).end();
  });
  ctx.app.get('/hls/*path', (req, res, next) => {
    server.handle(req, res).catch(next);
  });
  ctx.app.use(watchPageRoutes());
  log.info({ dir: path.resolve(ctx.config.hls.dir) }, 'serving HLS under /hls/');
  return { name: 'hls', close: () => server.close() };
}

