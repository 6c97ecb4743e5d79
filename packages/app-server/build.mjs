// Bundles the app-server (with pg) into one ESM file for the guest image.
// Usage: node packages/app-server/build.mjs [outfile]   (default dist/app-server.mjs)
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const outfile = resolve(process.argv[2] ?? join(here, '..', '..', 'dist', 'app-server.mjs'));
await build({
  entryPoints: [join(here, 'src', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'esm',
  // pg's optional native binding is never installed in the guest.
  external: ['pg-native'],
  banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
  legalComments: 'none',
  logLevel: 'warning',
});
console.log(outfile);
