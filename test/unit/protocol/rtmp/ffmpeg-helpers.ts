/**
 * Helpers for the tests that drive real ffmpeg/ffprobe: bounded child processes that are
 * always killed, and a small H.264 + AAC FLV made by ffmpeg into a temp dir.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with a hard time limit (SIGKILL after `timeoutMs`). */
export function run(cmd: string, args: string[], timeoutMs: number): { done: Promise<RunResult>; kill: () => void } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const timer = setTimeout(kill, timeoutMs);
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { done, kill };
}

/** A temp dir removed by the returned cleanup. */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Test source: 320x240 testsrc at 25 fps, GOP 25, with a sine in AAC. */
export const TESTSRC_ARGS = [
  '-hide_banner', '-loglevel', 'error',
  '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25',
  '-f', 'lavfi', '-i', 'sine',
] as const;
export const ENCODE_ARGS = ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac'] as const;

/** Writes `seconds` of testsrc H.264 (+ B-frames when `bframes`) and AAC as an FLV file. */
export async function makeFlv(path: string, seconds: number, opts: { bframes?: boolean } = {}): Promise<void> {
  const args = [
    ...TESTSRC_ARGS, '-t', String(seconds), ...ENCODE_ARGS,
    ...(opts.bframes ? ['-bf', '2', '-x264-params', 'b-adapt=0'] : []),
    '-f', 'flv', '-y', path,
  ];
  const r = await run('ffmpeg', args, 60_000).done;
  if (r.code !== 0) throw new Error(`ffmpeg failed (${r.code}): ${r.stderr}`);
}
