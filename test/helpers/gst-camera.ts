/** Starts test/helpers/gst-rtsp-camera.py (GStreamer's gst-rtsp-server) and waits until it listens. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./gst-rtsp-camera.py', import.meta.url));
/** Debian's python3 (python3-gi lives there, not in a pyenv interpreter). */
const PYTHON = '/usr/bin/python3';

export async function startGstCamera(port: number, options: { digest?: boolean } = {}): Promise<ChildProcess> {
  const child = spawn(PYTHON, [SCRIPT, String(port), ...(options.digest ? ['--digest'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gst camera did not start: ${out}`)), 15_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gst camera exited with ${code}: ${out}`));
    });
  });
  return child;
}
