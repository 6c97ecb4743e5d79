/**
 * The QEMU command line for one VM, as a pure function so tests can check it without
 * starting anything. microvm (virtio-mmio, no PCI, no firmware) is the default: it boots
 * fastest; q35 (virtio-pci) is there for QEMUs without microvm.
 */

export type QemuMachine = 'microvm' | 'q35';
export type QemuAccel = 'kvm' | 'tcg';

export interface QemuVmConfig {
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
  guestIp: string;
  hostIp: string;
  hostname: string;
  consoleLog: string;
  pidFile: string;
  /** Host TSC in kHz; microvm guests hang at "Marking TSC unstable" without it under TCG. */
  tscKhz?: number;
  extraKernelArgs?: string[];
}

/** Netmask of the per-VM /30. */
const NETMASK_30 = '255.255.255.252';

/** `AA:FC:00:00:00:NN` (the seed's scheme) widened to 24 bits of index so it never wraps past 255. */
export function macForIndex(index: number): string {
  const b = [(index >>> 16) & 255, (index >>> 8) & 255, index & 255];
  return ['AA', 'FC', '00', ...b.map((x) => x.toString(16).toUpperCase().padStart(2, '0'))].join(':');
}

/** Kernel command line shared by QEMU and Firecracker guests. */
export function guestKernelArgs(c: Pick<QemuVmConfig, 'guestIp' | 'hostIp' | 'hostname' | 'tscKhz' | 'extraKernelArgs'>): string[] {
  return [
    'console=ttyS0', 'reboot=k', 'panic=-1', 'net.ifnames=0', 'loglevel=4',
    // The image has no udev to announce ttyS0: a serial getty would wait 90 s for it; logins go through SSH.
    'systemd.getty_auto=0',
    `ip=${c.guestIp}::${c.hostIp}:${NETMASK_30}:${c.hostname}:eth0:off`,
    `systemd.hostname=${c.hostname}`,
    ...(c.tscKhz ? [`tsc_early_khz=${c.tscKhz}`] : []),
    ...(c.extraKernelArgs ?? []),
  ];
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
