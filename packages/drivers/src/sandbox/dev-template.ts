/**
 * The skeleton of a sandbox VM's /dev, made once per host: the usual character devices,
 * the /proc/self/fd links, mount points for pts and shm, a console placeholder, all owned
 * by the VM's root. Each VM copies it onto its own tmpfs with one `cp -a` instead of a
 * dozen mknod/ln/mount calls (a VM cannot mknod: its root lives in a user namespace).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../util/exec.ts';
import { sandboxStateRoot } from './paths.ts';
import { VM_ID_BASE } from './userns.ts';

const NODES: [name: string, major: number, minor: number][] = [
  ['null', 1, 3], ['zero', 1, 5], ['full', 1, 7], ['random', 1, 8], ['urandom', 1, 9], ['tty', 5, 0],
];

/** Path of the template (under the state dir, so cleanup removes it with everything else; the owner is in the name). */
export function devTemplateDir(): string {
  return join(sandboxStateRoot(), `.dev-template-${VM_ID_BASE}`);
}

let building: Promise<string> | undefined;

/**
 * Creates the template if missing. Safe when fleets start in parallel in one process (one
 * build, shared) and across processes (each builds in its own directory, then renames).
 */
export function ensureDevTemplate(): Promise<string> {
  const dir = devTemplateDir();
  // The rename below is atomic, so a template that exists is complete.
  if (existsSync(join(dir, 'console'))) return Promise.resolve(dir);
  building ??= build(dir).finally(() => { building = undefined; });
  return building;
}

async function build(dir: string): Promise<string> {
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const script = [
    `mkdir -p '${tmp}/pts' '${tmp}/shm'`,
    `cd '${tmp}'`,
    ...NODES.map(([n, ma, mi]) => `mknod -m 666 ${n} c ${ma} ${mi}`),
    'ln -s pts/ptmx ptmx', 'ln -s /proc/self/fd fd', 'ln -s /proc/self/fd/0 stdin', 'ln -s /proc/self/fd/1 stdout', 'ln -s /proc/self/fd/2 stderr',
    ': > console',
    `chown -hR ${VM_ID_BASE}:${VM_ID_BASE} .`,
  ].join(' && ');
  try {
    await run('sh', ['-c', script], { errorCode: 'DRIVER_UNAVAILABLE' });
    try {
      renameSync(tmp, dir);
    } catch {
      // Another process installed it first (rename onto a non-empty directory fails).
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}
