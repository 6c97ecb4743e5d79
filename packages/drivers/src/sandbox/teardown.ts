/**
 * Removing one sandbox VM's host objects by index — used by destroy, by reconcile after
 * a crash, and by cleanup. Order matters: processes first (SIGKILL to everything in the
 * VM's cgroups; killing its PID 1 takes the whole PID namespace), then the now-empty
 * cgroups deepest-first, the netns (which takes the veth pair), loop devices, state dir.
 */
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { PuduError } from '@pudu/schema';
import { hostNamesForIndex } from '../network/addressing.ts';
import { removeVethNetwork } from '../network/veth.ts';
import { run } from '../util/exec.ts';
import { VM_CGROUP_HIERARCHIES, cgroupPids, removeCgroupTree, vmCgroupDir } from './cgroups.ts';
import { vmPaths } from './paths.ts';

const KILL_WAIT_MS = 5000;
const POLL_MS = 5;

/** SIGKILLs every process in the given cgroup dirs until they are empty. */
export async function killCgroupProcesses(dirs: string[]): Promise<number> {
  const deadline = Date.now() + KILL_WAIT_MS;
  const killed = new Set<number>();
  for (;;) {
    const pids = [...new Set(dirs.flatMap((d) => cgroupPids(d)))];
    if (pids.length === 0) return killed.size;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch { /* already gone */ }
    }
    if (Date.now() > deadline) throw new PuduError('INTERNAL', `processes ${pids.join(',')} survived SIGKILL for ${KILL_WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Detaches loop devices whose backing file is `file` (normally autoclear already did it). */
export async function detachLoops(file: string): Promise<number> {
  const { stdout } = await run('losetup', ['-n', '-O', 'NAME', '-j', file], { allowFail: true });
  const devs = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  for (const d of devs) await run('losetup', ['-d', d], { allowFail: true });
  return devs.length;
}

/** Removes every host object of sandbox VM index N. Idempotent. */
export async function removeSandboxVm(index: number): Promise<void> {
  const names = hostNamesForIndex(index);
  const p = vmPaths(names.netns);
  const dirs = new Set(VM_CGROUP_HIERARCHIES.map((h) => vmCgroupDir(h, names.netns)));
  try {
    // The owner may have sat in another cgroup than we do: use the dirs it recorded.
    const meta = JSON.parse(readFileSync(p.meta, 'utf8')) as { cgroupProcs?: string[] };
    for (const f of meta.cgroupProcs ?? []) dirs.add(dirname(f));
  } catch { /* no record: the computed dirs are all we know */ }
  await killCgroupProcesses([...dirs]);
  for (const d of dirs) removeCgroupTree(d);
  await removeVethNetwork(index);
  await detachLoops(p.disk);
  rmSync(p.dir, { recursive: true, force: true });
}
