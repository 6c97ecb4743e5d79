/**
 * The sandbox's user namespace: root in every VM is host uid/gid VM_ID_BASE, an
 * unprivileged id that owns nothing on the host. Capabilities a VM's root holds are
 * capabilities over its own namespaces only: it cannot mount host filesystems, create
 * device nodes, write the host's sysctls or files, or load modules.
 *
 * The shared, read-only image stays owned by host root: the VM sees it through an
 * idmapped bind mount (kernel ≥ 5.19 for overlayfs over idmapped layers), so no copy or
 * chown of the image is ever needed. Everything per VM that the VM must own (its config
 * layer, the disk's upper/ and work/, its console, its delegated cgroups) is chowned to
 * VM_ID_BASE by the driver.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lchownSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { PuduError } from '@pudu/schema';
import { sandboxStateRoot } from './paths.ts';

/** Host uid and gid of root in a sandbox VM (0x5D000000: far above any distribution's or subuid's range). */
export const VM_ID_BASE = 1_560_281_088;
/** Ids 0..65535 inside a VM map to VM_ID_BASE.. on the host. */
export const VM_ID_COUNT = 65_536;

const MAP_LINE = `0 ${VM_ID_BASE} ${VM_ID_COUNT}\n`;
const NS_WAIT_MS = 5000;

/**
 * A directory with `newuidmap` and `newgidmap` for `unshare --map-users/--map-groups`,
 * which runs them from a helper it forked *before* unsharing (still host root) while the
 * new namespace waits — so the VM's first exec already runs as its mapped root and keeps
 * its capabilities. They write the one fixed VM map, whatever they are asked (the
 * uidmap package's versions would need /etc/subuid entries for root). Root-only directory.
 */
export function idMapShimDir(): string {
  const dir = join(sandboxStateRoot(), `.idmap-bin-${VM_ID_BASE}`);
  if (existsSync(join(dir, 'newgidmap'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  for (const [name, file] of [['newuidmap', 'uid_map'], ['newgidmap', 'gid_map']] as const) {
    writeFileSync(join(tmp, name), `#!/bin/sh\n# newXidmap PID … (from unshare): the Pudu sandbox's fixed map.\nprintf '${MAP_LINE.trim()}\\n' > "/proc/$1/${file}"\n`, { mode: 0o700 });
  }
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** Writes the VM id map into the user namespace of `pid` (uid_map, then gid_map). */
export function writeIdMaps(pid: number): void {
  writeFileSync(`/proc/${pid}/uid_map`, MAP_LINE);
  writeFileSync(`/proc/${pid}/gid_map`, MAP_LINE);
}

/** Chowns one path (a symlink itself, not its target) to the VM's root. */
export function chownToVmRoot(path: string): void {
  lchownSync(path, VM_ID_BASE, VM_ID_BASE);
}

/** Chowns a directory tree (symlinks themselves) to the VM's root. */
export function chownTreeToVmRoot(dir: string): void {
  chownToVmRoot(dir);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) chownTreeToVmRoot(p);
    else chownToVmRoot(p);
  }
}

let holder: { pid: number; ready: Promise<string> } | undefined;

/**
 * Path of a user namespace carrying the VM id map (`/proc/<pid>/ns/user`), for idmapping
 * the image at mount time. A `cat` in its own user namespace holds it; it reads our pipe,
 * so it ends with this process, SIGKILL included. An idmapped mount keeps its own
 * reference: VMs do not need the holder after they started.
 */
export function mappingUserns(): Promise<string> {
  if (holder && existsSync(`/proc/${holder.pid}/ns/user`)) return holder.ready;
  const child = spawn('unshare', ['--user', '--', 'cat'], { stdio: ['pipe', 'ignore', 'ignore'] });
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  child.stdin.on('error', () => {});
  const pid = child.pid;
  if (!pid) return Promise.reject(new PuduError('DRIVER_UNAVAILABLE', 'cannot start unshare --user (util-linux)'));
  const ready = (async () => {
    const own = readlinkSync('/proc/self/ns/user');
    const deadline = Date.now() + NS_WAIT_MS;
    for (;;) {
      let ns: string | undefined;
      try {
        ns = readlinkSync(`/proc/${pid}/ns/user`);
      } catch {
        throw new PuduError('DRIVER_UNAVAILABLE', 'unshare --user exited at once: this kernel does not allow user namespaces (user.max_user_namespaces = 0?)');
      }
      if (ns !== own) break;
      if (Date.now() > deadline) throw new PuduError('DRIVER_UNAVAILABLE', `unshare --user did not create a user namespace within ${NS_WAIT_MS} ms`);
      await new Promise((r) => setTimeout(r, 2));
    }
    writeIdMaps(pid);
    return `/proc/${pid}/ns/user`;
  })();
  holder = { pid, ready };
  ready.catch(() => { if (holder?.pid === pid) holder = undefined; });
  return ready;
}

/**
 * A perl program (perl-base is Essential on Debian and Ubuntu) that makes an idmapped bind
 * mount: open_tree(CLONE) the source, mount_setattr(MOUNT_ATTR_IDMAP, userns) it, move_mount
 * it to the target. util-linux learns this only in 2.39 (`mount -o X-mount.idmap`); these
 * syscall numbers are the same on every architecture (all ≥ 424 are unified).
 * Arguments: userns path, source dir, target dir.
 */
export const IDMAP_MOUNT_PERL = [
  'my ($ns, $src, $dst) = @ARGV; my $e = "";',
  'open(my $u, "<", $ns) or die "open $ns: $!\\n";',
  'my $fd = syscall(428, -100, $src, 0x1 | 0x80000 | 0x8000); die "open_tree $src: $!\\n" if $fd < 0;',
  'my $a = pack("QQQQ", 0x100000, 0, 0, fileno($u));',
  'syscall(442, $fd, $e, 0x1000 | 0x8000, $a, length($a)) == 0 or die "mount_setattr (idmap) $src: $!\\n";',
  'syscall(429, $fd, $e, -100, $dst, 0x4) == 0 or die "move_mount $dst: $!\\n";',
].join(' ');
