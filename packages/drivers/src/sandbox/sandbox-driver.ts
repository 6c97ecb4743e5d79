/**
 * The sandbox driver: each VM is a set of Linux namespaces — a user namespace among them,
 * so root in the VM is an unprivileged id on the host — with systemd as PID 1 on a private
 * overlay root; boots in about a second where no hypervisor works.
 * See docs/drivers/sandbox.md for the layout, the boundary and what a trainee can tell.
 */
import { useLabUmask } from '../util/umask.ts';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PuduError } from '@pudu/schema';
import type { FleetSpec, HostVmView, VmDriver, VmInfo, VmSpec } from '../driver.ts';
import { sandboxHostView } from './host-view.ts';
import { addressForIndex, hostNamesForIndex, parseNetworkBase, type NetworkBase } from '../network/addressing.ts';
import { allocateIndexes, type IndexLease } from '../network/index-allocator.ts';
import { allowFleet, ensureBaseFirewall, removeFleetRules } from '../network/firewall.ts';
import { waitReady } from '../readiness.ts';
import { run } from '../util/exec.ts';
import { AGENT_PORT } from '../image/recipe.ts';
import { holdOwnerLease } from '../util/owner-lease.ts';
import { ensureDevTemplate } from './dev-template.ts';
import { raiseHostLimits } from './host-limits.ts';
import { sandboxStateRoot, vmPaths, type VmPaths } from './paths.ts';
import { removeSandboxVm } from './teardown.ts';
import { LXCFS_BIN } from './lxcfs.ts';
import { reapSandboxVm, readVmMetas, reconcileSandboxOrphans, vmRunning } from './reconcile.ts';
import { mappingUserns } from './userns.ts';
import { initPidOf, startSandboxVm, type SandboxHost } from './vm-start.ts';
import { consoleTail } from './launch.ts';
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
  /**
   * Makes VMs persistent: they outlive this process and a later driver with the same owner
   * id adopts them (adoptFleet). A server passes an id derived from its database.
   */
  ownerId?: string;
  /** With ownerId: a file whose absence means the owner can never come back (its VMs may then be reaped). */
  ownerStorePath?: string;
  log?: (msg: string) => void;
}

interface SandboxVm {
  info: VmInfo;
  spec: VmSpec;
  lease: IndexLease;
  paths: VmPaths;
  child?: ChildProcess;
  exitReason?: string;
}

type ProgressOpts = { onProgress?: (msg: string) => void; signal?: AbortSignal };

/** The lease of an adopted VM is its launcher's; this process has nothing to give back. */
function launcherHeldLease(index: number): IndexLease {
  return { index, fd: undefined, release: () => Promise.resolve() };
}

/**
 * A VM's root (an unprivileged host id) looks up its lxcfs views and its own state dir by
 * path while it boots: every directory above them must let others search (x). Say so
 * plainly instead of failing each VM's boot with EACCES.
 */
function assertSearchableByVms(dir: string): void {
  // The caller has taken the lab umask (useLabUmask), so this mode is not narrowed by a 077 one.
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (let d = dir; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) {
      throw new PuduError('DRIVER_UNAVAILABLE', `${d} is not searchable by others (mode ${(statSync(d).mode & 0o777).toString(8)}): sandbox VMs run as an unprivileged host id and must reach ${dir}; chmod o+x ${d} or choose another PUDU_STATE_DIR`);
    }
    if (d === dirname(d)) return;
  }
}

