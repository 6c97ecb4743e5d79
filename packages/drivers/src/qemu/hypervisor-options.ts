/** Options and checks shared by the QEMU and Firecracker drivers. */
import { PuduError } from '@pudu/schema';
import type { FleetSpec } from '../driver.ts';

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
  indexRange?: { minIndex?: number; maxIndex?: number };
  bootTimeoutMs?: number;
  /** VMs booting at the same time (TCG guests are CPU-bound). */
  maxParallelBoots?: number;
  log?: (msg: string) => void;
}

const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const FLEET_ID_RE = /^[a-z0-9][a-z0-9-]{0,18}$/;
const MIN_MEM_MB = 128;
const MAX_VCPUS = 32;

/** Rejects a fleet the hypervisor cannot run, naming the offending VM and field. */
export function validateFleet(spec: FleetSpec): void {
  if (!FLEET_ID_RE.test(spec.id)) throw new PuduError('BAD_REQUEST', `fleet id "${spec.id}": use 1-19 lowercase letters, digits or dashes`);
  if (spec.vms.length === 0) throw new PuduError('BAD_REQUEST', `fleet ${spec.id} has no VMs`);
  const seen = new Set<string>();
  spec.vms.forEach((vm, i) => {
    const at = `fleet ${spec.id} vms[${i}]`;
    if (!NAME_RE.test(vm.name)) throw new PuduError('BAD_REQUEST', `${at}.name "${vm.name}" is not a valid hostname`);
    if (seen.has(vm.name)) throw new PuduError('BAD_REQUEST', `${at}.name "${vm.name}" is used twice`);
    seen.add(vm.name);
    if (!Number.isInteger(vm.vcpus) || vm.vcpus < 1 || vm.vcpus > MAX_VCPUS) throw new PuduError('BAD_REQUEST', `${at}.vcpus must be an integer 1..${MAX_VCPUS}, got ${vm.vcpus}`);
    if (!Number.isInteger(vm.memMb) || vm.memMb < MIN_MEM_MB) throw new PuduError('BAD_REQUEST', `${at}.memMb must be an integer ≥ ${MIN_MEM_MB}, got ${vm.memMb}`);
    for (const s of vm.services) if (!/^[A-Za-z0-9@._-]+$/.test(s)) throw new PuduError('BAD_REQUEST', `${at}.services: "${s}" is not a unit name`);
  });
}

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
