/**
 * Kernel assets for the VM drivers, built from Debian packages only:
 * - `vmlinuz` (bzImage) for QEMU, `vmlinux` (ELF) for Firecracker;
 * - `initrd.img`: busybox + the virtio/netem modules + an /init that switches to the ext4 root;
 * - `modules/<ver>/`: the full module tree with modules.dep, for the rootfs builder to copy
 *   into the image so `tc qdisc … netem` and iptables can autoload inside the guest.
 * Cached under `<cacheDir>/kernel/<hash>` where the hash covers everything that goes in.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { PuduError } from '@pudu/schema';
import { packInitramfs, type CpioEntry } from './cpio-newc.ts';
import { extractVmlinux } from './extract-vmlinux.ts';
import { INIT_SCRIPT } from './init-script.ts';
import { parseBuiltin, resolveLoadOrder } from './module-deps.ts';

/** Bump when the recipe changes in a way the hash inputs do not show. */
const RECIPE_VERSION = 1;
const META_PACKAGE = 'linux-image-cloud-amd64';
const DEFAULT_CACHE_DIR = '/var/cache/pudu';
const BUSYBOX_PATHS = ['/bin/busybox', '/usr/bin/busybox'];

/** Loaded by the initramfs, dependencies first: disks and NICs on virtio-mmio (microvm, Firecracker) or PCI (q35), and netem. */
export const INITRAMFS_MODULES = ['virtio_mmio', 'virtio_pci', 'virtio_blk', 'virtio_net', 'sch_netem'];

export interface KernelAssets {
  dir: string;
  hash: string;
  packageName: string;
  packageVersion: string;
  kernelVersion: string;
  vmlinuz: string;
  vmlinux: string;
  initrd: string;
  /** `/lib/modules/<kernelVersion>` tree (with modules.dep) to copy into a rootfs. */
  modulesDir: string;
  /** True when this call built the assets, false on a cache hit. */
  built: boolean;
}

export interface BuildKernelOptions {
  /** Default $PUDU_CACHE_DIR or /var/cache/pudu. */
  cacheDir?: string;
  force?: boolean;
  onProgress?: (msg: string) => void;
  /** A specific `linux-image-*` package; default: what linux-image-cloud-amd64 depends on ($PUDU_KERNEL_PACKAGE overrides). */
  packageName?: string;
}

function run(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new PuduError('ASSETS_MISSING', `${cmd} not found: install it (apt-get install ${cmd === 'depmod' ? 'kmod' : cmd})`);
    throw new PuduError('ASSETS_MISSING', `${cmd} ${args.join(' ')} failed: ${(err.stderr ?? err.message).trim().slice(-500)}`);
  }
}

/** What apt-cache answers from: changes when `apt-get update` or an install runs. */
function aptStateKey(): string {
  return ['/var/lib/apt/lists', '/var/cache/apt/pkgcache.bin', '/var/lib/dpkg/status']
    .map((p) => { try { return String(statSync(p).mtimeMs); } catch { return '-'; } }).join(':');
}

/**
 * resolveKernelPackage, remembered in `cacheDir` while apt's state is unchanged: two
 * apt-cache calls took up to 18 s on a loaded host, on every image cache hit.
 */
