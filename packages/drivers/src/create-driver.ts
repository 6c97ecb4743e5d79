/**
 * Picks and builds a VM driver. `auto` probes what this host can really do and logs why:
 * a hypervisor only when a guest kernel actually boots under KVM (nested PVM hosts have
 * /dev/kvm but boot no stock kernel), else the namespace sandbox, else QEMU under TCG.
 */
import { existsSync } from 'node:fs';
import { release } from 'node:os';
import { PuduError } from '@pudu/schema';
import type { DriverName, VmDriver } from './driver.ts';
import { buildGuestImage, defaultCacheDir, type GuestImage } from './image/build-guest-image.ts';
import { createSandboxDriver } from './sandbox/sandbox-driver.ts';
import { QemuDriver, chooseAccel, probeQemu } from './qemu/index.ts';
import { AGENT_PORT } from './image/recipe.ts';
import { resolveUserImage, type UserImageOptions } from './image/user-image.ts';
import { run } from './util/exec.ts';
import { driverIsolation } from './isolation.ts';

export type DriverChoice = 'auto' | DriverName;

export interface CreateDriverOptions {
  /** The guest image; default: buildGuestImage() (a cache hit once `./pudu assets` ran). */
  image?: GuestImage;
  /** The seed's --rootfs/--kernel: user files instead of (or on top of) the built image. */
  userImage?: UserImageOptions;
  cacheDir?: string;
  /** Per-VM state of the hypervisor drivers (default $PUDU_STATE_DIR or /var/lib/pudu). */
  stateDir?: string;
  /** Network base block (default 172.16.0.0/12). */
  networkBase?: string;
  minIndex?: number;
  maxIndex?: number;
  bootTimeoutMs?: number;
  /**
   * Owner id of persistent VMs (sandbox): VMs outlive the process and a later driver with
   * the same id adopts them. A server derives it from its database.
   */
  ownerId?: string;
  /** The kubernetes driver's cluster settings (the server's kubernetes_* settings). */
  kubernetes?: { namespace: string; image?: string; runtimeClassName?: string };
  /** A file whose absence means the owner can never come back (a SQLite database): its VMs may then be reaped. */
  ownerStorePath?: string;
  /** Where the decision and its reasons are reported. */
  log?: (msg: string) => void;
}

export interface ProbeOutcome {
  ok: boolean;
  reason: string;
}

type Factory = (opts: CreateDriverOptions & { image: GuestImage }) => Promise<VmDriver>;
const factories = new Map<string, Factory>();

/** Lets a driver module plug itself in (the firecracker driver registers here). */
export function registerDriverFactory(name: DriverName, factory: Factory): void {
  factories.set(name, factory);
}

/** Linux ≥ 5.19: overlayfs over idmapped layers (the sandbox's image view). */
function kernelAtLeast(major: number, minor: number): boolean {
  const [a = 0, b = 0] = release().split('.').map((x) => Number.parseInt(x, 10));
  return a > major || (a === major && b >= minor);
}

/** Whether the namespace sandbox can run here: root, user namespaces with idmapped mounts, cgroup v1, unshare, ip, lxcfs, perl. */
export async function probeSandbox(): Promise<ProbeOutcome> {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'needs root (namespaces, cgroups, netns)' };
  for (const h of ['memory', 'cpu', 'cpuacct', 'pids', 'systemd', 'devices']) {
    if (!existsSync(`/sys/fs/cgroup/${h}/cgroup.procs`)) return { ok: false, reason: `cgroup v1 hierarchy ${h} not mounted (cgroup v2-only hosts are not supported yet)` };
  }
  for (const bin of ['/usr/bin/unshare', '/usr/bin/lxcfs', '/usr/bin/perl']) {
    if (!existsSync(bin)) return { ok: false, reason: `${bin} missing (apt-get install util-linux lxcfs perl-base)` };
  }
  if (!kernelAtLeast(5, 19)) return { ok: false, reason: `kernel ${release()} is older than 5.19 (no overlayfs over idmapped layers for the VMs' user namespaces)` };
  const r = await run('unshare', ['--user', '--net', '--pid', '--mount', '--uts', '--ipc', '--cgroup', '--fork', 'true'], { allowFail: true });
  if (r.code !== 0) return { ok: false, reason: `unshare with a user namespace failed: ${r.stderr.trim()}` };
  return { ok: true, reason: 'user namespaces, idmapped mounts, cgroup v1 and lxcfs available' };
}

