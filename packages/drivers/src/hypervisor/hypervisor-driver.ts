/**
 * What every hypervisor driver does the same way: validate the fleet against the
 * hypervisor's limits, lease indexes, give each VM a state directory with a vm.json record
 * (written before anything exists on the host, so cleanup can undo a crash), a tar config
 * disk, a TAP on the seed's /30 and the fleet's firewall, boot with bounded parallelism,
 * wait for readiness, and undo it all on failure or destroy. A driver (qemu/, firecracker/)
 * supplies only its disks and its process — Hono's adapters over a neutral core.
 */
import { useLabUmask } from '../util/umask.ts';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PuduError } from '@pudu/schema';
import type { FleetSpec, VmDriver, VmInfo, VmSpec } from '../driver.ts';
import { addressForIndex, hostNamesForIndex, parseNetworkBase, type NetworkBase } from '../network/addressing.ts';
import { allocateIndexes, type IndexLease } from '../network/index-allocator.ts';
import { createTap, deleteTap } from '../network/tap.ts';
import { allowFleet, removeFleetRules } from '../network/firewall.ts';
import { renderVmFiles } from '../image/vm-config.ts';
import { waitReady } from '../readiness.ts';
import { validateFleetSpec } from '../validate-spec.ts';
import { configDiskEntries, growRootFiles } from './guest-config.ts';
import { packTar } from './tar-writer.ts';
import { tailFile, type VmProcess } from './vm-process.ts';
import { cleanupHypervisorLeftovers, type HypervisorVmRecord } from './leftovers.ts';
import { HYPERVISOR_LIMITS, mapLimit, type HypervisorDriverOptions } from './options.ts';

const CONSOLE_TAIL_LINES = 30;
const PROCESS_LOG_TAIL_LINES = 5;

/** One VM of a hypervisor driver. */
export interface HypervisorVm {
  info: VmInfo;
  spec: VmSpec;
  /** `<stateDir>/<driver>/<fleet>/<vm>`: disks, logs, sockets, vm.json. */
  dir: string;
  lease: IndexLease;
  proc?: VmProcess;
  /** Directories outside `dir` that the VM owns (a jailer chroot), removed with it. */
  extraDirs: string[];
}

/** How this fleet boots, decided once per createFleet (the accelerator, for QEMU). */
export interface BootSettings {
  timeoutMs: number;
  maxParallel: number;
  /** Per-probe timeout for readiness (long for slow TCG guests). */
  attemptTimeoutMs?: number;
  pollIntervalMs?: number;
}

export type Progress = (msg: string) => void;

export abstract class HypervisorDriver<V extends HypervisorVm = HypervisorVm, B extends BootSettings = BootSettings> implements VmDriver {
  abstract readonly name: 'qemu' | 'firecracker';
  protected readonly fleets = new Map<string, Map<string, V>>();
  protected readonly base: NetworkBase;

  constructor(protected readonly opts: HypervisorDriverOptions) {
    this.base = parseNetworkBase(opts.networkBase);
    useLabUmask();
  }

  /** Host files the driver boots from; each must exist before anything is created. */
  protected abstract requiredFiles(): string[];
  /** Decides how this fleet boots (may probe), reporting the choice through `progress`. */
  protected abstract bootSettings(progress: Progress): Promise<B>;
  /** Adds the driver's own fields to a VM. */
  protected abstract describeVm(vm: HypervisorVm): V;
  /** Writes the VM's root disk and its config disk (`config`, a tar archive). */
  protected abstract writeDisks(vm: V, config: Buffer): Promise<void>;
  /** Starts the hypervisor process and the guest; resolves once the guest is booting. */
  protected abstract startVm(vm: V, boot: B): Promise<VmProcess>;
  /** The file the hypervisor process writes its own stdout/stderr to, relative to the VM dir. */
  protected abstract readonly processLog: string;

  async createFleet(spec: FleetSpec, o: { onProgress?: Progress; signal?: AbortSignal } = {}): Promise<VmInfo[]> {
    validateFleetSpec(spec, HYPERVISOR_LIMITS);
    if (this.fleets.has(spec.id)) throw new PuduError('CONFLICT', `fleet ${spec.id} already exists`);
    for (const f of this.requiredFiles()) {
      if (!existsSync(f)) throw new PuduError('ASSETS_MISSING', `${f} not found: run ./pudu assets`);
    }
    const progress = o.onProgress ?? (() => {});
    const boot = await this.bootSettings(progress);
    const leases = await allocateIndexes(spec.vms.length, { base: this.base, ...this.opts.indexRange });
    const vms = new Map<string, V>();
    this.fleets.set(spec.id, vms);
    try {
      spec.vms.forEach((vm, i) => vms.set(vm.name, this.describeVm(this.newVm(spec.id, vm, leases[i]!))));
      const peers = [...vms.values()].map((v) => ({ name: v.info.name, guestIp: v.info.guestIp, services: v.spec.services }));
      for (const vm of vms.values()) {
        progress(`${vm.info.name}: preparing disks`);
        rmSync(vm.dir, { recursive: true, force: true });
        mkdirSync(vm.dir, { recursive: true });
        this.writeRecord(vm);
        const files = renderVmFiles({ name: vm.spec.name, services: vm.spec.services, fleet: peers, agentPublicKey: spec.agent?.publicKey, fleetId: spec.id, agentOpts: spec.agent?.opts });
        await this.writeDisks(vm, packTar(configDiskEntries([...files, ...growRootFiles()])));
        await createTap(vm.info.hostLink, `${vm.info.hostIp}/30`);
      }
      await allowFleet(spec.id, [...vms.values()].map((v) => ({ link: v.info.hostLink, guestIp: v.info.guestIp })));
      await mapLimit([...vms.values()], this.opts.maxParallelBoots ?? boot.maxParallel, (vm) => this.bootAndWait(vm, boot, progress, o.signal));
      return [...vms.values()].map((v) => ({ ...v.info }));
    } catch (e) {
      await this.destroyFleet(spec.id).catch(() => {});
      await Promise.all(leases.map((l) => l.release()));
      throw e;
    }
  }

