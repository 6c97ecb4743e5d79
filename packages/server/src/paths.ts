/** Where the server keeps state and finds its library and UI by default. */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `/var/lib/pudu` as root, else `~/.local/share/pudu`; `$PUDU_DATA_DIR` wins. */
export function defaultDataDir(): string {
  if (process.env.PUDU_DATA_DIR) return process.env.PUDU_DATA_DIR;
  return process.getuid?.() === 0 ? '/var/lib/pudu' : join(homedir(), '.local', 'share', 'pudu');
}

/** The checkout (or install) root: the first directory up from here that has `scenarios/`. */
export function findInstallRoot(): string {
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    let dir = resolve(start);
    for (let i = 0; i < 8; i++) {
      if (existsSync(join(dir, 'scenarios')) && existsSync(join(dir, 'package.json'))) return dir;
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return process.cwd();
}
