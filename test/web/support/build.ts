/** Builds the UI bundle for the tests with scripts/build-web.mjs (an untyped .mjs module). */
import { join } from 'node:path';

interface BuildWebModule {
  buildWeb(options?: { outDir?: string; minify?: boolean }): Promise<string>;
}

const BUILD_WEB = join(process.cwd(), 'scripts', 'build-web.mjs');

/** Bundles packages/web into dist/web-test (kept apart from the dist/web that ./pudu serves). */
export async function buildWebForTests(): Promise<string> {
  const mod = (await import(BUILD_WEB)) as BuildWebModule;
  return mod.buildWeb({ outDir: join(process.cwd(), 'dist', 'web-test') });
}
