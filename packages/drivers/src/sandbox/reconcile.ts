/**
 * Who a sandbox VM belongs to, and what to do with VMs whose owner is gone.
 *
 * A VM's index lease is held by its launcher (for as long as the VM lives) and by the
 * process that created it. A VM whose lease nobody holds is dead: its leftovers are removed.
 * A living VM whose owner died is an orphan:
 *   - an ordinary VM (a test, a tool) is removed at the next driver start anywhere;
 *   - a persistent VM (created for an owner id, i.e. a server and its database) waits for
 *     its owner to start again and adopt it; only that owner, `cleanupHost({ orphansOnly,
 *     ownerId })` or a full cleanup removes it — or any driver start once the owner's
 *     database file is gone (the owner can never come back).
 * Objects of live owners (another server, another engineer's test) are never touched.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { VmSpec } from '../driver.ts';
import { isIndexLeased, leaseIndex, type IndexLease } from '../network/index-allocator.ts';
import { removeFleetRules } from '../network/firewall.ts';
import { isOwnerRunning } from '../util/owner-lease.ts';
import { sameProcessAlive } from '../util/pid.ts';
import { sandboxStateRoot } from './paths.ts';
import { removeSandboxVm } from './teardown.ts';

/** What the driver records next to each VM for reconcile, adoption and cleanup. */
export interface VmMeta {
  fleetId: string;
  name: string;
  index: number;
  ownerPid: number;
  /** Start time of ownerPid (/proc/PID/stat), so a reused pid is not taken for the owner. */
  ownerStart?: string;
  /** Set on persistent VMs: they outlive ownerPid and belong to the next process with this owner id. */
  ownerId?: string;
  /** With ownerId: a file (the owner's SQLite database) whose absence means the owner can never come back. */
  ownerStorePath?: string;
  /** The VM's launcher: the host process that holds its namespaces and index lease. */
  launcherPid?: number;
  launcherStart?: string;
  /** What the VM was created as (to adopt or replace it). */
  spec?: VmSpec;
  /** cgroup.procs files the VM's processes are in (the owner's cgroup path may differ from the cleaner's). */
  cgroupProcs: string[];
  /** The image layer the VM's overlay sits on (kept from pruning while the VM lives). */
  rootfsDir?: string;
  createdAt: string;
}

/** Reads every VM record under the state root. */
export function readVmMetas(): VmMeta[] {
  let entries: string[] = [];
  try {
    entries = readdirSync(sandboxStateRoot());
  } catch {
    return [];
  }
  const out: VmMeta[] = [];
  for (const e of entries) {
    try {
      out.push(JSON.parse(readFileSync(join(sandboxStateRoot(), e, 'vm.json'), 'utf8')) as VmMeta);
    } catch { /* a VM dir without a record is handled by cleanupHost */ }
  }
  return out;
}

/** True while the VM's launcher (and so the VM) runs. */
export function vmRunning(m: VmMeta): boolean {
  return m.launcherPid !== undefined && sameProcessAlive(m.launcherPid, m.launcherStart);
}

async function ownerGone(m: VmMeta): Promise<boolean> {
  if (m.ownerId) return !(await isOwnerRunning(m.ownerId));
  return !sameProcessAlive(m.ownerPid, m.ownerStart);
}

const REAP_WAIT_MS = 5000;

/**
 * Removes one VM's host objects without racing whoever takes its index next (a new VM
 * gets the same netns, cgroup and state dir names): kills its launcher, which frees the
 * lease it held, takes the lease, removes. Resolves with the lease (release it, or boot
 * the VM's replacement on it), or undefined when another live process holds the index.
 */
export async function reapSandboxVm(m: VmMeta): Promise<IndexLease | undefined> {
  if (vmRunning(m)) {
    try {
      process.kill(m.launcherPid!, 'SIGKILL');
    } catch { /* gone meanwhile */ }
  }
  const deadline = Date.now() + REAP_WAIT_MS;
  let lease = await leaseIndex(m.index);
  while (!lease && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    lease = await leaseIndex(m.index);
  }
  if (!lease) return undefined;
  try {
    await removeSandboxVm(m.index);
  } catch (e) {
    await lease.release();
    throw e;
  }
  return lease;
}

export interface ReconcileOptions {
  /** Also remove the persistent VMs of this owner id that are dead or whose owner is not running. */
  ownerId?: string;
}

/** Removes dead VMs' leftovers and orphans (see above); returns the names removed. */
export async function reconcileSandboxOrphans(opts: ReconcileOptions = {}): Promise<string[]> {
  const removed: string[] = [];
  const fleets = new Set<string>();
  for (const m of readVmMetas()) {
    if ((await isIndexLeased(m.index)) && !(await ownerGone(m))) continue;
    // A persistent VM, running or dead, is its owner's to adopt or replace (at the same index):
    // nobody else touches it while that owner may come back.
    const abandoned = m.ownerStorePath !== undefined && !existsSync(m.ownerStorePath);
    if (m.ownerId && m.ownerId !== opts.ownerId && !abandoned) continue;
    const lease = await reapSandboxVm(m);
    if (!lease) continue;
    await lease.release();
    fleets.add(m.fleetId);
    removed.push(`${m.fleetId}/${m.name} (pudu-vm${m.index})`);
  }
  for (const f of fleets) await removeFleetRules(f);
  return removed;
}
