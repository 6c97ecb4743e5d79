/**
 * The Firecracker driver: one firecracker process per VM (optionally under the jailer),
 * configured through its API socket, a TAP on the seed's /30, the guest IP from the `ip=`
 * boot argument, MAC AA:FC:…, a per-VM rootfs copy (reflink where the filesystem can),
 * the same tar config disk and readiness checks as the QEMU driver.
 */
import { closeSync, existsSync, linkSync, mkdirSync, openSync, rmSync, truncateSync, writeFileSync, copyFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PuduError } from '@pudu/schema';
import type { FleetSpec, VmDriver, VmInfo, VmSpec } from '../driver.ts';
import { addressForIndex, hostNamesForIndex } from '../network/addressing.ts';
import { allocateIndexes, type IndexLease } from '../network/index-allocator.ts';
import { createTap, deleteTap } from '../network/tap.ts';
import { allowFleet, removeFleetRules } from '../network/firewall.ts';
import { renderVmFiles } from '../image/vm-config.ts';
import { hostCommand } from '../qemu/host-command.ts';
import { guestKernelArgs, macForIndex } from '../qemu/qemu-args.ts';
import { configDiskEntries, diskSizeMb, growRootFiles } from '../qemu/guest-config.ts';
import { packTar } from '../qemu/tar-writer.ts';
import { waitForGuestReady } from '../qemu/readiness.ts';
import { tailFile, type VmProcess } from '../qemu/vm-process.ts';
import { cleanupHypervisorLeftovers, type HypervisorVmRecord } from '../qemu/leftovers.ts';
import { mapLimit, validateFleet, type HypervisorDriverOptions } from '../qemu/hypervisor-options.ts';
import { FirecrackerApi } from './api-client.ts';
import { buildBootPlan, configureAndStart } from './boot-sequence.ts';
import { launchFirecracker, launchLayout, type FirecrackerBinaries, type LaunchLayout } from './launch.ts';

const BOOT_TIMEOUT_MS = 60_000;
const FIRST_GUEST_CID = 3;
const MIB = 1024 * 1024;

export interface FirecrackerDriverOptions extends HypervisorDriverOptions {
  binaries: FirecrackerBinaries;
  /** Give each VM a vsock device (CID = 3 + VM index). */
  vsock?: boolean;
}

interface FcVm {
  info: VmInfo;
  spec: VmSpec;
  dir: string;
  layout: LaunchLayout;
  lease: IndexLease;
  proc?: VmProcess;
  api?: FirecrackerApi;
}

/** Copies `src` to `dst` sharing blocks when the filesystem supports it (btrfs, xfs), a plain copy otherwise. */
export async function copyRootfs(src: string, dst: string): Promise<void> {
  await hostCommand('cp', ['--reflink=auto', '--sparse=always', src, dst], { errorCode: 'VM_START_FAILED' });
}

export class FirecrackerDriver implements VmDriver {
  readonly name = 'firecracker' as const;
  private readonly fleets = new Map<string, Map<string, FcVm>>();

  constructor(private readonly opts: FirecrackerDriverOptions) {}

