/**
 * The QEMU command line for one VM, as a pure function so tests can check it without
 * starting anything. microvm (virtio-mmio, no PCI, no firmware) is the default: it boots
 * fastest; q35 (virtio-pci) is there for QEMUs without microvm.
 */

import { guestKernelArgs, type GuestKernelInput } from '../hypervisor/guest-config.ts';

export type QemuMachine = 'microvm' | 'q35';
export type QemuAccel = 'kvm' | 'tcg';

export interface QemuVmConfig extends GuestKernelInput {
  /** Process title, so `ps` and cleanup can tell Pudu's QEMUs apart. */
  processName: string;
  machine: QemuMachine;
  accel: QemuAccel;
  vcpus: number;
  memMb: number;
  kernel: string;
  initrd: string;
  /** qcow2 overlay holding the VM's writes over the shared rootfs.ext4. */
  disk: string;
  /** Raw tar archive the initramfs unpacks over the root (hostname, hosts, units, token). */
  configDisk: string;
  tap: string;
  mac: string;
  consoleLog: string;
  pidFile: string;
}

/** argv (without the binary) for qemu-system-x86_64. */
export function buildQemuArgs(c: QemuVmConfig): string[] {
  const dev = c.machine === 'microvm' ? 'device' : 'pci';
  const machine = c.machine === 'microvm' ? 'microvm' : 'q35';
  return [
    '-name', `${c.processName},process=${c.processName}`,
    '-M', machine,
    '-accel', c.accel,
    '-cpu', c.accel === 'kvm' ? 'host' : 'max',
    '-smp', String(c.vcpus),
    '-m', `${c.memMb}M`,
    '-nodefaults', '-no-user-config', '-nographic', '-no-reboot',
    '-serial', `file:${c.consoleLog}`,
    '-kernel', c.kernel,
    '-initrd', c.initrd,
    '-append', guestKernelArgs(c.machine === 'microvm' ? c : { ...c, tscKhz: undefined }).join(' '),
    '-drive', `id=root,file=${c.disk},format=qcow2,if=none,discard=unmap`,
    '-device', `virtio-blk-${dev},drive=root`,
    '-drive', `id=cfg,file=${c.configDisk},format=raw,if=none,readonly=on`,
    '-device', `virtio-blk-${dev},drive=cfg`,
    '-netdev', `tap,id=net0,ifname=${c.tap},script=no,downscript=no`,
    '-device', `virtio-net-${dev},netdev=net0,mac=${c.mac}`,
    '-pidfile', c.pidFile,
    // seccomp: a guest that escapes into QEMU still cannot exec, setuid or touch obsolete syscalls.
    '-sandbox', 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny',
  ];
}
