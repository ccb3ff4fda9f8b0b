import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { pullParamsSchema, type PullParams, type PullState } from '../../protocol/control/messages.js';
import { ConflictError, NotFoundError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';

const log = logger.child({ mod: 'pulls' });

/** Most pulled sources on a node (config and API together). */
export const MAX_PULLED_SOURCES = 1_000;

/** The state file: the sources added through the API, so they survive a restart. */
const stateFileSchema = z.object({ version: z.literal(1), streams: z.array(pullParamsSchema).max(MAX_PULLED_SOURCES) });

/** One pulled source as the server keeps it. */
export interface PulledSource {
  params: PullParams;
  /** `config`: from `streams:` in the config file; `api`: added with POST (kept in the state file). */
  from: 'config' | 'api';
  state: PullState;
  error?: string;
  /** The worker slot that pulls it. */
  worker: number;
  since: number;
}

/** How the manager reaches workers (the supervisor). */
export interface PullWorkers {
  count: number;
  start(worker: number, params: PullParams): void;
  stop(worker: number, path: string, reason: string): void;
}

/**
 * The node's pulled sources (issue 7): from the config's `streams:` section and the API, each
 * assigned to a worker (the one with the fewest), started there with `pullStart` and started
 * again whenever that worker (re)starts. API-added sources are written to a small JSON state
 * file (atomically: temp file + rename) and read back at start. Holds each source's last
 * reported state for the API.
 */
export class PullManager {
  readonly #sources = new Map<string, PulledSource>();
  readonly #stateFile: string | null;
  #workers: PullWorkers | null = null;

  constructor(options: { config: Record<string, Omit<PullParams, 'path'>>; stateFile: string | null }) {
    this.#stateFile = options.stateFile;
    for (const [p, v] of Object.entries(options.config)) this.#put(pullParamsSchema.parse({ ...v, path: p }), 'config');
    for (const params of this.#load()) if (!this.#sources.has(params.path)) this.#put(params, 'api');
  }

  /** Connects the workers and starts every source on its worker. */
  attach(workers: PullWorkers): void {
    this.#workers = workers;
    for (const s of this.#sources.values()) {
      s.worker = this.#pickWorker(s.params.path);
      workers.start(s.worker, s.params);
    }
  }

  list(): PulledSource[] {
    return [...this.#sources.values()];
  }

  get(p: string): PulledSource | undefined {
    return this.#sources.get(p);
  }

  /** Adds a source (API); ConflictError when the path is already pulled. */
  add(params: PullParams): PulledSource {
    if (this.#sources.has(params.path)) throw new ConflictError(`stream ${params.path} is already pulled`);
    if (this.#sources.size >= MAX_PULLED_SOURCES) throw new ConflictError(`${MAX_PULLED_SOURCES} sources are pulled already`);
    const s = this.#put(params, 'api');
    this.#save();
    if (this.#workers) {
      s.worker = this.#pickWorker(params.path);
      this.#workers.start(s.worker, params);
    }
    return s;
  }

  /** Stops and forgets a source (a config one until the next start). NotFoundError when not pulled. */
  remove(p: string, reason: string): void {
    const s = this.#sources.get(p);
    if (!s) throw new NotFoundError(`stream ${p} is not pulled`);
    this.#sources.delete(p);
    this.#workers?.stop(s.worker, p, reason);
    if (s.from === 'api') this.#save();
  }

  /** A worker (re)started: its sources are started again there. */
  workerReady(worker: number): void {
    for (const s of this.#sources.values()) if (s.worker === worker) this.#workers?.start(worker, s.params);
  }

  /** A worker's `pullStatus`. */
  status(worker: number, p: string, state: PullState, error: string | undefined): void {
    const s = this.#sources.get(p);
    if (!s || s.worker !== worker) return;
    if (s.state !== state) s.since = Date.now();
    s.state = state;
    if (error !== undefined) s.error = error;
    else if (state === 'running') delete s.error;
  }

  #put(params: PullParams, from: 'config' | 'api'): PulledSource {
    const s: PulledSource = { params, from, state: 'connecting', worker: 0, since: Date.now() };
    this.#sources.set(params.path, s);
    return s;
  }

  #pickWorker(exclude: string): number {
    const counts = new Array<number>(this.#workers?.count ?? 1).fill(0);
    for (const s of this.#sources.values()) if (s.params.path !== exclude && s.worker < counts.length) counts[s.worker]!++;
    return counts.indexOf(Math.min(...counts));
  }

  #load(): PullParams[] {
    if (!this.#stateFile || !existsSync(this.#stateFile)) return [];
    try {
      return stateFileSchema.parse(JSON.parse(readFileSync(this.#stateFile, 'utf8'))).streams;
    } catch (err) {
      log.error({ err, file: this.#stateFile }, 'pulled streams state file unreadable: ignored');
      return [];
    }
  }

  #save(): void {
    if (!this.#stateFile) return;
    const streams = [...this.#sources.values()].filter((s) => s.from === 'api').map((s) => s.params);
    try {
      mkdirSync(path.dirname(this.#stateFile), { recursive: true });
      const tmp = `${this.#stateFile}.tmp`;
      writeFileSync(tmp, JSON.stringify({ version: 1, streams }, null, 2));
      renameSync(tmp, this.#stateFile);
    } catch (err) {
      log.error({ err, file: this.#stateFile }, 'could not write the pulled streams state file');
    }
  }
}
