/**
 * The QEMU driver: one qemu-system-x86_64 per VM, microvm with KVM when a probe boot
 * proves KVM works, TCG otherwise (logged with the reason). Per VM: a qcow2 overlay over
 * the shared rootfs.ext4, the config disk, the serial console in a log file. The fleet's
 * life cycle (TAPs, firewall, readiness, cleanup) is the hypervisor base's.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PuduError } from '@pudu/schema';
import { run } from '../util/exec.ts';
import { HypervisorDriver, type BootSettings, type HypervisorVm, type Progress } from '../hypervisor/hypervisor-driver.ts';
import { diskSizeMb, macForIndex } from '../hypervisor/guest-config.ts';
import { cleanupHypervisorLeftovers } from '../hypervisor/leftovers.ts';
import { startVmProcess, type VmProcess } from '../hypervisor/vm-process.ts';
import type { HypervisorDriverOptions } from '../hypervisor/options.ts';
import { QEMU_BINARY, chooseAccel, hostTscKhz, type AccelChoice } from './accel-probe.ts';
import { buildQemuArgs, type QemuMachine } from './qemu-args.ts';

const TCG_BOOT_TIMEOUT_MS = 240_000;
const KVM_BOOT_TIMEOUT_MS = 60_000;
/** TCG guests are CPU-bound: two booting at once already fill this kind of host. */
const MAX_PARALLEL_BOOTS = 2;
/** A TCG guest can take seconds to answer one SSH handshake (see readiness's attemptTimeoutMs). */
const PROBE_ATTEMPT_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 200;

interface QemuBoot extends BootSettings {
  accel: AccelChoice;
  tscKhz?: number;
}

export class QemuDriver extends HypervisorDriver<HypervisorVm, QemuBoot> {
  readonly name = 'qemu' as const;
  protected readonly processLog = 'qemu.log';
  private accel?: Promise<AccelChoice>;
  private readonly machine: QemuMachine;

  constructor(opts: HypervisorDriverOptions & { machine?: QemuMachine }) {
    super(opts);
    this.machine = opts.machine ?? 'microvm';
  }

  /** The accelerator this driver boots with (probed once per driver). */
  chooseAccel(): Promise<AccelChoice> {
    this.accel ??= chooseAccel({ kernel: this.opts.image.kernel.vmlinuz, initrd: this.opts.image.kernel.initrd, machine: this.machine, cacheDir: this.opts.cacheDir })
      .then((c) => {
        this.opts.log?.(`qemu: accelerator ${c.accel.toUpperCase()}: ${c.reason}`);
        return c;
      });
    return this.accel;
  }

  protected requiredFiles(): string[] {
    return [this.opts.image.rootfsExt4, this.opts.image.kernel.vmlinuz, this.opts.image.kernel.initrd];
  }

  protected async bootSettings(progress: Progress): Promise<QemuBoot> {
    const accel = await this.chooseAccel();
    progress(`qemu: ${accel.accel.toUpperCase()} (${accel.reason})`);
    return {
      accel,
      tscKhz: this.machine === 'microvm' ? hostTscKhz() : undefined,
      timeoutMs: this.opts.bootTimeoutMs ?? (accel.accel === 'kvm' ? KVM_BOOT_TIMEOUT_MS : TCG_BOOT_TIMEOUT_MS),
      maxParallel: MAX_PARALLEL_BOOTS,
      attemptTimeoutMs: PROBE_ATTEMPT_TIMEOUT_MS,
      pollIntervalMs: POLL_INTERVAL_MS,
    };
  }

  protected describeVm(vm: HypervisorVm): HypervisorVm {
    return vm;
  }

  protected async writeDisks(vm: HypervisorVm, config: Buffer): Promise<void> {
    const sizeMb = diskSizeMb(this.opts.image.rootfsExt4, vm.spec.diskMb);
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', this.opts.image.rootfsExt4, join(vm.dir, 'disk.qcow2'), `${sizeMb}M`], { errorCode: 'VM_START_FAILED' });
    writeFileSync(join(vm.dir, 'config.tar'), config);
  }

  protected async startVm(vm: HypervisorVm, { accel, tscKhz }: QemuBoot): Promise<VmProcess> {
    const args = buildQemuArgs({
      processName: `pudu-qemu-${vm.info.index}`, machine: this.machine, accel: accel.accel,
      vcpus: vm.spec.vcpus, memMb: vm.spec.memMb,
      kernel: this.opts.image.kernel.vmlinuz, initrd: this.opts.image.kernel.initrd,
      disk: join(vm.dir, 'disk.qcow2'), configDisk: join(vm.dir, 'config.tar'),
      tap: vm.info.hostLink, mac: macForIndex(vm.info.index), guestIp: vm.info.guestIp, hostIp: vm.info.hostIp,
      hostname: vm.spec.name, consoleLog: join(vm.dir, 'console.log'), pidFile: join(vm.dir, 'qemu.pid'), tscKhz,
    });
    try {
      return await startVmProcess(QEMU_BINARY, args, join(vm.dir, this.processLog));
    } catch (e) {
      throw new PuduError('VM_START_FAILED', `${vm.info.name}: ${(e as Error).message}`);
    }
  }
}

/** Removes what QEMU VMs left behind after their owner died (see cleanupHypervisorLeftovers). */
export function cleanupQemuLeftovers(stateDir: string, fleetId?: string): Promise<string[]> {
  return cleanupHypervisorLeftovers(join(stateDir, 'qemu'), fleetId);
}
