/**
 * Every agent change makes a new final image layer (~1.3 GB with rootfs.ext4); old ones
 * are removed after a build, keeping the newest few and any a VM still uses: a sandbox VM
 * names its lower layer in its record, a QEMU VM holds rootfs.ext4 open as a backing file.
 */
import { existsSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readVmMetas } from '../sandbox/reconcile.ts';
import { pidAlive } from '../util/pid.ts';
import { unmountUnderSync } from '../util/mounts.ts';

export const KEEP_IMAGES = 3;

/** Removes an image directory so that no reader ever takes the remains for a complete image. */
export function removeImageDir(dir: string): void {
  unmountUnderSync(dir);
  rmSync(join(dir, 'manifest.json'), { force: true });
  rmSync(join(dir, '.complete'), { force: true });
  rmSync(dir, { recursive: true, force: true });
}

function openFilesUnder(dir: string): boolean {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(`${dir}/`)) return true;
      } catch { /* closed meanwhile */ }
    }
  }
  return false;
}

function mountedFrom(dir: string): boolean {
  // An overlay lists its lowerdir in the mount options of whoever mounted it; VMs' mounts are in their own
  // namespaces, so the records are the reliable source — this catches hand-made mounts in ours.
  return readFileSync('/proc/self/mountinfo', 'utf8').includes(dir);
}

/** Scratch dirs (`.inputs-PID`, `*.tmp-PID`, `*.old-PID`) of builds whose process is gone. */
function removeDeadScratch(root: string): string[] {
  const removed: string[] = [];
  for (const e of readdirSync(root)) {
    const m = /(?:^\.inputs-|\.tmp-|\.old-)(\d+)$/.exec(e);
    if (m && !pidAlive(Number(m[1]))) {
      removeImageDir(join(root, e));
      removed.push(join(root, e));
    }
  }
  return removed;
}

/** Removes final image layers beyond the newest `keep` that nothing uses, and dead builds' scratch; returns the removed dirs. */
export function pruneGuestImages(cacheDir: string, keep = KEEP_IMAGES, protect: string[] = []): string[] {
  const root = join(cacheDir, 'image');
  let entries: string[] = [];
  try {
    entries = readdirSync(root).filter((e) => /^[0-9a-f]{16}$/.test(e));
  } catch {
    return [];
  }
  const removed: string[] = removeDeadScratch(root);
  // A final-name directory without its manifest is the remains of an interrupted removal (builds use temporary names).
  for (const e of entries.filter((x) => !existsSync(join(root, x, 'manifest.json')))) {
    removeImageDir(join(root, e));
    removed.push(join(root, e));
  }
  const byAge = entries
    .filter((e) => existsSync(join(root, e, 'manifest.json')))
    .map((e) => ({ dir: join(root, e), mtime: statSync(join(root, e)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  const used = new Set(readVmMetas().map((m) => m.rootfsDir).filter((d): d is string => !!d));
  for (const { dir } of byAge.slice(keep)) {
    if (protect.includes(dir) || [...used].some((u) => u.startsWith(`${dir}/`)) || mountedFrom(dir) || openFilesUnder(dir)) continue;
    removeImageDir(dir);
    removed.push(dir);
  }
  return removed;
}
