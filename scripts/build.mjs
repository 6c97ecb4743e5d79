// Bundles the three executables the seed promises at the repository root.
// Native modules stay external: they are loaded from node_modules next to ./pudu.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, existsSync } from 'node:fs';

const only = process.argv[2];
const NODE_BANNER = '#!/usr/bin/env node\nimport { createRequire as __pudu_cr } from "node:module"; const require = __pudu_cr(import.meta.url);';

const targets = {
  puduc: { entry: 'packages/cli/src/main.ts', out: 'puduc/puduc', external: [] },
  pudu: { entry: 'packages/server/src/main.ts', out: 'pudu', external: ['better-sqlite3', 'ssh2', 'pg', 'pg-native', 'cpu-features'] },
  'pudu-agent': { entry: 'packages/agent/src/main.ts', out: 'pudu-agent', external: [] },
};

const names = only === 'web' ? [] : only ? [only] : Object.keys(targets);
for (const name of names) {
  const t = targets[name];
  if (!t) throw new Error(`unknown build target ${name}`);
  if (!existsSync(t.entry)) {
    console.log(`skip ${name}: ${t.entry} does not exist yet`);
    continue;
  }
  mkdirSync(t.out.includes('/') ? t.out.slice(0, t.out.lastIndexOf('/')) : '.', { recursive: true });
  const started = Date.now();
  await build({
    entryPoints: [t.entry],
    outfile: t.out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: t.external,
    banner: { js: NODE_BANNER },
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  chmodSync(t.out, 0o755);
  console.log(`built ./${t.out} in ${Date.now() - started} ms`);
}

if (!only || only === 'web') {
  const { buildWeb } = await import('./build-web.mjs').catch(() => ({ buildWeb: null }));
  if (buildWeb) await buildWeb();
}
