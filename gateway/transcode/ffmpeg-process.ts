import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { Backoff } from './backoff.js';

/**
 * Most bytes queued on a child's stdin. Beyond this the child is behind (CPU starved): the
 * caller's `write` returns false and the caller drops input up to its next keyframe, so a
 * slow child costs frames, never memory.
 */
export const FFMPEG_STDIN_MAX_BYTES = 4 * 1024 * 1024;
/** Last stderr bytes kept for the death log line. */
const STDERR_TAIL_BYTES = 2048;

export interface FfmpegProcessOptions {
  /** ffmpeg arguments after the binary (input from pipe:0, output to pipe:1). */
  args: readonly string[];
  log: Logger;
  /** Output bytes from stdout. */
  onData(chunk: Buffer): void;
  /** A new child started (first start and every restart): reset parsers and send headers with `process.write`. */
  onStart(process: FfmpegProcess): void;
  backoff?: Backoff;
}

/**
 * One supervised ffmpeg child (ARCHITECTURE.md: ffmpeg only where a codec must change): stdin
 * in, stdout out. A child that dies is restarted with exponential backoff, its death logged
 * once and counted; input written meanwhile is dropped. `close()` kills it and stops restarts.
 */
export class FfmpegProcess {
  readonly #options: FfmpegProcessOptions;
  readonly #backoff: Backoff;
  #child: ChildProcess | null = null;
  #startedAt = 0;
  #restartTimer: NodeJS.Timeout | null = null;
  #closed = false;
  #deaths = 0;
  #restarts = 0;
  #stderr = '';

  constructor(options: FfmpegProcessOptions) {
    this.#options = options;
    this.#backoff = options.backoff ?? new Backoff();
    this.#spawn();
  }

  /** The running child's pid (undefined between a death and its restart). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get deaths(): number {
    return this.#deaths;
  }

  get restarts(): number {
    return this.#restarts;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  /** Writes input; false (and nothing written) when no child runs or its stdin is full. */
  write(data: Uint8Array): boolean {
    const stdin = this.#child?.stdin;
    if (!stdin || stdin.destroyed || !stdin.writable) return false;
    if (stdin.writableLength + data.byteLength > FFMPEG_STDIN_MAX_BYTES) return false;
    stdin.write(data);
    return true;
  }

  /** Kills the child and cancels a pending restart. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    const child = this.#child;
    this.#child = null;
    if (child) {
      child.stdin?.destroy();
      child.stdout?.destroy();
      child.kill('SIGKILL');
    }
  }

  #spawn(): void {
    this.#stderr = '';
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...this.#options.args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    this.#startedAt = Date.now();
    child.stdin.on('error', () => {}); // EPIPE when the child dies: reported by 'exit'
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.#child === child) this.#options.onData(chunk);
    });
    child.stderr.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-STDERR_TAIL_BYTES);
    });
    child.once('error', (err) => this.#options.log.error({ err }, 'ffmpeg could not start'));
    child.once('close', (code, signal) => this.#died(child, code, signal));
    this.#options.onStart(this);
  }

  #died(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child !== child || this.#closed) return;
    this.#child = null;
    this.#deaths++;
    const uptimeMs = Date.now() - this.#startedAt;
    const delay = this.#backoff.next(uptimeMs);
    this.#options.log.warn({ pid: child.pid, code, signal, uptimeMs, deaths: this.#deaths, restartInMs: delay, stderr: this.#stderr.trim().slice(-500) }, 'ffmpeg child died');
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (this.#closed) return;
      this.#restarts++;
      this.#spawn();
    }, delay);
  }
}
