// Bundles the browser UI into dist/web/ (index.html, app.js, app.css with xterm's CSS, and
// chunks/ for code loaded on demand: the replay player, ~1 MB with its WebAssembly, is
// fetched only when a result page replays a session). Everything is local: `pudu server` serves these files at `/`; the page loads nothing
// from any other host (its CSP says so, and test/web checks it).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(ROOT, 'dist', 'web');

/**
 * Bundles packages/web into dist/web. Returns the output directory.
 * @param {{ outDir?: string, minify?: boolean }} [options]
 */
export async function buildWeb(options = {}) {
  const outDir = options.outDir ?? OUT_DIR;
  const started = Date.now();
  mkdirSync(outDir, { recursive: true });
  // Chunk names carry a content hash: old ones would pile up.
  rmSync(join(outDir, 'chunks'), { recursive: true, force: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: { app: 'packages/web/src/main.ts' },
    outdir: outDir,
    bundle: true,
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    format: 'esm',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    minify: options.minify ?? true,
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
    loader: { '.css': 'css' },
  });
  const html = readFileSync(join(ROOT, 'packages/web/src/index.html'), 'utf8');
  writeFileSync(join(outDir, 'index.html'), html);
  const shown = relative(ROOT, outDir);
  console.log(`built ${shown.startsWith('..') ? outDir : shown} in ${Date.now() - started} ms`);
  return outDir;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWeb();
}
