/**
 * Preparing and starting one sandbox VM: its state dir, cgroups, record, config layer,
 * disk and console, then the launcher (launch.ts). Ownership: everything the VM must own
 * is chowned to its root (userns.ts); the shared image and the limit files stay the host's.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defaultUptimeS } from '@pudu/schema';
import type { FleetSpec, VmSpec } from '../driver.ts';
import { hostNamesForIndex, type NetworkBase } from '../network/addressing.ts';
import { renderVmFiles } from '../image/vm-config.ts';
import { GUEST_AGENT_SOCKET_DIR, GUEST_AGENT_SOCKET_PATH } from '../image/guest-files.ts';
import { processStartTime } from '../util/pid.ts';
import { createVmCgroups, vmCgroupDir } from './cgroups.ts';
import { createVmDisk } from './vm-disk.ts';
import { launchSandboxVm } from './launch.ts';
import { sandboxOnlyFiles } from './sandbox-units.ts';
import { chownToVmRoot, chownTreeToVmRoot, idMapShimDir } from './userns.ts';
import type { VmPaths } from './paths.ts';
import type { VmMeta } from './reconcile.ts';

/** What every VM of a driver shares on the host (ensured once per fleet). */
export interface SandboxHost {
  rootfsDir: string;
  devTemplate: string;
  userns: string;
  base: NetworkBase;
  pidsMax: number;
  /** Persistent VMs record it (see reconcile.ts). */
  ownerId?: string;
  ownerStorePath?: string;
}

export interface StartVmInput {
  fleetId: string;
  spec: VmSpec;
  index: number;
  paths: VmPaths;
  leaseFd: number | undefined;
  /** The fleet's names and addresses (its /etc/hosts) and services. */
  fleet: { name: string; guestIp: string; services: string[] }[];
  agent: FleetSpec['agent'];
  onExit: (reason: string) => void;
}

function writeConfigLayer(dir: string, files: ({ path: string; content: string; mode?: number } | { path: string; symlink: string })[]): void {
  for (const f of files) {
    const target = join(dir, f.path);
    mkdirSync(dirname(target), { recursive: true });
    if ('symlink' in f) symlinkSync(f.symlink, target);
    else writeFileSync(target, f.content, { mode: f.mode ?? 0o644 });
  }
  // The config layer is the VM's own (its root may edit what it overlays); the image stays the host's.
  chownTreeToVmRoot(dir);
}

/** Prepares and launches one VM; resolves when it is booting (the launcher is detached and holds its lease). */
export async function startSandboxVm(host: SandboxHost, i: StartVmInput): Promise<ChildProcess> {
  const p = i.paths;
  const netns = hostNamesForIndex(i.index).netns;
  for (const d of [p.dir, p.diskMount, p.root, p.conf, p.imageView]) mkdirSync(d, { recursive: true });
  // The agent (root of the VM) binds its socket here; the host connects without following symlinks.
  mkdirSync(p.agentDir, { recursive: true, mode: 0o700 });
  chownToVmRoot(p.agentDir);
  const cgroups = createVmCgroups(netns, { memMb: i.spec.memMb, vcpus: i.spec.vcpus, pidsMax: host.pidsMax });
  const meta: VmMeta = {
    fleetId: i.fleetId, name: i.spec.name, index: i.index, ownerPid: process.pid, ownerStart: processStartTime(process.pid),
    ownerId: host.ownerId, ownerStorePath: host.ownerStorePath, spec: i.spec, cgroupProcs: cgroups, rootfsDir: host.rootfsDir, createdAt: new Date().toISOString(),
  };
  writeFileSync(p.meta, JSON.stringify(meta));
  writeConfigLayer(p.conf, [
    ...renderVmFiles({
      name: i.spec.name, services: i.spec.services, fleet: i.fleet, agentPublicKey: i.agent?.publicKey, fleetId: i.fleetId,
      agentOpts: ['--listen', `unix:${GUEST_AGENT_SOCKET_PATH}`, ...(i.agent?.opts ?? [])],
    }),
    ...sandboxOnlyFiles(),
  ]);
  await createVmDisk(p.disk, i.spec.diskMb, i.spec.name.slice(0, 16));
  writeFileSync(p.consoleLog, '');
  chownToVmRoot(p.consoleLog);
  const child = await launchSandboxVm({
    index: i.index,
    base: host.base,
    leaseFd: i.leaseFd,
    onExit: i.onExit,
    script: {
      hostname: i.spec.name, cgroupProcs: cgroups, devicesCgroup: vmCgroupDir('devices', netns), imageRootfs: host.rootfsDir,
      imageView: p.imageView, mappingUserns: host.userns, idMapShims: idMapShimDir(), disk: p.disk, diskMount: p.diskMount,
      confDir: p.conf, root: p.root, consoleLog: p.consoleLog, lxcfs: p.lxcfs, lxcfsPidfile: p.lxcfsPidfile,
      clockOffsetS: hasTimeNamespaces() ? (i.spec.uptimeS ?? defaultUptimeS(i.fleetId, i.spec.name)) - hostUptimeS() : null, devTemplate: host.devTemplate,
      agentDir: p.agentDir, agentGuestDir: GUEST_AGENT_SOCKET_DIR,
    },
  });
  writeFileSync(p.meta, JSON.stringify({ ...meta, launcherPid: child.pid, launcherStart: child.pid ? processStartTime(child.pid) : undefined }));
  return child;
}

/** Kernels before 5.6 (or built without CONFIG_TIME_NS) have none: their VMs keep the host's clocks instead of failing to start. */
function hasTimeNamespaces(): boolean {
  return existsSync('/proc/self/ns/time');
}

/** The host's own uptime: a VM's clocks run ahead of it, so the offset for a wanted uptime is the difference. */
function hostUptimeS(): number {
  return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
}

/** Host PID of the sandbox's PID 1 (the launcher's only child). */
export function initPidOf(launcher: number | undefined): number | undefined {
  if (!launcher) return undefined;
  try {
    const kids = readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.length ? Number(kids[0]) : undefined;
  } catch {
    return undefined;
  }
}
