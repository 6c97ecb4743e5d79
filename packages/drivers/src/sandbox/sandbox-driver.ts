/**
 * The sandbox driver: each VM is a set of Linux namespaces with systemd as PID 1 on a
 * private overlay root — boots in well under a second where no hypervisor works.
 * See docs/drivers/sandbox.md for the layout and what a trainee can and cannot tell.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PuduError } from '@pudu/schema';
import type { FleetSpec, HostVmView, VmDriver, VmInfo, VmSpec } from '../driver.ts';
import { sandboxHostView } from './host-view.ts';
import { addressForIndex, hostNamesForIndex, parseNetworkBase, type NetworkBase } from '../network/addressing.ts';
import { allocateIndexes, type IndexLease } from '../network/index-allocator.ts';
import { createVethNetwork } from '../network/veth.ts';
import { allowFleet, ensureBaseFirewall, removeFleetRules } from '../network/firewall.ts';
import { waitReady } from '../readiness.ts';
import { run } from '../util/exec.ts';
import { renderVmFiles } from '../image/vm-config.ts';
import { AGENT_PORT } from '../image/recipe.ts';
import { GUEST_AGENT_SOCKET_DIR, GUEST_AGENT_SOCKET_PATH } from '../image/guest-files.ts';
import { createVmCgroups } from './cgroups.ts';
import { ensureLxcfs } from './lxcfs.ts';
import { createVmDisk } from './vm-disk.ts';
import { launcherArgs } from './init-script.ts';
import { sandboxOnlyFiles } from './sandbox-units.ts';
import { ensureDevTemplate } from './dev-template.ts';
import { raiseHostLimits } from './host-limits.ts';
import { vmPaths, type VmPaths } from './paths.ts';
import { removeSandboxVm } from './teardown.ts';
import { reconcileSandboxOrphans, type VmMeta } from './reconcile.ts';
import { SANDBOX_LIMITS, validateFleetSpec } from '../validate-spec.ts';

const DEFAULT_BOOT_TIMEOUT_MS = 60_000;
const DEFAULT_PIDS_MAX = 4096;
const CONSOLE_TAIL_LINES = 40;

export interface SandboxDriverOptions {
  /** The guest image's rootfs directory (lower layer of every VM). */
  rootfsDir: string;
  /** Network base block (default 172.16.0.0/12). */
  networkBase?: string;
  /** Restrict VM indexes (tests use private ranges). */
  minIndex?: number;
  maxIndex?: number;
  bootTimeoutMs?: number;
  pidsMax?: number;
  log?: (msg: string) => void;
}

interface SandboxVm {
  info: VmInfo;
  lease: IndexLease;
  paths: VmPaths;
  child?: ChildProcess;
  exitReason?: string;
}

/** Creates a sandbox driver (checks the host can run it). */
export async function createSandboxDriver(opts: SandboxDriverOptions): Promise<VmDriver> {
  if (!existsSync(join(opts.rootfsDir, 'lib/systemd/systemd'))) {
    throw new PuduError('ASSETS_MISSING', `${opts.rootfsDir} is not a guest rootfs (no /lib/systemd/systemd): run ./pudu assets`);
  }
  // An open file inside the image tells pruneGuestImages (any process) that this image is in use.
  openSync(join(opts.rootfsDir, 'lib/systemd/systemd'), 'r');
  await reconcileSandboxOrphans();
  for (const c of raiseHostLimits()) opts.log?.(`sandbox: raised ${c} (shared by every VM's root)`);
  return new SandboxDriver(opts);
}

class SandboxDriver implements VmDriver {
  readonly name = 'sandbox' as const;
  private readonly fleets = new Map<string, SandboxVm[]>();
  private readonly base: NetworkBase;

  constructor(private readonly opts: SandboxDriverOptions) {
    this.base = parseNetworkBase(opts.networkBase);
  }

