/**
 * Turns the files that make one VM itself (renderVmFiles: hostname, /etc/hosts with the
 * fleet's peers, enabled tier services, the agent's token and options) into the entries of
 * the VM's config disk, parents first. Shared by the QEMU and Firecracker drivers.
 */
import { statSync } from 'node:fs';
import type { VmFile } from '../image/vm-config.ts';
import type { TarEntry } from './tar-writer.ts';

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