function resolveKernelPackageCached(cacheDir: string, packageName?: string): { name: string; version: string } {
  const file = join(cacheDir, 'kernel', 'resolved.json');
  const key = `${packageName ?? process.env.PUDU_KERNEL_PACKAGE ?? ''}|${aptStateKey()}`;
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as { key?: string; name?: string; version?: string };
    if (c.key === key && c.name && c.version) return { name: c.name, version: c.version };
  } catch { /* none yet */ }
  const pkg = resolveKernelPackage(packageName);
  mkdirSync(join(cacheDir, 'kernel'), { recursive: true });
  const tmp = `${file}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ key, ...pkg }));
  renameSync(tmp, file);
  return pkg;
}

/** The cloud kernel package and version apt would install now. */
export function resolveKernelPackage(packageName?: string): { name: string; version: string } {
  let name = packageName ?? process.env.PUDU_KERNEL_PACKAGE;
  if (!name) {
    const deps = run('apt-cache', ['depends', META_PACKAGE]);
    name = /Depends:\s*(linux-image-\S+)/.exec(deps)?.[1];
    if (!name) throw new PuduError('ASSETS_MISSING', `apt knows no ${META_PACKAGE}: run apt-get update (Debian bookworm sources needed)`);
  }
  const show = run('apt-cache', ['show', '--no-all-versions', name]);
  const version = /^Version:\s*(\S+)/m.exec(show)?.[1];
  if (!version) throw new PuduError('ASSETS_MISSING', `apt-cache show ${name} gave no version`);
  return { name, version };
}

function readStaticBusybox(): Buffer {
  for (const path of BUSYBOX_PATHS) {
    if (!existsSync(path)) continue;
    const bytes = readFileSync(path);
    // A dynamically linked busybox names its loader and would need the host's libc inside the initramfs.
    if (bytes.includes('/ld-linux')) throw new PuduError('ASSETS_MISSING', `${path} is not statically linked: apt-get install busybox-static`);
    return bytes;
  }
  throw new PuduError('ASSETS_MISSING', 'busybox not found: apt-get install busybox-static');
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Builds (or finds in the cache) the kernel, vmlinux and initramfs. */
export async function buildKernelAssets(opts: BuildKernelOptions = {}): Promise<KernelAssets> {
  const cacheDir = opts.cacheDir ?? process.env.PUDU_CACHE_DIR ?? DEFAULT_CACHE_DIR;
  const progress = opts.onProgress ?? (() => {});
  const pkg = resolveKernelPackageCached(cacheDir, opts.packageName);
  const busyboxBytes = readStaticBusybox();
  const hash = sha256(JSON.stringify({
    RECIPE_VERSION, pkg, INIT_SCRIPT, INITRAMFS_MODULES, busybox: sha256(busyboxBytes),
  })).slice(0, 16);
  const dir = join(cacheDir, 'kernel', hash);
  const manifestPath = join(dir, 'manifest.json');
  if (!opts.force && existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Omit<KernelAssets, 'built' | 'dir'>;
    progress(`kernel: cache hit ${pkg.name} ${pkg.version} (${dir})`);
    return { ...m, ...pathsIn(dir, m.kernelVersion), dir, built: false };
  }
  const tmp = join(cacheDir, 'kernel', `.tmp-${hash}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    progress(`kernel: downloading ${pkg.name} ${pkg.version}`);
    run('apt-get', ['download', `${pkg.name}=${pkg.version}`], tmp);
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!deb) throw new PuduError('ASSETS_MISSING', `apt-get download ${pkg.name} produced no .deb`);
    progress('kernel: unpacking');
    run('dpkg-deb', ['-x', join(tmp, deb), join(tmp, 'x')]);
    rmSync(join(tmp, deb));
    const kernelVersion = readdirSync(join(tmp, 'x', 'lib', 'modules'))[0];
    if (!kernelVersion) throw new PuduError('ASSETS_MISSING', `${pkg.name} contains no /lib/modules/<version>`);
    run('depmod', ['-b', join(tmp, 'x'), kernelVersion]);
    const paths = pathsIn(tmp, kernelVersion);
    mkdirSync(join(tmp, 'modules'));
    renameSync(join(tmp, 'x', 'lib', 'modules', kernelVersion), paths.modulesDir);
    copyFileSync(join(tmp, 'x', 'boot', `vmlinuz-${kernelVersion}`), paths.vmlinuz);
    progress('kernel: extracting vmlinux for Firecracker');
    writeFileSync(paths.vmlinux, extractVmlinux(readFileSync(paths.vmlinuz)));
    progress('kernel: packing initramfs');
    writeFileSync(paths.initrd, buildInitramfs(paths.modulesDir, busyboxBytes));
    rmSync(join(tmp, 'x'), { recursive: true, force: true });
    const manifest = { hash, packageName: pkg.name, packageVersion: pkg.version, kernelVersion };
    writeFileSync(join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    progress(`kernel: built ${pkg.name} ${pkg.version} → ${dir}`);
    return { ...manifest, ...pathsIn(dir, kernelVersion), dir, built: true };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function pathsIn(dir: string, kernelVersion: string): Pick<KernelAssets, 'vmlinuz' | 'vmlinux' | 'initrd' | 'modulesDir'> {
  return {
    vmlinuz: join(dir, 'vmlinuz'),
    vmlinux: join(dir, 'vmlinux'),
    initrd: join(dir, 'initrd.img'),
    modulesDir: join(dir, 'modules', kernelVersion),
  };
}

/** Packs busybox, /init and the INITRAMFS_MODULES closure into a gzip newc archive. */
export function buildInitramfs(modulesDir: string, busybox: Buffer): Buffer {
  const order = resolveLoadOrder(
    INITRAMFS_MODULES,
    readFileSync(join(modulesDir, 'modules.dep'), 'utf8'),
    parseBuiltin(readFileSync(join(modulesDir, 'modules.builtin'), 'utf8')),
  );
  const entries: CpioEntry[] = [];
  const dirs = new Set<string>();
  const addDir = (path: string): void => {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (!dirs.has(p)) {
        dirs.add(p);
        entries.push({ path: p, type: 'dir', mode: 0o755 });
      }
    }
  };
  for (const d of ['bin', 'dev', 'proc', 'sys', 'run', 'newroot', 'etc']) addDir(d);
  entries.push({ path: 'bin/busybox', type: 'file', mode: 0o755, data: busybox });
  entries.push({ path: 'bin/sh', type: 'symlink', mode: 0o777, data: 'busybox' });
  entries.push({ path: 'init', type: 'file', mode: 0o755, data: INIT_SCRIPT });
  entries.push({ path: 'etc/pudu-modules', type: 'file', mode: 0o644, data: `${order.join('\n')}\n` });
  for (const rel of order) {
    const path = `lib/modules/${rel}`;
    addDir(path.slice(0, path.lastIndexOf('/')));
    const file = join(modulesDir, rel);
    if (!statSync(file).isFile()) throw new PuduError('ASSETS_MISSING', `module file ${file} missing`);
    entries.push({ path, type: 'file', mode: 0o644, data: readFileSync(file) });
  }
  return packInitramfs(entries);
}