  async createFleet(spec: FleetSpec, o: { onProgress?: (msg: string) => void; signal?: AbortSignal } = {}): Promise<VmInfo[]> {
    validateFleetSpec(spec, SANDBOX_LIMITS);
    if (this.fleets.has(spec.id)) throw new PuduError('CONFLICT', `fleet ${spec.id} already exists`);
    const progress = o.onProgress ?? (() => {});
    const [lxcfs, devTemplate] = await Promise.all([ensureLxcfs(), ensureDevTemplate(), ensureBaseFirewall()]);
    const leases = await allocateIndexes(spec.vms.length, { base: this.base, minIndex: this.opts.minIndex, maxIndex: this.opts.maxIndex });
    const vms: SandboxVm[] = spec.vms.map((v, i) => this.describe(spec.id, v, leases[i]!));
    this.fleets.set(spec.id, vms);
    try {
      progress(`sandbox: creating ${vms.length} VM(s) at index ${vms.map((v) => v.info.index).join(',')}`);
      const fleet = vms.map((v, i) => ({ name: v.info.name, guestIp: v.info.guestIp, services: spec.vms[i]!.services }));
      await Promise.all(vms.map((vm, i) => this.startVm(spec, spec.vms[i]!, vm, fleet, { lxcfs, devTemplate })));
      await allowFleet(spec.id, vms.map((v) => ({ link: v.info.hostLink, guestIp: v.info.guestIp })));
      await Promise.all(vms.map(async (vm) => {
        await waitReady({
          name: vm.info.name, ip: vm.info.guestIp, link: vm.info.hostLink, agentPort: vm.info.agentPort, agentSocket: vm.info.agentSocket,
          timeoutMs: this.opts.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS, signal: o.signal,
          failed: () => vm.exitReason, consoleTail: () => this.consoleLog(spec.id, vm.info.name, CONSOLE_TAIL_LINES),
          pendingServices: () => inactiveUnits(initPid(vm.child?.pid), spec.vms.find((s) => s.name === vm.info.name)?.services ?? []),
        });
        vm.info.state = 'ready';
        vm.info.pid = initPid(vm.child?.pid) ?? vm.child?.pid;
        progress(`sandbox: ${vm.info.name} ready (${vm.info.guestIp})`);
      }));
      // A VM that was ready but died while the others booted must not be reported as part of a good fleet.
      const dead = vms.find((v) => v.exitReason);
      if (dead) {
        const tail = await this.consoleLog(spec.id, dead.info.name, CONSOLE_TAIL_LINES);
        throw new PuduError('VM_START_FAILED', `${dead.info.name} died during fleet start: ${dead.exitReason}\n--- console (last lines) ---\n${tail}`, { vm: dead.info.name, console: tail });
      }
      return vms.map((v) => ({ ...v.info }));
    } catch (e) {
      await this.destroyFleet(spec.id).catch(() => {});
      throw e;
    }
  }

  private describe(fleetId: string, v: VmSpec, lease: IndexLease): SandboxVm {
    const a = addressForIndex(lease.index, this.base);
    const n = hostNamesForIndex(lease.index);
    const paths = vmPaths(n.netns);
    return {
      lease,
      paths,
      info: {
        name: v.name, fleetId, index: lease.index, hostIp: a.hostIp, guestIp: a.guestIp, hostLink: n.hostVeth,
        state: 'creating', driver: 'sandbox', agentPort: AGENT_PORT, agentSocket: paths.agentSocket,
      },
    };
  }

