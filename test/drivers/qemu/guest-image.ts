/**
 * The image the hypervisor tests boot: the project's guest image with the kernel assets,
 * built (or found in the cache) exactly as `./pudu assets` does.
 */
import { buildGuestImage } from '../../../packages/drivers/src/image/build-guest-image.ts';
import type { HypervisorImage } from '../../../packages/drivers/src/hypervisor/index.ts';

export interface TestImage {
  image: HypervisorImage;
  sshPrivateKey: string;
  cacheDir: string;
}

/** Builds or reuses the guest image; progress goes to the test's diagnostics. */
export async function guestImageForTests(log: (m: string) => void): Promise<TestImage> {
  const cacheDir = process.env.PUDU_CACHE_DIR ?? '/var/cache/pudu';
  const img = await buildGuestImage({ cacheDir, onProgress: log, kernel: true });
  if (!img.kernel) throw new Error('guest image was built without kernel assets');
  return {
    image: { rootfsExt4: img.rootfsExt4, kernel: img.kernel },
    sshPrivateKey: img.sshPrivateKey,
    cacheDir,
  };
}
