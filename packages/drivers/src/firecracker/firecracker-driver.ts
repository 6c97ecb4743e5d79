/**
 * The Firecracker driver: one firecracker process per VM (optionally under the jailer),
 * configured through its API socket, the guest IP from the `ip=` boot argument, MAC
 * AA:FC:…, a per-VM rootfs copy (reflink where the filesystem can) and the config disk.
 * The fleet's life cycle (TAPs, firewall, readiness, cleanup) is the hypervisor base's.
 */
import { closeSync, copyFileSync, linkSync, mkdirSync, openSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PuduError } from '@pudu/schema';
import { run } from '../util/exec.ts';
import { HypervisorDriver, type BootSettings, type HypervisorVm } from '../hypervisor/hypervisor-driver.ts';
import { diskSizeMb, guestKernelArgs, macForIndex } from '../hypervisor/guest-config.ts';
import { cleanupHypervisorLeftovers } from '../hypervisor/leftovers.ts';
import type { VmProcess } from '../hypervisor/vm-process.ts';
import type { HypervisorDriverOptions } from '../hypervisor/options.ts';
import { FirecrackerApi } from './api-client.ts';
import { buildBootPlan, configureAndStart } from './boot-sequence.ts';
import { launchFirecracker, launchLayout, type FirecrackerBinaries, type LaunchLayout } from './launch.ts';

const BOOT_TIMEOUT_MS = 60_000;
const MAX_PARALLEL_BOOTS = 8;
const FIRST_GUEST_CID = 3;
const MIB = 1024 * 1024;
const FIRECRACKER_ID_MAX_CHARS = 64;

export interface FirecrackerDriverOptions extends HypervisorDriverOptions {
  binaries: FirecrackerBinaries;
  /** Give each VM a vsock device (CID = 3 + VM index). */
  vsock?: boolean;
}

interface FcVm extends HypervisorVm {
  layout: LaunchLayout;
  api?: FirecrackerApi;
}

/** Copies `src` to `dst` sharing blocks when the filesystem supports it (btrfs, xfs), a plain copy otherwise. */
export async function copyRootfs(src: string, dst: string): Promise<void> {
  await run('cp', ['--reflink=auto', '--sparse=always', src, dst], { errorCode: 'VM_START_FAILED' });
}

export class FirecrackerDriver extends HypervisorDriver<FcVm> {
  readonly name = 'firecracker' as const;
  /** Firecracker's stdout is the guest's serial console. */
  protected readonly processLog = 'console.log';

  constructor(protected override readonly opts: FirecrackerDriverOptions) {
    super(opts);
  }

  private get kernel(): string {
    const k = this.opts.image.kernel.vmlinux;
    if (!k) throw new PuduError('ASSETS_MISSING', 'Firecracker needs an uncompressed vmlinux: run ./pudu assets');
    return k;
  }

  protected requiredFiles(): string[] {
    return [this.opts.image.rootfsExt4, this.kernel, this.opts.image.kernel.initrd];
  }

  protected async bootSettings(): Promise<BootSettings> {
    return { timeoutMs: this.opts.bootTimeoutMs ?? BOOT_TIMEOUT_MS, maxParallel: MAX_PARALLEL_BOOTS };
  }

  protected describeVm(vm: HypervisorVm): FcVm {
    const layout = launchLayout(this.opts.binaries, vmId(vm), vm.dir);
    // Under the jailer the VM's files live in its chroot, which the VM owns too.
    return { ...vm, layout, extraDirs: layout.filesDir !== vm.dir ? [join(layout.filesDir, '..')] : [] };
  }

  protected async writeDisks(vm: FcVm, config: Buffer): Promise<void> {
    const files = vm.layout.filesDir;
    mkdirSync(files, { recursive: true });
    const rootfs = join(files, 'rootfs.ext4');
    await copyRootfs(this.opts.image.rootfsExt4, rootfs);
    truncateSync(rootfs, diskSizeMb(this.opts.image.rootfsExt4, vm.spec.diskMb) * MIB);
    writeFileSync(join(files, 'config.tar'), config);
    if (files !== vm.dir) {
      // Under the jailer the kernel must be inside the chroot: hard links cost nothing on the same filesystem.
      for (const f of [this.kernel, this.opts.image.kernel.initrd]) linkOrCopy(f, join(files, basename(f)));
    }
    for (const f of ['firecracker-vmm.log', 'firecracker-metrics.json']) closeSync(openSync(join(files, f), 'a'));
  }

  protected async startVm(vm: FcVm): Promise<VmProcess> {
    const proc = await launchFirecracker(this.opts.binaries, vmId(vm), vm.layout, join(vm.dir, this.processLog));
    // Recorded before the API is driven, so a failed configuration or a crash of ours leaves a process cleanup can find.
    vm.proc = proc;
    vm.info.pid = proc.pid;
    this.writeRecord(vm);
    vm.api = new FirecrackerApi(vm.layout.apiSocket);
    const jailed = vm.layout.filesDir !== vm.dir;
    const plan = buildBootPlan({
      vmDir: jailed ? '' : vm.dir,
      vcpus: vm.spec.vcpus, memMb: vm.spec.memMb,
      kernel: jailed ? vm.layout.apiPath(basename(this.kernel)) : this.kernel,
      initrd: jailed ? vm.layout.apiPath(basename(this.opts.image.kernel.initrd)) : this.opts.image.kernel.initrd,
      bootArgs: guestKernelArgs({ guestIp: vm.info.guestIp, hostIp: vm.info.hostIp, hostname: vm.spec.name }),
      rootfs: vm.layout.apiPath('rootfs.ext4'), configDisk: vm.layout.apiPath('config.tar'),
      tap: vm.info.hostLink, mac: macForIndex(vm.info.index),
      vsockCid: this.opts.vsock ? FIRST_GUEST_CID + vm.info.index : undefined,
    });
    await configureAndStart(vm.api, plan);
    return proc;
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

  private api(fleetId: string, name: string): FirecrackerApi {
    const vm = this.vm(fleetId, name);
    if (!vm.api) throw new PuduError('CONFLICT', `VM ${name} has not started`);
    return vm.api;
  }
}

/**
 * Firecracker's and the jailer's `--id` (alphanumerics and dashes, ≤ 64 characters). The
 * host-wide VM index makes it unique; the name makes `ps` readable.
 */
function vmId(vm: HypervisorVm): string {
  return `pudu-${vm.info.index}-${vm.info.name}`.slice(0, FIRECRACKER_ID_MAX_CHARS);
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