  private async startVm(spec: FleetSpec, v: VmSpec, vm: SandboxVm, fleet: { name: string; guestIp: string; services: string[] }[], host: { lxcfs: string; devTemplate: string }): Promise<void> {
    const p = vm.paths;
    const names = hostNamesForIndex(vm.info.index);
    for (const d of [p.dir, p.diskMount, p.root, p.conf]) mkdirSync(d, { recursive: true });
    mkdirSync(p.agentDir, { recursive: true, mode: 0o700 });
    const cgroups = createVmCgroups(names.netns, { memMb: v.memMb, vcpus: v.vcpus, pidsMax: this.opts.pidsMax ?? DEFAULT_PIDS_MAX });
    const meta: VmMeta = { fleetId: spec.id, name: v.name, index: vm.info.index, ownerPid: process.pid, cgroupProcs: cgroups, rootfsDir: this.opts.rootfsDir, createdAt: new Date().toISOString() };
    writeFileSync(p.meta, JSON.stringify(meta));
    for (const f of renderVmFiles({ name: v.name, services: v.services, fleet, agentPublicKey: spec.agent?.publicKey, fleetId: spec.id, agentOpts: ['--listen', `unix:${GUEST_AGENT_SOCKET_PATH}`, ...(spec.agent?.opts ?? [])] })) {
      const target = join(p.conf, f.path);
      mkdirSync(dirname(target), { recursive: true });
      if ('symlink' in f) symlinkSync(f.symlink, target);
      else writeFileSync(target, f.content, { mode: f.mode ?? 0o644 });
    }
    for (const f of sandboxOnlyFiles()) {
      const target = join(p.conf, f.path);
      mkdirSync(dirname(target), { recursive: true });
      symlinkSync(f.symlink, target);
    }
    await Promise.all([createVmDisk(p.disk, v.diskMb, v.name.slice(0, 16)), createVethNetwork(vm.info.index, this.base)]);
    writeFileSync(p.consoleLog, '');
    const fd = openSync(p.consoleLog, 'a');
    try {
      const child = spawn('sh', launcherArgs({
        hostname: v.name, netns: names.netns, cgroupProcs: cgroups, imageRootfs: this.opts.rootfsDir,
        disk: p.disk, diskMount: p.diskMount, confDir: p.conf, root: p.root, consoleLog: p.consoleLog, ...host,
        agentDir: p.agentDir, agentGuestDir: GUEST_AGENT_SOCKET_DIR,
      }), { stdio: ['ignore', fd, fd], detached: true });
      child.unref();
      child.on('exit', (code, signal) => {
        vm.exitReason ??= `init exited (${signal ?? `code ${code}`})`;
        if (vm.info.state !== 'stopping') vm.info.state = 'failed';
      });
      child.on('error', (e) => { vm.exitReason ??= `cannot spawn launcher: ${e.message}`; });
      vm.child = child;
      vm.info.state = 'booting';
    } finally {
      closeSync(fd);
    }
  }

  async destroyFleet(fleetId: string): Promise<void> {
    const vms = this.fleets.get(fleetId);
    if (!vms) return;
    for (const vm of vms) vm.info.state = 'stopping';
    await Promise.all(vms.map(async (vm) => {
      await removeSandboxVm(vm.info.index);
      vm.info.state = 'stopped';
      await vm.lease.release();
    }));
    await removeFleetRules(fleetId);
    this.fleets.delete(fleetId);
  }

  listVms(): Promise<VmInfo[]> {
    return Promise.resolve([...this.fleets.values()].flat().map((v) => ({ ...v.info })));
  }

  hostView(fleetId: string, vmName: string): Promise<HostVmView | undefined> {
    const vm = this.fleets.get(fleetId)?.find((v) => v.info.name === vmName);
    if (!vm?.info.pid || vm.info.state !== 'ready') return Promise.resolve(undefined);
    return Promise.resolve(sandboxHostView(vm.info.pid, hostNamesForIndex(vm.info.index).netns));
  }

  consoleLog(fleetId: string, vmName: string, lines = CONSOLE_TAIL_LINES): Promise<string> {
    const vm = this.fleets.get(fleetId)?.find((v) => v.info.name === vmName);
    if (!vm) return Promise.reject(new PuduError('VM_NOT_FOUND', `no VM ${vmName} in fleet ${fleetId}`));
    let text = '';
    try {
      text = readFileSync(vm.paths.consoleLog, 'utf8');
    } catch {
      if (!existsSync(vm.paths.dir)) return Promise.resolve(`(no console: ${vm.paths.dir} was removed — did another process run \`pudu cleanup\`?)`);
    }
    // systemd writes ANSI colour and carriage returns for a terminal; a log wants plain lines.
    const plain = text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
    return Promise.resolve(plain.split('\n').filter(Boolean).slice(-lines).join('\n'));
  }
}

/** The units among `units` that systemd inside the sandbox does not report active (all of them while PID 1 is unknown). */
async function inactiveUnits(pid1: number | undefined, units: string[]): Promise<string[]> {
  if (units.length === 0) return [];
  if (!pid1) return units;
  // is-active exits non-zero while any unit is not active; its per-unit lines are what counts.
  const r = await run('nsenter', ['-t', String(pid1), '-a', 'systemctl', 'is-active', ...units], { allowFail: true });
  const states = r.stdout.trim().split('\n');
  return units.filter((_, i) => states[i] !== 'active');
}

/** Host PID of the sandbox's PID 1 (the launcher's only child). */
function initPid(launcher: number | undefined): number | undefined {
  if (!launcher) return undefined;
  try {
    const kids = readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.length ? Number(kids[0]) : undefined;
  } catch {
    return undefined;
  }
}
