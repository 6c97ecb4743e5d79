/** Builds the UI bundle for the tests with scripts/build-web.mjs (an untyped .mjs module). */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

interface BuildWebModule {
  buildWeb(options?: { outDir?: string; minify?: boolean }): Promise<string>;
}

const BUILD_WEB = join(process.cwd(), 'scripts', 'build-web.mjs');
let built: Promise<string> | null = null;

/**
 * Bundles packages/web once per test process into its own temporary directory (test files
 * run in parallel; none may read a bundle another is writing), removed when the process exits.
 */
export function buildWebForTests(): Promise<string> {
  built ??= (async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'pudu-web-bundle-'));
    process.once('exit', () => rmSync(outDir, { recursive: true, force: true }));
    const mod = (await import(BUILD_WEB)) as BuildWebModule;
    return mod.buildWeb({ outDir });
  })();
  return built;
}

/** The bundle's output files (relative to `webDir`) whose source map lists a source containing `part`. */
export function filesWithSource(webDir: string, part: string): string[] {
  const maps = [join(webDir, 'app.js.map'), ...readdirSync(join(webDir, 'chunks')).filter((f) => f.endsWith('.js.map')).map((f) => join(webDir, 'chunks', f))];
  return maps
    .filter((m) => (JSON.parse(readFileSync(m, 'utf8')) as { sources: string[] }).sources.some((s) => s.includes(part)))
    .map((m) => relative(webDir, m).replace(/\.map$/, ''));
}
