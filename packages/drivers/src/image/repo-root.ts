/** Locates the Pudu checkout (for ./pudu-agent and the app-server sources). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

function isPuduRoot(dir: string): boolean {
  const pkg = join(dir, 'package.json');
  if (!existsSync(pkg)) return false;
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'pudu';
  } catch {
    return false;
  }
}

/** The checkout containing the running ./pudu (or the working directory); undefined when neither is inside one. */
export function findRepoRoot(): string | undefined {
  const starts = [process.argv[1] ? dirname(resolve(process.argv[1])) : undefined, process.cwd()];
  for (const start of starts) {
    if (!start) continue;
    for (let dir = start; ; dir = dirname(dir)) {
      if (isPuduRoot(dir)) return dir;
      if (dirname(dir) === dir) break;
    }
  }
  return undefined;
}
