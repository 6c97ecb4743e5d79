/**
 * One lxcfs instance shared by all sandbox VMs, mounted at a Pudu-owned path, so that
 * `free`, `top`, `uptime` inside a VM show its cgroup limits instead of the host's 24 GiB.
 * lxcfs answers per reader: it looks up the reader's PID-namespace init and its cgroups.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PuduError } from '@pudu/schema';
import { lxcfsMountPoint } from './paths.ts';
import { run } from '../util/exec.ts';

const LXCFS_START_TIMEOUT_MS = 5000;
const POLL_MS = 20;

/** /proc files lxcfs virtualises; the sandbox bind-mounts each over the VM's own. */
export const LXCFS_PROC_FILES = ['meminfo', 'cpuinfo', 'stat', 'uptime', 'loadavg', 'diskstats', 'swaps'] as const;

/** True when `path` is a fuse.lxcfs mount point. */
export function isLxcfsMounted(path = lxcfsMountPoint()): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => {
    const f = l.split(' ');
    return f[4] === path && l.includes(' - fuse.lxcfs ');
  });
}

/** Mounted and answering: an lxcfs that died leaves its mount listed but every access fails (ENOTCONN). */
const isLxcfsServing = (mnt: string): boolean => isLxcfsMounted(mnt) && existsSync(join(mnt, 'proc', 'meminfo'));

let starting: Promise<string> | undefined;

/** Starts Pudu's lxcfs unless it is already mounted; resolves with the mount point. Safe to call concurrently. */
export function ensureLxcfs(): Promise<string> {
  const mnt = lxcfsMountPoint();
  if (isLxcfsServing(mnt)) return Promise.resolve(mnt);
  starting ??= startLxcfs(mnt).finally(() => { starting = undefined; });
  return starting;
}

async function startLxcfs(mnt: string): Promise<string> {
  if (!existsSync('/usr/bin/lxcfs')) throw new PuduError('DRIVER_UNAVAILABLE', 'lxcfs not found: apt-get install lxcfs (the sandbox needs it so free/top show the VM limits)');
  // A previous lxcfs that died leaves a dead FUSE mount ("Transport endpoint is not connected"):
  // unmount it before anything touches the path (mkdir on it fails with ENOTCONN).
  await run('umount', ['-l', mnt], { allowFail: true });
  mkdirSync(mnt, { recursive: true });
  // Its own pidfile: the default /run/lxcfs.pid belongs to a host lxcfs if there is one.
  // Another process may have won the race between our check and now: lxcfs refuses a busy mount point, which is fine.
  const child = spawn('/usr/bin/lxcfs', ['--enable-cfs', '--enable-loadavg', '--pidfile', `${mnt}.pid`, mnt], { detached: true, stdio: 'ignore' });
  child.unref();
  const deadline = Date.now() + LXCFS_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (isLxcfsServing(mnt)) return mnt;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new PuduError('DRIVER_UNAVAILABLE', `lxcfs did not mount ${mnt} within ${LXCFS_START_TIMEOUT_MS} ms`);
}

/** Stops the lxcfs serving `mnt` (Pudu's own; found by its command line) and unmounts it; returns what it stopped. */
export async function stopLxcfs(mnt = lxcfsMountPoint()): Promise<string[]> {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const argv = cmd.split('\0');
    if (argv[0]?.endsWith('lxcfs') && argv.includes(mnt)) {
      try {
        process.kill(Number(pid), 'SIGTERM');
        out.push(`lxcfs process ${pid}`);
      } catch { /* gone */ }
    }
  }
  await run('umount', ['-l', mnt], { allowFail: true });
  return out;
}
