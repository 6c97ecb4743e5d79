/**
 * Undoing what hypervisor VMs left behind when their owning process died (SIGKILL, crash):
 * each VM directory holds a vm.json record written before anything was created on the host.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { deleteTap } from '../network/tap.ts';
import { removeFleetRules } from '../network/firewall.ts';
import { pidRuns } from './vm-process.ts';

const KILL_WAIT_POLLS = 50;
const KILL_WAIT_POLL_MS = 20;

/** State written next to each VM so cleanup can undo it after a crash. */
export interface HypervisorVmRecord {
  fleetId: string;
  name: string;
  index: number;
  tap: string;
  pid?: number;
  /** The VM's state directory; the hypervisor's command line contains it, which identifies the process. */
  dir: string;
  /** Other directories the VM owns (a jailer chroot). */
  extraDirs?: string[];
}

/**
 * For every VM record under `driverDir` (`<stateDir>/<driver>`), or only fleet `fleetId`'s:
 * SIGKILLs the recorded process if that PID still runs a command naming the VM's
 * directory (a reused PID is left alone), deletes the TAP, the fleet's firewall chains and
 * the directories. Returns what it removed.
 */
export async function cleanupHypervisorLeftovers(driverDir: string, fleetId?: string): Promise<string[]> {
  const removed: string[] = [];
  const fleets = fleetId ? [fleetId] : existsSync(driverDir) ? readdirSync(driverDir) : [];
  for (const f of fleets) {
    const fdir = join(driverDir, f);
    if (!existsSync(fdir)) continue;
    for (const name of readdirSync(fdir)) {
      const dir = join(fdir, name);
      let rec: HypervisorVmRecord | undefined;
      try {
        rec = JSON.parse(readFileSync(join(dir, 'vm.json'), 'utf8')) as HypervisorVmRecord;
      } catch {
        rec = undefined;
      }
      if (rec?.pid && pidRuns(rec.pid, dir)) {
        process.kill(rec.pid, 'SIGKILL');
        for (let i = 0; i < KILL_WAIT_POLLS && pidRuns(rec.pid, dir); i++) await new Promise((r) => setTimeout(r, KILL_WAIT_POLL_MS));
        removed.push(`process ${rec.pid}`);
      }
      if (rec?.tap && existsSync(`/sys/class/net/${rec.tap}`)) {
        await deleteTap(rec.tap);
        removed.push(`tap ${rec.tap}`);
      }
      for (const d of rec?.extraDirs ?? []) rmSync(d, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    }
    rmSync(fdir, { recursive: true, force: true });
    await removeFleetRules(f);
  }
  return removed;
}
