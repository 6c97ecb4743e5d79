/**
 * The host runtime as `pudu` uses it: pick the VM driver, build assets, clean the host.
 * Thin wrappers over @pudu/drivers so the CLI reads as one sentence per command.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { PuduError } from '@pudu/schema';
import { buildGuestImage, cleanupHost, createDriver, type CreateDriverOptions, type DriverChoice, type VmDriver } from '@pudu/drivers';

export const DRIVER_CHOICES = ['auto', 'sandbox', 'qemu', 'firecracker', 'kubernetes'] as const satisfies readonly DriverChoice[];

/** Opens the driver; `--kernel`/`--rootfs` must exist when given (the seed's flags). */
export async function openDriver(o: { name: string; kernel?: string; rootfs?: string; networkBase?: string; kubernetes?: CreateDriverOptions['kubernetes']; owner?: { id: string; storePath?: string }; onProgress: (m: string) => void }): Promise<VmDriver> {
  const common = { log: o.onProgress, networkBase: o.networkBase, ownerId: o.owner?.id, ownerStorePath: o.owner?.storePath };
  for (const [flag, file] of [['--kernel', o.kernel], ['--rootfs', o.rootfs]] as const) {
    if (file !== undefined && !existsSync(file)) throw new PuduError('ASSETS_MISSING', `${flag} ${file}: no such file (run ./pudu assets, or omit it to use the built image)`);
  }
  if (!(DRIVER_CHOICES as readonly string[]).includes(o.name)) throw new PuduError('BAD_REQUEST', `--driver ${o.name}: expected one of ${DRIVER_CHOICES.join(', ')}`);
  // The cluster pulls the guest image from a registry: no local image is built or needed.
  if (o.name === 'kubernetes') return createDriver('kubernetes', { log: o.onProgress, kubernetes: o.kubernetes, image: { rootfsDir: '', rootfsExt4: '' } as never });
  if (!o.kernel && !o.rootfs) return createDriver(o.name as DriverChoice, common);
  // The seed's flags: the built image supplies the rest (ssh keys, rootfs dir for the sandbox).
  const image = await buildGuestImage({ onProgress: o.onProgress });
  if (o.rootfs) image.rootfsExt4 = resolve(o.rootfs);
  if (o.kernel) {
    if (!image.kernel) throw new PuduError('ASSETS_MISSING', '--kernel needs the built kernel assets (initrd): run ./pudu assets');
    image.kernel = { ...image.kernel, vmlinux: resolve(o.kernel), vmlinuz: resolve(o.kernel) };
  }
  return createDriver(o.name as DriverChoice, { image, ...common });
}

/** `pudu assets [--force]`: the guest image and kernel, cached by recipe. */
export async function buildAssets(o: { force: boolean; onProgress: (m: string) => void }): Promise<void> {
  const started = Date.now();
  const img = await buildGuestImage({ force: o.force, onProgress: o.onProgress });
  console.log(`guest image ${img.key} ${img.cached ? 'already built' : `built in ${Math.round((Date.now() - started) / 1000)} s`}`);
  console.log(`  rootfs dir   ${img.rootfsDir}`);
  console.log(`  rootfs.ext4  ${img.rootfsExt4}`);
  if (img.kernel) console.log(`  kernel       ${img.kernel.vmlinux} (${img.kernel.kernelVersion})`);
}

/** `pudu cleanup`: removes every host object Pudu created; non-zero exit when something stayed. */
export async function cleanupHostObjects(log: (m: string) => void): Promise<void> {
  const r = await cleanupHost();
  for (const line of r.removed) log(`removed ${line}`);
  for (const line of r.errors) log(`could not remove ${line}`);
  console.log(`cleanup: ${r.removed.length} object(s) removed${r.errors.length ? `, ${r.errors.length} failed` : ''}`);
  if (r.errors.length) process.exitCode = 1;
}
