/** Options and limits shared by the QEMU and Firecracker drivers. */
import type { FleetLimits } from '../validate-spec.ts';

export interface HypervisorImage {
  /** The guest root filesystem (ext4); never written to — each VM gets an overlay or a copy. */
  rootfsExt4: string;
  kernel: { vmlinuz: string; vmlinux?: string; initrd: string };
}

export interface HypervisorDriverOptions {
  image: HypervisorImage;
  /** Per-VM state (disks, logs, sockets): `<stateDir>/<driver>/<fleet>/<vm>/`. */
  stateDir: string;
  /** Probe results are cached here. */
  cacheDir: string;
  agentPort: number;
  /** The block VM addresses come from (default 172.16.0.0/12). */
  networkBase?: string;
  indexRange?: { minIndex?: number; maxIndex?: number };
  bootTimeoutMs?: number;
  /** VMs booting at the same time (TCG guests are CPU-bound). */
  maxParallelBoots?: number;
  log?: (msg: string) => void;
}

/** Whole vCPUs (Firecracker refuses more than 32) and enough memory for systemd, sshd and the agent. */
export const HYPERVISOR_LIMITS: FleetLimits = { maxVcpus: 32, wholeVcpus: true, minMemMb: 128, minDiskMb: 64 };

/** Runs `fn` over items with at most `limit` at once; rejects with the first error after all settle. */
export async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        firstError ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (firstError !== undefined) throw firstError;
}
