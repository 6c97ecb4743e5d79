/**
 * The QEMU driver: one qemu-system-x86_64 per VM, microvm with KVM when a probe boot
 * proves KVM works, TCG otherwise (logged with the reason). Per VM: a TAP on the seed's
 * /30, a qcow2 overlay over the shared rootfs.ext4, a tar config disk, the serial console
 * in a log file. Ready = agent /health 200 + sshd banner.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PuduError } from '@pudu/schema';
import type { FleetSpec, VmDriver, VmInfo, VmSpec } from '../driver.ts';
import { addressForIndex, hostNamesForIndex } from '../network/addressing.ts';
import { allocateIndexes, type IndexLease } from '../network/index-allocator.ts';
import { createTap, deleteTap } from '../network/tap.ts';
import { allowFleet, removeFleetRules } from '../network/firewall.ts';
import { hostCommand as run } from './host-command.ts';
import { QEMU_BINARY, chooseAccel, hostTscKhz, type AccelChoice } from './accel-probe.ts';
import { buildQemuArgs, macForIndex, type QemuMachine } from './qemu-args.ts';
import { configDiskEntries, diskSizeMb, growRootFiles } from './guest-config.ts';
import { renderVmFiles } from '../image/vm-config.ts';
import { packTar } from './tar-writer.ts';
import { waitForGuestReady } from './readiness.ts';
import { startVmProcess, tailFile, type VmProcess } from './vm-process.ts';
import { cleanupHypervisorLeftovers, type HypervisorVmRecord } from './leftovers.ts';
import { validateFleet, mapLimit, type HypervisorDriverOptions } from './hypervisor-options.ts';

const TCG_BOOT_TIMEOUT_MS = 240_000;
const KVM_BOOT_TIMEOUT_MS = 60_000;

interface QemuVm {
  info: VmInfo;
  spec: VmSpec;
  dir: string;
  lease: IndexLease;
  proc?: VmProcess;
}


export class QemuDriver implements VmDriver {
  readonly name = 'qemu' as const;
  private readonly fleets = new Map<string, Map<string, QemuVm>>();
  private accel?: Promise<AccelChoice>;
  private readonly machine: QemuMachine;

  constructor(private readonly opts: HypervisorDriverOptions & { machine?: QemuMachine }) {
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

  async createFleet(spec: FleetSpec, o: { onProgress?: (msg: string) => void; signal?: AbortSignal } = {}): Promise<VmInfo[]> {
    validateFleet(spec);
    if (this.fleets.has(spec.id)) throw new PuduError('CONFLICT', `fleet ${spec.id} already exists`);
    for (const f of [this.opts.image.rootfsExt4, this.opts.image.kernel.vmlinuz, this.opts.image.kernel.initrd]) {
      if (!existsSync(f)) throw new PuduError('ASSETS_MISSING', `${f} not found: run ./pudu assets`);
    }
    const progress = o.onProgress ?? (() => {});
    const accel = await this.chooseAccel();
    progress(`qemu: ${accel.accel.toUpperCase()} (${accel.reason})`);
    const leases = await allocateIndexes(spec.vms.length, this.opts.indexRange ?? {});
    const vms = new Map<string, QemuVm>();
    this.fleets.set(spec.id, vms);
    try {
      spec.vms.forEach((vm, i) => {
        const lease = leases[i]!;
        const a = addressForIndex(lease.index);
        const dir = join(this.opts.stateDir, 'qemu', spec.id, vm.name);
        vms.set(vm.name, {
          spec: vm, dir, lease,
          info: {
            name: vm.name, fleetId: spec.id, index: lease.index, hostIp: a.hostIp, guestIp: a.guestIp,
            hostLink: hostNamesForIndex(lease.index).tap, state: 'creating', driver: 'qemu', agentPort: this.opts.agentPort,
          },
        });
      });
      const peers = [...vms.values()].map((v) => ({ name: v.info.name, guestIp: v.info.guestIp, services: v.spec.services }));
      for (const vm of vms.values()) await this.prepareVm(vm, peers, spec);
      await allowFleet(spec.id, [...vms.values()].map((v) => ({ link: v.info.hostLink, guestIp: v.info.guestIp })));
      const tscKhz = this.machine === 'microvm' ? hostTscKhz() : undefined;
      const timeoutMs = this.opts.bootTimeoutMs ?? (accel.accel === 'kvm' ? KVM_BOOT_TIMEOUT_MS : TCG_BOOT_TIMEOUT_MS);
      await mapLimit([...vms.values()], this.opts.maxParallelBoots ?? 2, async (vm) => {
        const started = Date.now();
        await this.bootVm(vm, accel, tscKhz);
        progress(`${vm.info.name}: booting (${vm.info.guestIp} via ${vm.info.hostLink})`);
        const t = await waitForGuestReady({
          guestIp: vm.info.guestIp, link: vm.info.hostLink, agentPort: this.opts.agentPort,
          timeoutMs, signal: o.signal, vmName: vm.info.name,
          deadReason: () => { const r = vm.proc?.exitReason(); return r ? `qemu exited (${r}) before the guest was ready: ${tailFile(join(vm.dir, 'qemu.log'), 5)}` : undefined; },
          consoleTail: () => tailFile(join(vm.dir, 'console.log'), 30),
        });
        vm.info.state = 'ready';
        progress(`${vm.info.name}: ready in ${((Date.now() - started) / 1000).toFixed(1)} s (agent ${t.agentMs} ms, sshd ${t.sshMs} ms after start)`);
      });
      return [...vms.values()].map((v) => ({ ...v.info }));
    } catch (e) {
      await this.destroyFleet(spec.id).catch(() => {});
      await Promise.all(leases.map((l) => l.release()));
      throw e;
    }
  }

  private async prepareVm(vm: QemuVm, peers: { name: string; guestIp: string; services: string[] }[], spec: FleetSpec): Promise<void> {
    rmSync(vm.dir, { recursive: true, force: true });
    mkdirSync(vm.dir, { recursive: true });
    this.writeRecord(vm);
    const sizeMb = diskSizeMb(this.opts.image.rootfsExt4, vm.spec.diskMb);
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', this.opts.image.rootfsExt4, join(vm.dir, 'disk.qcow2'), `${sizeMb}M`], { errorCode: 'VM_START_FAILED' });
    const files = renderVmFiles({ name: vm.spec.name, services: vm.spec.services, fleet: peers, agentToken: spec.agent?.token, agentOpts: spec.agent?.opts });
    writeFileSync(join(vm.dir, 'config.tar'), packTar(configDiskEntries([...files, ...growRootFiles()])));
    await createTap(vm.info.hostLink, `${vm.info.hostIp}/30`);
  }

  private async bootVm(vm: QemuVm, accel: AccelChoice, tscKhz: number | undefined): Promise<void> {
    const args = buildQemuArgs({
      processName: `pudu-qemu-${vm.info.index}`, machine: this.machine, accel: accel.accel,
      vcpus: vm.spec.vcpus, memMb: vm.spec.memMb,
      kernel: this.opts.image.kernel.vmlinuz, initrd: this.opts.image.kernel.initrd,
      disk: join(vm.dir, 'disk.qcow2'), configDisk: join(vm.dir, 'config.tar'),
      tap: vm.info.hostLink, mac: macForIndex(vm.info.index), guestIp: vm.info.guestIp, hostIp: vm.info.hostIp,
      hostname: vm.spec.name, consoleLog: join(vm.dir, 'console.log'), pidFile: join(vm.dir, 'qemu.pid'), tscKhz,
    });
    vm.info.state = 'booting';
    try {
      vm.proc = await startVmProcess(QEMU_BINARY, args, join(vm.dir, 'qemu.log'));
    } catch (e) {
      throw new PuduError('VM_START_FAILED', `${vm.info.name}: ${(e as Error).message}`);
    }
    vm.info.pid = vm.proc.pid;
    this.writeRecord(vm);
  }

  private writeRecord(vm: QemuVm): void {
    const rec: HypervisorVmRecord = { fleetId: vm.info.fleetId, name: vm.info.name, index: vm.info.index, tap: vm.info.hostLink, pid: vm.info.pid, dir: vm.dir };
    writeFileSync(join(vm.dir, 'vm.json'), `${JSON.stringify(rec)}\n`);
  }

  async destroyFleet(fleetId: string): Promise<void> {
    const vms = this.fleets.get(fleetId);
    if (vms) {
      for (const vm of vms.values()) vm.info.state = 'stopping';
      await Promise.all([...vms.values()].map(async (vm) => {
        await vm.proc?.stop();
        await deleteTap(vm.info.hostLink);
        rmSync(vm.dir, { recursive: true, force: true });
        await vm.lease.release();
      }));
      this.fleets.delete(fleetId);
    }
    // Leftovers of this fleet from a crashed process (records on disk, no live handle).
    await cleanupQemuLeftovers(this.opts.stateDir, fleetId);
    await removeFleetRules(fleetId);
  }

  async listVms(): Promise<VmInfo[]> {
    return [...this.fleets.values()].flatMap((vms) => [...vms.values()].map((v) => ({ ...v.info })));
  }

  async consoleLog(fleetId: string, vmName: string, lines = 100): Promise<string> {
    const vm = this.fleets.get(fleetId)?.get(vmName);
    if (!vm) throw new PuduError('VM_NOT_FOUND', `no VM ${vmName} in fleet ${fleetId}`);
    return tailFile(join(vm.dir, 'console.log'), lines);
  }
}

/** Removes what QEMU VMs left behind after their owner died (see cleanupHypervisorLeftovers). */
export function cleanupQemuLeftovers(stateDir: string, fleetId?: string): Promise<string[]> {
  return cleanupHypervisorLeftovers(join(stateDir, 'qemu'), fleetId);
}