  private newVm(fleetId: string, spec: VmSpec, lease: IndexLease): HypervisorVm {
    const a = addressForIndex(lease.index, this.base);
    return {
      spec, lease, extraDirs: [],
      dir: join(this.opts.stateDir, this.name, fleetId, spec.name),
      info: {
        name: spec.name, fleetId, index: lease.index, hostIp: a.hostIp, guestIp: a.guestIp,
        hostLink: hostNamesForIndex(lease.index).tap, state: 'creating', driver: this.name, agentPort: this.opts.agentPort,
      },
    };
  }

  private async bootAndWait(vm: V, boot: B, progress: Progress, signal?: AbortSignal): Promise<void> {
    const started = Date.now();
    vm.info.state = 'booting';
    vm.proc = await this.startVm(vm, boot);
    vm.info.pid = vm.proc.pid;
    this.writeRecord(vm);
    progress(`${vm.info.name}: booting (${vm.info.guestIp} via ${vm.info.hostLink})`);
    const t = await waitReady({
      name: vm.info.name, ip: vm.info.guestIp, link: vm.info.hostLink, agentPort: this.opts.agentPort,
      timeoutMs: boot.timeoutMs, signal, attemptTimeoutMs: boot.attemptTimeoutMs, pollIntervalMs: boot.pollIntervalMs,
      failed: () => {
        const r = vm.proc?.exitReason();
        if (!r) return undefined;
        const log = this.processLog === 'console.log' ? '' : `: ${tailFile(join(vm.dir, this.processLog), PROCESS_LOG_TAIL_LINES)}`;
        return `${this.name} exited (${r}) before the guest was ready${log}`;
      },
      consoleTail: () => tailFile(join(vm.dir, 'console.log'), CONSOLE_TAIL_LINES),
    });
    vm.info.state = 'ready';
    progress(`${vm.info.name}: ready in ${((Date.now() - started) / 1000).toFixed(1)} s (agent ${t.agentMs} ms, sshd ${t.sshMs} ms after start)`);
  }

  protected writeRecord(vm: V): void {
    const rec: HypervisorVmRecord = {
      fleetId: vm.info.fleetId, name: vm.info.name, index: vm.info.index, tap: vm.info.hostLink, pid: vm.info.pid, dir: vm.dir, extraDirs: vm.extraDirs,
    };
    writeFileSync(join(vm.dir, 'vm.json'), `${JSON.stringify(rec)}\n`);
  }

  async destroyFleet(fleetId: string): Promise<void> {
    const vms = this.fleets.get(fleetId);
    if (vms) {
      await Promise.all([...vms.values()].map(async (vm) => {
        vm.info.state = 'stopping';
        await vm.proc?.stop();
        await deleteTap(vm.info.hostLink);
        for (const d of [vm.dir, ...vm.extraDirs]) rmSync(d, { recursive: true, force: true });
        await vm.lease.release();
      }));
      this.fleets.delete(fleetId);
    }
    // Leftovers of this fleet from a crashed process (records on disk, no live handle).
    await cleanupHypervisorLeftovers(join(this.opts.stateDir, this.name), fleetId);
    await removeFleetRules(fleetId);
  }

  async listVms(): Promise<VmInfo[]> {
    return [...this.fleets.values()].flatMap((vms) => [...vms.values()].map((v) => ({ ...v.info })));
  }

  /** The VM, or VM_NOT_FOUND. */
  protected vm(fleetId: string, name: string): V {
    const vm = this.fleets.get(fleetId)?.get(name);
    if (!vm) throw new PuduError('VM_NOT_FOUND', `no VM ${name} in fleet ${fleetId}`);
    return vm;
  }

  async consoleLog(fleetId: string, vmName: string, lines = 100): Promise<string> {
    return tailFile(join(this.vm(fleetId, vmName).dir, 'console.log'), lines);
  }
}
