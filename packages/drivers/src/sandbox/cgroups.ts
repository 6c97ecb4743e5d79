/**
 * cgroup v1 limits for one sandbox VM (this host has v1 memory/cpu/pids; the v2 mount is empty).
 * Each VM gets `pudu-vmN` under the caller's own cgroup in each hierarchy: nesting under
 * our own memory cgroup keeps VMs inside whatever limit the host put on Pudu itself.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PuduError } from '@pudu/schema';
import { chownToVmRoot } from './userns.ts';

const CGROUP_ROOT = '/sys/fs/cgroup';
/**
 * Hierarchies a VM gets a cgroup in; cpuacct lets lxcfs show the VM's own /proc/stat; `systemd`
 * is the name=systemd one its PID 1 manages; `devices` holds its device allow-list.
 */
const REQUIRED_HIERARCHIES = ['memory', 'cpu', 'cpuacct', 'pids', 'systemd', 'devices'] as const;
/**
 * Joined too when mounted, though no limit is set there: the VM's systemd mounts every
 * hierarchy itself and creates its units' cgroups under its namespace root, which would
 * otherwise be the host's own root (system.slice/nginx.service in the host's devices tree).
 */
const OPTIONAL_HIERARCHIES = ['blkio', 'freezer', 'unified'] as const;
/**
 * Files of a VM's cgroup its root may write, so its systemd can make and fill sub-cgroups
 * (a delegated subtree, as LXC and nspawn do). The limit files stay the host's: a VM's root
 * cannot raise its own memory, CPU, pids or device limits, and limits are hierarchical.
 */
const DELEGATED_FILES = ['cgroup.procs', 'tasks', 'cgroup.clone_children', 'notify_on_release', 'cgroup.threads', 'cgroup.subtree_control'];
export const VM_CGROUP_HIERARCHIES = [...REQUIRED_HIERARCHIES, ...OPTIONAL_HIERARCHIES] as const;
export type Hierarchy = (typeof VM_CGROUP_HIERARCHIES)[number];
const CPU_PERIOD_US = 100_000;

export interface CgroupLimits {
  memMb: number;
  vcpus: number;
  pidsMax: number;
}

function ownPath(h: Hierarchy): string {
  // unified is cgroup v2: its line in /proc/self/cgroup is `0::/path`.
  const key = h === 'systemd' ? 'name=systemd' : h === 'unified' ? '' : h;
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, ctrls, path] = line.split(':');
    if (ctrls?.split(',').includes(key)) return path ?? '/';
  }
  return '/';
}

/** Directory of VM `name`'s cgroup in hierarchy h. */
export function vmCgroupDir(h: Hierarchy, name: string): string {
  return join(CGROUP_ROOT, h, ownPath(h), name);
}

/** Creates the VM's cgroups and writes its limits; returns the cgroup.procs files a launcher must join. */
export function createVmCgroups(name: string, limits: CgroupLimits): string[] {
  const procs: string[] = [];
  for (const h of VM_CGROUP_HIERARCHIES) {
    const dir = vmCgroupDir(h, name);
    if (!existsSync(join(CGROUP_ROOT, h, 'cgroup.procs'))) {
      if ((OPTIONAL_HIERARCHIES as readonly string[]).includes(h)) continue;
      throw new PuduError('DRIVER_UNAVAILABLE', `cgroup v1 hierarchy ${h} is not mounted at ${CGROUP_ROOT}/${h}`);
    }
    mkdirSync(dir, { recursive: true });
    chownToVmRoot(dir);
    for (const f of DELEGATED_FILES) if (existsSync(join(dir, f))) chownToVmRoot(join(dir, f));
    procs.push(join(dir, 'cgroup.procs'));
  }
  const mem = vmCgroupDir('memory', name);
  writeFileSync(join(mem, 'memory.limit_in_bytes'), String(limits.memMb * 1024 * 1024));
  const cpu = vmCgroupDir('cpu', name);
  writeFileSync(join(cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
  writeFileSync(join(cpu, 'cpu.cfs_quota_us'), String(Math.round(limits.vcpus * CPU_PERIOD_US)));
  writeFileSync(join(vmCgroupDir('pids', name), 'pids.max'), String(limits.pidsMax));
  return procs;
}

/** PIDs in a cgroup directory and all its descendants. */
export function cgroupPids(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string): void => {
    let text = '';
    try {
      text = readFileSync(join(d, 'cgroup.procs'), 'utf8');
    } catch {
      return;
    }
    for (const l of text.split('\n')) if (l) out.push(Number(l));
    for (const e of safeReaddir(d)) {
      const p = join(d, e);
      if (isDir(p)) walk(p);
    }
  };
  walk(dir);
  return out;
}

function safeReaddir(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Removes a cgroup directory tree deepest-first (systemd creates sub-cgroups). The cgroups must be empty. */
export function removeCgroupTree(dir: string): void {
  if (!isDir(dir)) return;
  for (const e of safeReaddir(dir)) {
    const p = join(dir, e);
    if (isDir(p)) removeCgroupTree(p);
  }
  try {
    rmdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** Every `pudu*` cgroup directory in every hierarchy, wherever it is nested (for cleanup). */
export function findPuduCgroups(maxDepth = 4): string[] {
  const found: string[] = [];
  const walk = (d: string, depth: number): void => {
    for (const e of safeReaddir(d)) {
      const p = join(d, e);
      if (!isDir(p)) continue;
      if (e.startsWith('pudu')) found.push(p);
      else if (depth < maxDepth) walk(p, depth + 1);
    }
  };
  for (const h of safeReaddir(CGROUP_ROOT)) walk(join(CGROUP_ROOT, h), 1);
  return found;
}
