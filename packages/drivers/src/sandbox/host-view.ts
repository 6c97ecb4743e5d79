/**
 * What the host itself sees of a sandbox VM, without asking anything inside it: root in the
 * VM can kill the agent and answer in its place, but cannot change the host's statfs of its
 * disk, the host's /proc or its cgroup counters. The server checks an agent's claims against
 * this before it lets a run resolve.
 */
import { readdirSync, readFileSync, readlinkSync, statfsSync } from 'node:fs';
import type { HostVmView } from '../driver.ts';
import { vmCgroupDir } from './cgroups.ts';

function readNumber(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Processes in the PID namespace of `initPid` (comm, host PID), from the host's /proc. */
function processesOf(initPid: number): { pid: number; comm: string }[] {
  let ns: string;
  try {
    ns = readlinkSync(`/proc/${initPid}/ns/pid`);
  } catch {
    return [];
  }
  const out: { pid: number; comm: string }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readlinkSync(`/proc/${e}/ns/pid`) !== ns) continue;
      out.push({ pid: Number(e), comm: readFileSync(`/proc/${e}/comm`, 'utf8').trim() });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/**
 * The host's view of one sandbox VM (its PID 1 and cgroup name, e.g. pudu-vm7). The disk is
 * the statfs of the VM's root through /proc/<pid>/root: the overlay reports its upper layer,
 * the VM's own disk image, and no path inside the guest is followed.
 */
export function sandboxHostView(initPid: number, cgroupName: string): HostVmView {
  const view: HostVmView = { at: new Date().toISOString() };
  try {
    const s = statfsSync(`/proc/${initPid}/root`);
    if (s.blocks > 0) view.diskUsedPct = Math.round((1 - s.bfree / s.blocks) * 1000) / 10;
  } catch {
    /* the VM is gone: no view */
  }
  const mem = vmCgroupDir('memory', cgroupName);
  const used = readNumber(`${mem}/memory.usage_in_bytes`);
  const limit = readNumber(`${mem}/memory.limit_in_bytes`);
  if (used !== undefined && limit !== undefined && limit > 0) view.memUsedPct = Math.round((used / limit) * 1000) / 10;
  view.cpuUsageNs = readNumber(`${vmCgroupDir('cpuacct', cgroupName)}/cpuacct.usage`);
  view.processes = processesOf(initPid);
  return view;
}
