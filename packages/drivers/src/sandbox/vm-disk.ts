/**
 * The per-VM disk: a sparse ext4 file of `disk_mb`, loop-mounted inside the VM's mount
 * namespace as the overlay's upper layer, so `df -h /` inside the VM shows its disk size
 * and a disk-fill fault hits ENOSPC at that size.
 */
import { closeSync, openSync, ftruncateSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxStateRoot } from './paths.ts';
import { run } from '../util/exec.ts';
import { VM_ID_BASE, chownToVmRoot } from './userns.ts';

const BLOCK_BYTES = 4096;
const MKFS_OPTS = ['-q', '-F', '-b', String(BLOCK_BYTES), '-i', '65536', '-m', '0', '-O', '^has_journal,^resize_inode', '-E', 'lazy_itable_init=1,nodiscard'];
/** Block counts that make statfs report exactly diskMb, learnt once per size. */
const blocksForMb = new Map<number, number>();

/**
 * upper/ and work/ for the overlay, put on the disk by mkfs itself (one exec less at boot),
 * owned by the VM's root: upper/ is the VM's `/`.
 */
function diskSkeleton(): string {
  const dir = join(sandboxStateRoot(), `.disk-skeleton-${VM_ID_BASE}`);
  for (const d of ['upper', 'work']) {
    mkdirSync(join(dir, d), { recursive: true });
    chownToVmRoot(join(dir, d));
  }
  return dir;
}

async function mkfs(path: string, blocks: number, label: string): Promise<void> {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, blocks * BLOCK_BYTES);
  } finally {
    closeSync(fd);
  }
  await run('mkfs.ext4', [...MKFS_OPTS, '-L', label, '-d', diskSkeleton(), path], { errorCode: 'VM_START_FAILED' });
}

async function overheadBlocks(path: string): Promise<number> {
  const { stdout } = await run('dumpe2fs', ['-h', path], { errorCode: 'VM_START_FAILED' });
  return Number(/^Overhead clusters:\s+(\d+)/m.exec(stdout)?.[1] ?? 0);
}

/** Creates the VM's disk image so that its usable size (what df shows) is diskMb. */
export async function createVmDisk(path: string, diskMb: number, label: string): Promise<void> {
  const target = (diskMb * 1024 * 1024) / BLOCK_BYTES;
  const known = blocksForMb.get(diskMb);
  if (known) {
    await mkfs(path, known, label);
    return;
  }
  // ext4 metadata eats ~0.4 %: format once to learn how much, then grow the file by that.
  await mkfs(path, target, label);
  const blocks = target + (await overheadBlocks(path));
  await mkfs(path, blocks, label);
  blocksForMb.set(diskMb, blocks);
}
