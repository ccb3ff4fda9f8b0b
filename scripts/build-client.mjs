// Bundles the browser SDK pages (client/pages/*.ts) into client/dist with esbuild.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const pagesDir = path.join(root, 'client/pages');
const outdir = path.join(root, 'client/dist');
mkdirSync(outdir, { recursive: true });
const entryPoints = existsSync(pagesDir)
  ? readdirSync(pagesDir).filter((f) => f.endsWith('.ts')).map((f) => path.join(pagesDir, f))
  : [];
if (entryPoints.length) {
  await build({
    entryPoints,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    outdir,
    sourcemap: true,
    minify: true,
    logLevel: 'warning',
  });
}
for (const f of existsSync(pagesDir) ? readdirSync(pagesDir) : []) {
  if (/\.(html|css)$/.test(f)) cpSync(path.join(pagesDir, f), path.join(outdir, f));
}
console.log(`built ${entryPoints.length} page bundle(s) into client/dist`);
