/**
 * lxcfs gives each sandbox VM its own /proc/meminfo, cpuinfo, stat, loadavg…, so that
 * `free` and `top` inside a VM show its cgroup limits instead of the host's 24 GiB.
 * lxcfs answers per reader: it looks up the reader's PID-namespace init and its cgroups.
 * Every VM runs its own instance inside the VM's time namespace (init-script.ts), so the
 * boot time in its /proc/stat agrees with the VM's uptime. (Earlier versions shared one
 * instance at lxcfsMountPoint(); cleanup still removes it.)
 */
import { readFileSync, readdirSync } from 'node:fs';
import { lxcfsMountPoint } from './paths.ts';
import { run } from '../util/exec.ts';

export const LXCFS_BIN = '/usr/bin/lxcfs';

/**
 * /proc files lxcfs virtualises; the sandbox bind-mounts each over the VM's own. Not
 * `uptime`: lxcfs counts it from the VM's init, i.e. from the sandbox start, while the
 * kernel's own /proc/uptime follows the VM's time namespace.
 */
export const LXCFS_PROC_FILES = ['meminfo', 'cpuinfo', 'stat', 'loadavg', 'diskstats', 'swaps'] as const;

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
