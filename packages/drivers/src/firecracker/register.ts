/**
 * Plugs the Firecracker driver into createDriver (`--driver firecracker`, and `auto` where
 * Firecracker and a guest-booting KVM exist) and its leftovers into `pudu cleanup`.
 * Imported once for its side effect by the drivers package entry point.
 */
import { PuduError } from '@pudu/schema';
import { registerDriverFactory } from '../create-driver.ts';
import { registerCleaner } from '../cleanup.ts';
import { defaultCacheDir } from '../image/build-guest-image.ts';
import { AGENT_PORT } from '../image/recipe.ts';
import { FirecrackerDriver, cleanupFirecrackerLeftovers } from './firecracker-driver.ts';
import { probeFirecracker } from './probe.ts';

const DEFAULT_STATE_DIR = '/var/lib/pudu';

registerDriverFactory('firecracker', async (opts) => {
  const probe = probeFirecracker();
  if (!probe.ok || !probe.binary) throw new PuduError('DRIVER_UNAVAILABLE', `firecracker driver unavailable: ${probe.reason}`);
  const kernel = opts.image.kernel;
  if (!kernel?.vmlinux) throw new PuduError('ASSETS_MISSING', 'the firecracker driver needs the uncompressed guest kernel (vmlinux): run ./pudu assets');
  if (!opts.image.rootfsExt4) throw new PuduError('ASSETS_MISSING', 'the firecracker driver needs an ext4 rootfs file, not a directory (--rootfs)');
  opts.log?.(`firecracker: ${probe.reason}`);
  return new FirecrackerDriver({
    image: { rootfsExt4: opts.image.rootfsExt4, kernel },
    stateDir: opts.stateDir ?? process.env.PUDU_STATE_DIR ?? DEFAULT_STATE_DIR,
    cacheDir: opts.cacheDir ?? defaultCacheDir(),
    agentPort: AGENT_PORT,
    networkBase: opts.networkBase,
    indexRange: { minIndex: opts.minIndex, maxIndex: opts.maxIndex },
    bootTimeoutMs: opts.bootTimeoutMs,
    binaries: { firecracker: probe.binary },
    log: opts.log,
  });
});

registerCleaner('firecracker', () => cleanupFirecrackerLeftovers(process.env.PUDU_STATE_DIR ?? DEFAULT_STATE_DIR));
