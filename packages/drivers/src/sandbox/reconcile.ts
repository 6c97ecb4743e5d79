/**
 * After a crash: a sandbox VM whose index lease is no longer held by any live process
 * is an orphan (its owner died — SIGKILL included, since the kernel dropped the lease).
 * The runtime removes orphans when a driver starts; objects of live owners (another
 * server, another engineer's test) are never touched.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isIndexLeased } from '../network/index-allocator.ts';
import { removeFleetRules } from '../network/firewall.ts';
import { sandboxStateRoot } from './paths.ts';
import { removeSandboxVm } from './teardown.ts';

/** What the driver records next to each VM for reconcile and cleanup. */
export interface VmMeta {
  fleetId: string;
  name: string;
  index: number;
  ownerPid: number;
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

/** Removes the VMs (and fleet rules) of owners that died; returns the names removed. */
export async function reconcileSandboxOrphans(): Promise<string[]> {
  const removed: string[] = [];
  const fleets = new Set<string>();
  for (const m of readVmMetas()) {
    if (await isIndexLeased(m.index)) continue;
    await removeSandboxVm(m.index);
    fleets.add(m.fleetId);
    removed.push(`${m.fleetId}/${m.name} (pudu-vm${m.index})`);
  }
  for (const f of fleets) await removeFleetRules(f);
  return removed;
}