async function probeKvm(image: GuestImage, cacheDir: string): Promise<ProbeOutcome> {
  if (!image.kernel) return { ok: false, reason: 'no guest kernel built' };
  if (!probeQemu().ok) return { ok: false, reason: 'qemu-system-x86_64 not installed' };
  const c = await chooseAccel({ kernel: image.kernel.vmlinuz, initrd: image.kernel.initrd, machine: 'microvm', cacheDir });
  // chooseAccel words its reason for the qemu driver ("…; using TCG"); here only the KVM verdict matters.
  return { ok: c.accel === 'kvm', reason: c.reason.replace(/; using TCG.*$/, '') };
}

function hasFirecracker(): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(`${d}/firecracker`));
}

function qemuDriver(opts: CreateDriverOptions & { image: GuestImage }): VmDriver {
  if (!opts.image.kernel) throw new PuduError('ASSETS_MISSING', 'the qemu driver needs the guest kernel: run ./pudu assets');
  if (!opts.image.rootfsExt4) throw new PuduError('ASSETS_MISSING', 'the qemu driver needs an ext4 rootfs file, not a directory (--rootfs)');
  return new QemuDriver({
    image: { rootfsExt4: opts.image.rootfsExt4, kernel: opts.image.kernel },
    stateDir: opts.stateDir ?? process.env.PUDU_STATE_DIR ?? '/var/lib/pudu',
    cacheDir: opts.cacheDir ?? defaultCacheDir(),
    agentPort: AGENT_PORT,
    networkBase: opts.networkBase,
    indexRange: { minIndex: opts.minIndex, maxIndex: opts.maxIndex },
    bootTimeoutMs: opts.bootTimeoutMs,
    log: opts.log,
  });
}

async function build(name: DriverName, opts: CreateDriverOptions & { image: GuestImage }): Promise<VmDriver> {
  if (name === 'sandbox') {
    const p = await probeSandbox();
    if (!p.ok) throw new PuduError('DRIVER_UNAVAILABLE', `sandbox driver unavailable: ${p.reason}`);
    return createSandboxDriver({ rootfsDir: opts.image.rootfsDir, networkBase: opts.networkBase, minIndex: opts.minIndex, maxIndex: opts.maxIndex, bootTimeoutMs: opts.bootTimeoutMs, ownerId: opts.ownerId, ownerStorePath: opts.ownerStorePath, log: opts.log });
  }
  if (name === 'qemu') return qemuDriver(opts);
  const f = factories.get(name);
  if (!f) throw new PuduError('DRIVER_UNAVAILABLE', `the ${name} driver is not available in this build`);
  return f(opts);
}

/**
 * Creates the named driver, or for `auto` the best one this host really runs:
 * firecracker (binary + KVM that boots the guest) › qemu with KVM › sandbox › qemu with TCG.
 */
export async function createDriver(name: DriverChoice, opts: CreateDriverOptions = {}): Promise<VmDriver> {
  const log = opts.log ?? (() => {});
  const built = () => buildGuestImage({ cacheDir: opts.cacheDir, onProgress: log });
  const image = opts.image
    ?? (opts.userImage?.rootfs || opts.userImage?.kernel ? await resolveUserImage(opts.userImage, built, opts.cacheDir ?? defaultCacheDir()) : await built());
  const o = { ...opts, image };
  const driver = name === 'auto' ? await chooseAuto(o, image, log) : await build(name, o);
  const iso = driverIsolation(driver.name);
  log(`isolation: ${iso.boundary} (${iso.strength}) — ${iso.summary}`);
  return driver;
}

async function chooseAuto(o: CreateDriverOptions & { image: GuestImage }, image: GuestImage, log: (msg: string) => void): Promise<VmDriver> {
  const kvm = await probeKvm(image, o.cacheDir ?? defaultCacheDir());
  if (kvm.ok && hasFirecracker() && factories.has('firecracker')) {
    log(`driver auto → firecracker (${kvm.reason})`);
    return build('firecracker', o);
  }
  if (kvm.ok) {
    log(`driver auto → qemu with KVM (${kvm.reason})`);
    return build('qemu', o);
  }
  const sb = await probeSandbox();
  if (sb.ok) {
    log(`driver auto → sandbox (${sb.reason}; no hypervisor: ${kvm.reason})`);
    return build('sandbox', o);
  }
  if (probeQemu().ok && image.kernel) {
    log(`driver auto → qemu with TCG (sandbox: ${sb.reason}; KVM: ${kvm.reason})`);
    return build('qemu', o);
  }
  throw new PuduError('DRIVER_UNAVAILABLE', `no VM driver works on this host: KVM: ${kvm.reason}; sandbox: ${sb.reason}; qemu: not installed`);
}

