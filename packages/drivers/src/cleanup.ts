/**
 * `./pudu cleanup`: removes every Pudu object on this host, whoever left it — a crashed
 * server, a SIGKILLed test, a driver of any kind. Objects are found by their `pudu`
 * name prefix and Pudu's state directories, never by guessing at other software's.
 * Order: processes, mounts, loop devices, cgroups, network namespaces and links,
 * iptables chains, lxcfs, state directories.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './util/exec.ts';
import { mountsUnder } from './util/mounts.ts';
import { findPuduCgroups, removeCgroupTree } from './sandbox/cgroups.ts';
import { killCgroupProcesses } from './sandbox/teardown.ts';
import { lxcfsMountPoint, sandboxStateRoot } from './sandbox/paths.ts';
import { stopLxcfs } from './sandbox/lxcfs.ts';
import { reconcileSandboxOrphans } from './sandbox/reconcile.ts';
import { removeAllPuduRules } from './network/firewall.ts';

export interface CleanupReport {
  /** One line per object removed, e.g. `netns pudu-vm3`. */
  removed: string[];
  /** Objects that could not be removed, with the reason. */
  errors: string[];
}

export interface CleanupOptions {
  /**
   * Remove only what dead owners left (dead VMs' leftovers, VMs of owners that exited),
   * leaving fleets of running servers and tests alone, and persistent VMs that wait for
   * their server to come back (see ownerId). Default false: remove everything.
   */
  orphansOnly?: boolean;
  /** With orphansOnly: also remove the persistent VMs of this owner id when its server is not running. */
  ownerId?: string;
  /** Where Pudu keeps per-VM state (default /var/lib/pudu); every pudu path below it is fair game. */
  stateDir?: string;
}

/** Extra cleaners other drivers register (e.g. qemu processes and TAPs); each returns what it removed. */
const extraCleaners: { name: string; clean: () => Promise<string[]> }[] = [];

/** Registers a cleaner run by cleanupHost (all mode). */
export function registerCleaner(name: string, clean: () => Promise<string[]>): void {
  if (!extraCleaners.some((c) => c.name === name)) extraCleaners.push({ name, clean });
}

async function step(report: CleanupReport, what: string, fn: () => Promise<string[] | void>): Promise<void> {
  try {
    const r = await fn();
    if (r) report.removed.push(...r);
  } catch (e) {
    report.errors.push(`${what}: ${(e as Error).message}`);
  }
}

/** Removes every Pudu object on the host (or only orphans); returns what it removed. */
export async function cleanupHost(opts: CleanupOptions = {}): Promise<CleanupReport> {
  const report: CleanupReport = { removed: [], errors: [] };
  if (opts.orphansOnly) {
    await step(report, 'reconcile', async () => reconcileSandboxOrphans({ ownerId: opts.ownerId }));
    return report;
  }
  const stateRoot = opts.stateDir ?? '/var/lib/pudu';
  await step(report, 'processes in pudu cgroups', async () => {
    const groups = findPuduCgroups();
    const n = await killCgroupProcesses(groups);
    return n ? [`${n} processes in pudu cgroups`] : [];
  });
  await step(report, 'processes in pudu netns', async () => {
    const out: string[] = [];
    for (const ns of listPuduNetns()) {
      const { stdout } = await run('ip', ['netns', 'pids', ns], { allowFail: true });
      for (const pid of stdout.split('\n').filter(Boolean).map(Number)) {
        try {
          process.kill(pid, 'SIGKILL');
          out.push(`process ${pid} in netns ${ns}`);
        } catch { /* gone */ }
      }
    }
    return out;
  });
  for (const c of extraCleaners) await step(report, c.name, c.clean);
  await step(report, 'mounts', async () => {
    const out: string[] = [];
    for (const m of mountsUnder([sandboxStateRoot(), stateRoot, lxcfsMountPoint()])) {
      const r = await run('umount', ['-l', m], { allowFail: true });
      if (r.code === 0) out.push(`mount ${m}`);
    }
    return out;
  });
  await step(report, 'lxcfs', async () => stopLxcfs());
  await step(report, 'loop devices', async () => {
    const { stdout } = await run('losetup', ['-n', '-l', '-O', 'NAME,BACK-FILE'], { allowFail: true });
    const out: string[] = [];
    for (const line of stdout.split('\n')) {
      const [dev, file] = line.trim().split(/\s+/, 2);
      if (!dev || !file || !(file.startsWith(`${stateRoot}/`) || file.includes('/pudu'))) continue;
      await run('losetup', ['-d', dev], { allowFail: true });
      out.push(`loop ${dev} (${file})`);
    }
    return out;
  });
  await step(report, 'cgroups', async () => {
    const out: string[] = [];
    for (const g of findPuduCgroups()) {
      removeCgroupTree(g);
      out.push(`cgroup ${g}`);
    }
    return out;
  });
  await step(report, 'network namespaces', async () => {
    const out: string[] = [];
    for (const ns of listPuduNetns()) {
      await run('ip', ['netns', 'del', ns]);
      out.push(`netns ${ns}`);
    }
    return out;
  });
  await step(report, 'links', async () => {
    const out: string[] = [];
    for (const l of readdirSync('/sys/class/net').filter((n) => n.startsWith('pudu'))) {
      await run('ip', ['link', 'del', l], { allowFail: true });
      out.push(`link ${l}`);
    }
    return out;
  });
  await step(report, 'iptables', async () => removeAllPuduRules());
  await step(report, 'state', async () => {
    const out: string[] = [];
    let entries: string[] = [];
    try {
      entries = readdirSync(sandboxStateRoot());
    } catch { /* none */ }
    for (const e of entries) {
      rmSync(join(sandboxStateRoot(), e), { recursive: true, force: true });
      out.push(`state ${join(sandboxStateRoot(), e)}`);
    }
    return out;
  });
  return report;
}

function listPuduNetns(): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith('pudu'));
  } catch {
    return [];
  }
}
