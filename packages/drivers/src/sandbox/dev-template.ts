/**
 * The skeleton of a sandbox VM's /dev, made once per host: the usual character devices,
 * the /proc/self/fd links, mount points for pts and shm, a console placeholder. Each VM
 * copies it onto its own tmpfs with one `cp -a` instead of a dozen mknod/ln/mount calls.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../util/exec.ts';
import { sandboxStateRoot } from './paths.ts';

const NODES: [name: string, major: number, minor: number][] = [
  ['null', 1, 3], ['zero', 1, 5], ['full', 1, 7], ['random', 1, 8], ['urandom', 1, 9], ['tty', 5, 0],
];

/** Path of the template (under the state dir, so cleanup removes it with everything else). */
export function devTemplateDir(): string {
  return join(sandboxStateRoot(), '.dev-template');
}

/** Creates the template if missing; safe when several processes race (build aside, rename). */
export async function ensureDevTemplate(): Promise<string> {
  const dir = devTemplateDir();
  // The rename below is atomic, so a template that exists is complete.
  if (existsSync(join(dir, 'console'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const script = [
    `mkdir -p '${tmp}/pts' '${tmp}/shm'`,
    `cd '${tmp}'`,
    ...NODES.map(([n, ma, mi]) => `mknod -m 666 ${n} c ${ma} ${mi}`),
    'ln -s pts/ptmx ptmx', 'ln -s /proc/self/fd fd', 'ln -s /proc/self/fd/0 stdin', 'ln -s /proc/self/fd/1 stdout', 'ln -s /proc/self/fd/2 stderr',
    ': > console',
  ].join(' && ');
  await run('sh', ['-c', script], { errorCode: 'DRIVER_UNAVAILABLE' });
  try {
    renameSync(tmp, dir);
  } catch {
    // Another process installed it first.
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}