/** Creates a sandbox driver (checks the host can run it). */
export async function createSandboxDriver(opts: SandboxDriverOptions): Promise<VmDriver> {
  if (!existsSync(join(opts.rootfsDir, 'lib/systemd/systemd'))) {
    throw new PuduError('ASSETS_MISSING', `${opts.rootfsDir} is not a guest rootfs (no /lib/systemd/systemd): run ./pudu assets`);
  }
  // An open file inside the image tells pruneGuestImages (any process) that this image is in use.
  openSync(join(opts.rootfsDir, 'lib/systemd/systemd'), 'r');
  useLabUmask((m) => opts.log?.(`sandbox: ${m}`));
  // Each VM starts its own lxcfs (init-script.ts): say so here rather than in every VM's console.
  if (!existsSync(LXCFS_BIN)) throw new PuduError('DRIVER_UNAVAILABLE', `lxcfs not found at ${LXCFS_BIN}: apt-get install lxcfs (the sandbox needs it so free/top show the VM limits)`);
  // Each VM's lxcfs views live in its own state dir (vmPaths().lxcfs).
  assertSearchableByVms(sandboxStateRoot());
  if (opts.ownerId) await holdOwnerLease(opts.ownerId);
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

  async createFleet(spec: FleetSpec, o: ProgressOpts = {}): Promise<VmInfo[]> {
    validateFleetSpec(spec, SANDBOX_LIMITS);
    if (this.fleets.has(spec.id)) throw new PuduError('CONFLICT', `fleet ${spec.id} already exists`);
    const leases = await allocateIndexes(spec.vms.length, { base: this.base, minIndex: this.opts.minIndex, maxIndex: this.opts.maxIndex });
    const vms: SandboxVm[] = spec.vms.map((v, i) => this.describe(spec.id, v, leases[i]!));
    this.fleets.set(spec.id, vms);
    try {
      await this.boot(spec, vms, vms, o);
      return vms.map((v) => ({ ...v.info }));
    } catch (e) {
      await this.destroyFleet(spec.id).catch(() => {});
      throw e;
    }
  }

  /**
   * Takes over a fleet an earlier driver with the same owner id created: VMs still running
   * are adopted as they are (same processes, same disk, same sessions' leftovers); VMs that
   * are gone are booted afresh from the spec at their old index (same address, so the
   * fleet's /etc/hosts stays true). Resolves with every VM and the names it replaced.
   */
  async adoptFleet(spec: FleetSpec, o: ProgressOpts = {}): Promise<{ vms: VmInfo[]; replaced: string[] }> {
    const ownerId = this.opts.ownerId;
    if (!ownerId) throw new PuduError('CONFLICT', 'this sandbox driver has no owner id, so its VMs are not persistent and cannot be adopted');
    validateFleetSpec(spec, SANDBOX_LIMITS);
    if (this.fleets.has(spec.id)) throw new PuduError('CONFLICT', `fleet ${spec.id} is already managed by this driver`);
    const metas = readVmMetas().filter((m) => m.fleetId === spec.id && m.ownerId === ownerId);
    const vms: SandboxVm[] = [];
    const fresh: SandboxVm[] = [];
    this.fleets.set(spec.id, vms);
    try {
      for (const m of metas.filter((x) => !spec.vms.some((v) => v.name === x.name))) await (await reapSandboxVm(m))?.release();
      for (const v of spec.vms) {
        const m = metas.find((x) => x.name === v.name);
        if (m && vmRunning(m) && initPidOf(m.launcherPid)) {
          const vm = this.describe(spec.id, v, launcherHeldLease(m.index));
          vm.info.state = 'ready';
          vm.info.pid = initPidOf(m.launcherPid);
          vms.push(vm);
          continue;
        }
        // The replacement takes the old index (same address: the fleet's /etc/hosts stays true) when it can.
        const reaped = m ? await reapSandboxVm(m) : undefined;
        const lease = reaped ?? (await allocateIndexes(1, { base: this.base, minIndex: this.opts.minIndex, maxIndex: this.opts.maxIndex }))[0]!;
        const vm = this.describe(spec.id, v, lease);
        vms.push(vm);
        fresh.push(vm);
      }
      if (fresh.length) await this.boot(spec, fresh, vms, o);
      else await allowFleet(spec.id, vms.map((v) => ({ link: v.info.hostLink, guestIp: v.info.guestIp })));
      return { vms: vms.map((v) => ({ ...v.info })), replaced: fresh.map((v) => v.info.name) };
    } catch (e) {
      await this.destroyFleet(spec.id).catch(() => {});
      throw e;
    }
  }

  /** Starts `fresh` (a subset of the fleet `all`), opens the fleet's firewall, waits until each is ready. */
  private async boot(spec: FleetSpec, fresh: SandboxVm[], all: SandboxVm[], o: ProgressOpts): Promise<void> {
    const progress = o.onProgress ?? (() => {});
    const [devTemplate, userns] = await Promise.all([ensureDevTemplate(), mappingUserns(), ensureBaseFirewall()]);
    const host: SandboxHost = {
      rootfsDir: this.opts.rootfsDir, devTemplate, userns, base: this.base,
      pidsMax: this.opts.pidsMax ?? DEFAULT_PIDS_MAX, ownerId: this.opts.ownerId, ownerStorePath: this.opts.ownerStorePath,
    };
    progress(`sandbox: creating ${fresh.length} VM(s) at index ${fresh.map((v) => v.info.index).join(',')}`);
    const fleet = all.map((v) => ({ name: v.info.name, guestIp: v.info.guestIp, services: v.spec.services }));
    await Promise.all(fresh.map(async (vm) => {
      vm.info.state = 'booting';
      vm.child = await startSandboxVm(host, {
        fleetId: spec.id, spec: vm.spec, index: vm.info.index, paths: vm.paths, leaseFd: vm.lease.fd, fleet, agent: spec.agent,
        onExit: (reason) => {
          vm.exitReason ??= reason;
          if (vm.info.state !== 'stopping') vm.info.state = 'failed';
        },
      });
    }));
    await allowFleet(spec.id, all.map((v) => ({ link: v.info.hostLink, guestIp: v.info.guestIp })));
    await Promise.all(fresh.map(async (vm) => {
      await waitReady({
        name: vm.info.name, ip: vm.info.guestIp, link: vm.info.hostLink, agentPort: vm.info.agentPort, agentSocket: vm.info.agentSocket,
        timeoutMs: this.opts.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS, signal: o.signal,
        failed: () => vm.exitReason, consoleTail: () => this.consoleLog(spec.id, vm.info.name, CONSOLE_TAIL_LINES),
        pendingServices: () => inactiveUnits(initPidOf(vm.child?.pid), vm.spec.services),
      });
      vm.info.state = 'ready';
      vm.info.pid = initPidOf(vm.child?.pid) ?? vm.child?.pid;
      progress(`sandbox: ${vm.info.name} ready (${vm.info.guestIp})`);
    }));
    // A VM that was ready but died while the others booted must not be reported as part of a good fleet.
    const dead = fresh.find((v) => v.exitReason);
    if (dead) {
      const tail = await this.consoleLog(spec.id, dead.info.name, CONSOLE_TAIL_LINES);
      throw new PuduError('VM_START_FAILED', `${dead.info.name} died during fleet start: ${dead.exitReason}\n--- console (last lines) ---\n${tail}`, { vm: dead.info.name, console: tail });
    }
  }

  private describe(fleetId: string, v: VmSpec, lease: IndexLease): SandboxVm {
    const a = addressForIndex(lease.index, this.base);
    const n = hostNamesForIndex(lease.index);
    const paths = vmPaths(n.netns);
    return {
      lease,
      spec: v,
      paths,
      info: {
        name: v.name, fleetId, index: lease.index, hostIp: a.hostIp, guestIp: a.guestIp, hostLink: n.hostVeth,
        state: 'creating', driver: 'sandbox', agentPort: AGENT_PORT, agentSocket: paths.agentSocket,
      },
    };
  }

  async destroyFleet(fleetId: string): Promise<void> {
    const vms = this.fleets.get(fleetId);
    if (!vms) {
      // A fleet of an earlier process with our owner id (e.g. caught mid-create by a crash).
      const own = this.opts.ownerId ? readVmMetas().filter((m) => m.fleetId === fleetId && m.ownerId === this.opts.ownerId) : [];
      for (const m of own) await (await reapSandboxVm(m))?.release();
      if (own.length) await removeFleetRules(fleetId);
      return;
    }
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
    try {
      return Promise.resolve(consoleTail(vm.paths.consoleLog, lines));
    } catch {
      if (!existsSync(vm.paths.dir)) return Promise.resolve(`(no console: ${vm.paths.dir} was removed — did another process run \`pudu cleanup\`?)`);
      return Promise.resolve('');
    }
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
