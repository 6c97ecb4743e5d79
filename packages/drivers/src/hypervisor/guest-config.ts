/**
 * What makes a hypervisor guest itself, shared by the QEMU and Firecracker drivers: its
 * kernel command line (address, gateway, hostname), its MAC, and the config disk — the
 * files renderVmFiles gives one VM (hostname, /etc/hosts with the fleet's peers, enabled
 * tier services, the agent's token and options) as tar entries, parents first.
 */
import { statSync } from 'node:fs';
import type { VmFile } from '../image/vm-config.ts';
import type { TarEntry } from './tar-writer.ts';

/** Netmask of the per-VM /30. */
const NETMASK_30 = '255.255.255.252';

export interface GuestKernelInput {
  guestIp: string;
  hostIp: string;
  hostname: string;
  /** Host TSC in kHz; microvm guests hang at "Marking TSC unstable" without it under TCG. */
  tscKhz?: number;
  extraKernelArgs?: string[];
}

/** `AA:FC:00:00:00:NN` (the seed's scheme) widened to 24 bits of index so it never wraps past 255. */
export function macForIndex(index: number): string {
  const b = [(index >>> 16) & 255, (index >>> 8) & 255, index & 255];
  return ['AA', 'FC', '00', ...b.map((x) => x.toString(16).toUpperCase().padStart(2, '0'))].join(':');
}

/** Kernel command line of a QEMU or Firecracker guest: the address comes from `ip=`, no DHCP. */
export function guestKernelArgs(c: GuestKernelInput): string[] {
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

const GROWFS_UNIT = 'pudu-growfs.service';

/**
 * A unit that grows the root ext4 online to the size of its disk (the driver makes the
 * disk `diskMb` large), so `df -h /` shows the tier's disk like the sandbox does.
 * systemd-growfs uses the kernel's online resize: no resize2fs needed in the image.
 */
export function growRootFiles(): VmFile[] {
  return [
    {
      path: `/etc/systemd/system/${GROWFS_UNIT}`,
      content: `[Unit]
Description=Grow the root filesystem to the VM's disk size
DefaultDependencies=no
After=systemd-remount-fs.service
Before=local-fs.target shutdown.target
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/lib/systemd/systemd-growfs /
`,
    },
    { path: `/etc/systemd/system/local-fs.target.wants/${GROWFS_UNIT}`, symlink: `/etc/systemd/system/${GROWFS_UNIT}` },
  ];
}

/** Tar entries for a VM's config disk. */
export function configDiskEntries(files: VmFile[]): TarEntry[] {
  const entries: TarEntry[] = [];
  const dirs = new Set<string>();
  for (const f of files) {
    const rel = f.path.replace(/^\/+/, '');
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (dirs.has(d)) continue;
      dirs.add(d);
      entries.push({ path: d, type: 'dir' });
    }
    if ('symlink' in f) entries.push({ path: rel, type: 'symlink', data: f.symlink });
    else entries.push({ path: rel, type: 'file', data: f.content, mode: f.mode ?? 0o644 });
  }
  return entries;
}

/** The VM's disk size: the tier's diskMb, never smaller than the image (a filesystem cannot be shrunk online). */
export function diskSizeMb(rootfsExt4: string, diskMb: number): number {
  return Math.max(diskMb, Math.ceil(statSync(rootfsExt4).size / (1024 * 1024)));
}
