/** Builds the UI bundle for the tests with scripts/build-web.mjs (an untyped .mjs module). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
