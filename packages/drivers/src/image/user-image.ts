/**
 * The seed's `--rootfs` / `--kernel` flags: a user's own image instead of the built one.
 * A rootfs may be a directory (used as is) or an ext4 file (given to the hypervisors as is,
 * and loop-mounted read-only as the sandbox's lower layer).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PuduError } from '@pudu/schema';
import { run } from '../util/exec.ts';
import { buildKernelAssets } from '../kernel/index.ts';
import type { GuestImage } from './build-guest-image.ts';

export interface UserImageOptions {
  rootfs?: string;
  kernel?: string;
  initrd?: string;
}

function mountRoot(): string {
  return join(process.env.PUDU_STATE_DIR ?? '/var/lib/pudu', 'images');
}

async function mountReadOnly(file: string): Promise<string> {
  const st = statSync(file);
  const dir = join(mountRoot(), createHash('sha256').update(`${file}:${st.size}:${st.mtimeMs}`).digest('hex').slice(0, 16));
  const mounted = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);
  if (!mounted) {
    mkdirSync(dir, { recursive: true });
    await run('mount', ['-o', 'loop,ro', file, dir], { errorCode: 'ASSETS_MISSING' });
  }
  return dir;
}

/** Builds a GuestImage from user files, filling gaps from `fallback` (the built image) where there is one. */
export async function resolveUserImage(u: UserImageOptions, fallback: () => Promise<GuestImage>, cacheDir: string): Promise<GuestImage> {
  for (const [flag, p] of [['--rootfs', u.rootfs], ['--kernel', u.kernel], ['--initrd', u.initrd]] as const) {
    if (p !== undefined && !existsSync(p)) throw new PuduError('ASSETS_MISSING', `${flag} ${p}: no such file or directory`);
  }
  const base = u.rootfs ? undefined : await fallback();
  let rootfsDir = base?.rootfsDir ?? '';
  let rootfsExt4 = base?.rootfsExt4 ?? '';
  if (u.rootfs) {
    const p = resolve(u.rootfs);
    if (statSync(p).isDirectory()) rootfsDir = p;
    else {
      rootfsExt4 = p;
      rootfsDir = await mountReadOnly(p);
    }
  }
  let kernel = base?.kernel;
  if (u.kernel) {
    const initrd = u.initrd ?? (await buildKernelAssets({ cacheDir })).initrd;
    kernel = { vmlinuz: resolve(u.kernel), vmlinux: resolve(u.kernel), initrd, kernelVersion: 'user' };
  }
  return {
    key: base?.key ?? 'user',
    dir: base?.dir ?? rootfsDir,
    rootfsDir,
    rootfsExt4,
    // A user image has no key of ours in authorized_keys: password login only.
    sshPrivateKey: base?.sshPrivateKey ?? '',
    sshPublicKey: base?.sshPublicKey ?? '',
    hostKeyPublic: base?.hostKeyPublic ?? '',
    ...(kernel ? { kernel } : {}),
    cached: true,
  };
}