  async createFleet(spec: FleetSpec, o: { onProgress?: (msg: string) => void; signal?: AbortSignal } = {}): Promise<VmInfo[]> {
    validateFleet(spec);
    if (this.fleets.has(spec.id)) throw new PuduError('CONFLICT', `fleet ${spec.id} already exists`);
    const kernel = this.opts.image.kernel.vmlinux;
    if (!kernel) throw new PuduError('ASSETS_MISSING', 'Firecracker needs an uncompressed vmlinux: run ./pudu assets');
    for (const f of [this.opts.image.rootfsExt4, kernel, this.opts.image.kernel.initrd]) {
      if (!existsSync(f)) throw new PuduError('ASSETS_MISSING', `${f} not found: run ./pudu assets`);
    }
    const progress = o.onProgress ?? (() => {});
    const leases = await allocateIndexes(spec.vms.length, this.opts.indexRange ?? {});
    const vms = new Map<string, FcVm>();
    this.fleets.set(spec.id, vms);
    try {
      spec.vms.forEach((vm, i) => {
        const lease = leases[i]!;
        const a = addressForIndex(lease.index);
        const dir = join(this.opts.stateDir, 'firecracker', spec.id, vm.name);
        vms.set(vm.name, {
          spec: vm, dir, lease, layout: launchLayout(this.opts.binaries, vmId(spec.id, vm.name), dir),
          info: {
            name: vm.name, fleetId: spec.id, index: lease.index, hostIp: a.hostIp, guestIp: a.guestIp,
            hostLink: hostNamesForIndex(lease.index).tap, state: 'creating', driver: 'firecracker', agentPort: this.opts.agentPort,
          },
        });
      });
      const peers = [...vms.values()].map((v) => ({ name: v.info.name, guestIp: v.info.guestIp, services: v.spec.services }));
      for (const vm of vms.values()) {
        progress(`${vm.info.name}: copying rootfs`);
        await this.prepareVm(vm, peers, spec);
      }
      await allowFleet(spec.id, [...vms.values()].map((v) => ({ link: v.info.hostLink, guestIp: v.info.guestIp })));
      await mapLimit([...vms.values()], this.opts.maxParallelBoots ?? 8, async (vm) => {
        const started = Date.now();
        await this.bootVm(vm, kernel);
        progress(`${vm.info.name}: InstanceStart sent (${vm.info.guestIp} via ${vm.info.hostLink})`);
        await waitForGuestReady({
          guestIp: vm.info.guestIp, link: vm.info.hostLink, agentPort: this.opts.agentPort,
          timeoutMs: this.opts.bootTimeoutMs ?? BOOT_TIMEOUT_MS, signal: o.signal, vmName: vm.info.name,
          deadReason: () => { const r = vm.proc?.exitReason(); return r ? `firecracker exited (${r}) before the guest was ready` : undefined; },
          consoleTail: () => tailFile(join(vm.dir, 'console.log'), 30),
        });
        vm.info.state = 'ready';
        progress(`${vm.info.name}: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      });
      return [...vms.values()].map((v) => ({ ...v.info }));
    } catch (e) {
      await this.destroyFleet(spec.id).catch(() => {});
      await Promise.all(leases.map((l) => l.release()));
      throw e;
    }
  }

  private async prepareVm(vm: FcVm, peers: { name: string; guestIp: string; services: string[] }[], spec: FleetSpec): Promise<void> {
    rmSync(vm.dir, { recursive: true, force: true });
    mkdirSync(vm.dir, { recursive: true });
    mkdirSync(vm.layout.filesDir, { recursive: true });
    const rootfs = join(vm.layout.filesDir, 'rootfs.ext4');
    await copyRootfs(this.opts.image.rootfsExt4, rootfs);
    truncateSync(rootfs, diskSizeMb(this.opts.image.rootfsExt4, vm.spec.diskMb) * MIB);
    const files = renderVmFiles({ name: vm.spec.name, services: vm.spec.services, fleet: peers, agentToken: spec.agent?.token, agentOpts: spec.agent?.opts });
    writeFileSync(join(vm.layout.filesDir, 'config.tar'), packTar(configDiskEntries([...files, ...growRootFiles()])));
    if (vm.layout.filesDir !== vm.dir) {
      // Under the jailer the kernel must be inside the chroot: hard links cost nothing on the same filesystem.
      for (const f of [this.opts.image.kernel.vmlinux!, this.opts.image.kernel.initrd]) linkOrCopy(f, join(vm.layout.filesDir, basename(f)));
    }
    for (const f of ['firecracker-vmm.log', 'firecracker-metrics.json']) closeSync(openSync(join(vm.layout.filesDir, f), 'a'));
    writeRecord(vm);
    await createTap(vm.info.hostLink, `${vm.info.hostIp}/30`);
  }

  private async bootVm(vm: FcVm, kernel: string): Promise<void> {
    vm.info.state = 'booting';
    vm.proc = await launchFirecracker(this.opts.binaries, vmId(vm.info.fleetId, vm.info.name), vm.layout, join(vm.dir, 'console.log'));
    vm.info.pid = vm.proc.pid;
    writeRecord(vm);
    vm.api = new FirecrackerApi(vm.layout.apiSocket);
    const jailed = vm.layout.filesDir !== vm.dir;
    const plan = buildBootPlan({
      vmDir: jailed ? '' : vm.dir,
      vcpus: vm.spec.vcpus, memMb: vm.spec.memMb,
      kernel: jailed ? vm.layout.apiPath(basename(kernel)) : kernel,
      initrd: jailed ? vm.layout.apiPath(basename(this.opts.image.kernel.initrd)) : this.opts.image.kernel.initrd,
      bootArgs: guestKernelArgs({ guestIp: vm.info.guestIp, hostIp: vm.info.hostIp, hostname: vm.spec.name }),
      rootfs: vm.layout.apiPath('rootfs.ext4'), configDisk: vm.layout.apiPath('config.tar'),
      tap: vm.info.hostLink, mac: macForIndex(vm.info.index),
      vsockCid: this.opts.vsock ? FIRST_GUEST_CID + vm.info.index : undefined,
    });
    await configureAndStart(vm.api, plan);
  }

  /** Pauses a running VM (PATCH /vm Paused). */
  async pauseVm(fleetId: string, name: string): Promise<void> { await this.api(fleetId, name).pause(); }
  /** Resumes a paused VM. */
  async resumeVm(fleetId: string, name: string): Promise<void> { await this.api(fleetId, name).resume(); }
  /** Writes a full snapshot of a paused VM into its state directory; returns the two paths. */
  async snapshotVm(fleetId: string, name: string): Promise<{ snapshotPath: string; memPath: string }> {
    const vm = this.vm(fleetId, name);
    const snapshotPath = vm.layout.apiPath('snapshot.vmstate');
    const memPath = vm.layout.apiPath('snapshot.mem');
    await this.api(fleetId, name).createSnapshot({ snapshot_type: 'Full', snapshot_path: snapshotPath, mem_file_path: memPath });
    return { snapshotPath, memPath };
  }
  /** Asks the guest to reboot (Ctrl+Alt+Del), which with `reboot=k` ends the firecracker process. */
  async ctrlAltDel(fleetId: string, name: string): Promise<void> { await this.api(fleetId, name).action('SendCtrlAltDel'); }

  private vm(fleetId: string, name: string): FcVm {
    const vm = this.fleets.get(fleetId)?.get(name);
    if (!vm) throw new PuduError('VM_NOT_FOUND', `no VM ${name} in fleet ${fleetId}`);
    return vm;
  }

  private api(fleetId: string, name: string): FirecrackerApi {
    const vm = this.vm(fleetId, name);
    if (!vm.api) throw new PuduError('CONFLICT', `VM ${name} has not started`);
    return vm.api;
  }

  async destroyFleet(fleetId: string): Promise<void> {
    const vms = this.fleets.get(fleetId);
    if (vms) {
      await Promise.all([...vms.values()].map(async (vm) => {
        vm.info.state = 'stopping';
        await vm.proc?.stop();
        await deleteTap(vm.info.hostLink);
        rmSync(vm.dir, { recursive: true, force: true });
        if (vm.layout.filesDir !== vm.dir) rmSync(join(vm.layout.filesDir, '..'), { recursive: true, force: true });
        await vm.lease.release();
      }));
      this.fleets.delete(fleetId);
    }
    await cleanupFirecrackerLeftovers(this.opts.stateDir, fleetId);
    await removeFleetRules(fleetId);
  }

  async listVms(): Promise<VmInfo[]> {
    return [...this.fleets.values()].flatMap((vms) => [...vms.values()].map((v) => ({ ...v.info })));
  }

  async consoleLog(fleetId: string, vmName: string, lines = 100): Promise<string> {
    return tailFile(join(this.vm(fleetId, vmName).dir, 'console.log'), lines);
  }
}

/** Firecracker's and the jailer's `--id`: alphanumerics and dashes, ≤ 64 characters. */
function vmId(fleetId: string, name: string): string {
  return `pudu-${fleetId}-${name}`.slice(0, 64);
}

function writeRecord(vm: FcVm): void {
  const rec: HypervisorVmRecord = { fleetId: vm.info.fleetId, name: vm.info.name, index: vm.info.index, tap: vm.info.hostLink, pid: vm.info.pid, dir: vm.dir, extraDirs: vm.layout.filesDir !== vm.dir ? [join(vm.layout.filesDir, '..')] : [] };
  writeFileSync(join(vm.dir, 'vm.json'), `${JSON.stringify(rec)}\n`);
}

/** Removes what Firecracker VMs left behind after their owner died (see cleanupHypervisorLeftovers). */
export function cleanupFirecrackerLeftovers(stateDir: string, fleetId?: string): Promise<string[]> {
  return cleanupHypervisorLeftovers(join(stateDir, 'firecracker'), fleetId);
}

function linkOrCopy(src: string, dst: string): void {
  try {
    linkSync(src, dst);
  } catch {
    copyFileSync(src, dst);
  }
}
