/** Mount points, read from the kernel's own record of this process's mount namespace. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points at or under any of `prefixes`, deepest first so nested mounts come off before their parents. */
export function mountsUnder(prefixes: string[]): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((p): p is string => !!p).map(unescapeMountPath);
  return points.filter((p) => prefixes.some((x) => p === x || p.startsWith(`${x}/`))).sort((a, b) => b.length - a.length);
}

/**
 * Unmounts everything at or under `dir` (lazily when busy). A build killed half-way leaves what it
 * mounted inside its scratch root (debootstrap mounts the host's /proc and /sys there), and a
 * recursive remove of that root would walk into the host's own trees.
 */
export function unmountUnderSync(dir: string): void {
  for (const m of mountsUnder([dir])) {
    try {
      execFileSync('umount', [m], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    }
  }
  const left = mountsUnder([dir]);
  if (left.length > 0) throw new Error(`still mounted under ${dir}: ${left.join(', ')}`);
}
