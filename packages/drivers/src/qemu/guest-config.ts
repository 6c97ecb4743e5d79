/**
 * Turns the files that make one VM itself (renderVmFiles: hostname, /etc/hosts with the
 * fleet's peers, enabled tier services, the agent's token and options) into the entries of
 * the VM's config disk, parents first. Shared by the QEMU and Firecracker drivers.
 */
import type { VmFile } from '../image/vm-config.ts';
import type { TarEntry } from './tar-writer.ts';

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
