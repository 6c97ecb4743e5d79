/**
 * The host budget: how many VMs, vCPUs and MB of memory this server's fleets may hold at
 * once. By default it comes from the host's size; `--capacity vms=N,vcpus=N,memory_mb=N`
 * (any subset) overrides it. A fleet past it is refused with 429 CAPACITY_EXHAUSTED saying
 * what is free; a scenario run instead waits in line (waitFor) until fleets end.
 *
 * Every fleet of this server counts, from the moment it is asked for until it is deleted:
 * what was reserved is what the driver may use (vCPUs are a CPU quota and memory a hard
 * limit in the sandbox; real allocations for QEMU and Firecracker).
 */
import { availableParallelism, totalmem } from 'node:os';
import { PuduError, type Capacity, type CapacityResources, type VmSpec } from '@pudu/schema';

/** Idle sandbox VMs cost ~20 MB and no CPU; booting costs ~0.5 CPU-s each: 16 per host CPU keeps boots and heartbeats timely. */
export const VMS_PER_CPU = 16;
/** vCPUs are quotas, not reservations: 8 per host CPU lets a few VMs burn a whole vCPU each without starving the rest. */
export const VCPUS_PER_CPU = 8;
/** Memory limits may add up to this share of the host's RAM (the rest is the host's, Pudu's and the page cache's). */
export const MEMORY_SHARE = 0.8;

type Resources = CapacityResources;
const KEYS = { vms: 'vms', vcpus: 'vcpus', memory_mb: 'memMb' } as const;

/** The budget a host of this size gets. */
export function defaultBudget(host = { cpus: availableParallelism(), memMb: Math.floor(totalmem() / 1024 / 1024) }): Resources {
  return { vms: host.cpus * VMS_PER_CPU, vcpus: host.cpus * VCPUS_PER_CPU, memMb: Math.floor(host.memMb * MEMORY_SHARE) };
}

/** Parses `vms=40,vcpus=32,memory_mb=16384` (any subset, positive integers) or throws CONFIG_INVALID naming the bad part. */
export function parseBudget(text: string): Partial<Resources> {
  const out: Partial<Resources> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [k, v, ...rest] = part.split('=');
    const key = KEYS[k?.trim() as keyof typeof KEYS];
    if (!key || rest.length || !/^\d+$/.test(v?.trim() ?? '') || Number(v) < 1) {
      throw new PuduError('CONFIG_INVALID', `capacity: "${part}" must be vms=N, vcpus=N or memory_mb=N with N ≥ 1`);
    }
    out[key] = Number(v);
  }
  return out;
}

/** What a fleet of these VMs takes. */
export function needOf(specs: Pick<VmSpec, 'vcpus' | 'memMb'>[]): Resources {
  return { vms: specs.length, vcpus: specs.reduce((a, s) => a + s.vcpus, 0), memMb: specs.reduce((a, s) => a + s.memMb, 0) };
}

/** What these take together. */
export const sum = (xs: Resources[]): Resources => xs.reduce((a, x) => ({ vms: a.vms + x.vms, vcpus: a.vcpus + x.vcpus, memMb: a.memMb + x.memMb }), { vms: 0, vcpus: 0, memMb: 0 });
/** Whether `need` fits in `free`, resource by resource. */
export const fitsIn = (need: Resources, free: Resources): boolean => need.vms <= free.vms && need.vcpus <= free.vcpus && need.memMb <= free.memMb;

interface Waiter { id: string; need: Resources; resolve: () => void; reject: (e: unknown) => void }

export class CapacityBudget {
  private readonly held = new Map<string, Resources>();
  private readonly line: Waiter[] = [];

  constructor(readonly budget: Resources) {}

  /** Budget, what is held, what is free and how many wait. */
  snapshot(requested?: Resources): Capacity {
    const used = sum([...this.held.values()]);
    const free = { vms: Math.max(0, this.budget.vms - used.vms), vcpus: Math.max(0, this.budget.vcpus - used.vcpus), memMb: Math.max(0, this.budget.memMb - used.memMb) };
    return { budget: { ...this.budget }, used, free, queued: this.line.length, ...(requested ? { requested } : {}) };
  }

  /** Holds `need` for `id` now, or throws CAPACITY_EXHAUSTED (also while runs wait in line: they go first). */
  reserve(id: string, need: Resources): void {
    const snap = this.snapshot(need);
    if (this.line.length === 0 && fitsIn(need, snap.free)) {
      this.held.set(id, need);
      return;
    }
    throw this.exhausted(need, snap);
  }

  /** Holds `need` for `id` whatever the budget says (fleets found running at start). */
  hold(id: string, need: Resources): void {
    this.held.set(id, need);
  }

  /**
   * Holds `need` for `id` as soon as it fits, first come first served; `onQueued` is told
   * once when it has to wait. Rejects at once when it could never fit, or when `signal` aborts.
   */
  async waitFor(id: string, need: Resources, o: { signal?: AbortSignal; onQueued?: (snap: Capacity) => void } = {}): Promise<void> {
    if (!fitsIn(need, this.budget)) throw this.exhausted(need, this.snapshot(need), 'it is larger than the whole budget');
    if (this.line.length === 0 && fitsIn(need, this.snapshot().free)) {
      this.held.set(id, need);
      return;
    }
    o.signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const w: Waiter = { id, need, resolve, reject };
      this.line.push(w);
      o.onQueued?.(this.snapshot(need));
      o.signal?.addEventListener('abort', () => {
        const i = this.line.indexOf(w);
        if (i >= 0) this.line.splice(i, 1);
        reject(o.signal!.reason);
        this.admit();
      }, { once: true });
    });
  }

  /** Moves what `from` holds to `to` (a reservation made before its fleet had an id). */
  rekey(from: string, to: string): void {
    const r = this.held.get(from);
    if (!r) return;
    this.held.delete(from);
    this.held.set(to, r);
  }

  /** Gives back what `id` held and lets waiting requests in. */
  release(id: string): void {
    if (this.held.delete(id)) this.admit();
  }

  private admit(): void {
    while (this.line.length && fitsIn(this.line[0]!.need, this.snapshot().free)) {
      const w = this.line.shift()!;
      this.held.set(w.id, w.need);
      w.resolve();
    }
  }

  private exhausted(need: Resources, snap: Capacity, why?: string): PuduError {
    const reason = why ?? (this.line.length ? `${this.line.length} run(s) are waiting for capacity first` : 'not enough is free');
    return new PuduError('CAPACITY_EXHAUSTED',
      `the host budget cannot take ${need.vms} VM(s), ${need.vcpus} vCPU(s), ${need.memMb} MB now (${reason}); free: ${snap.free.vms} VM(s), ${snap.free.vcpus} vCPU(s), ${snap.free.memMb} MB of ${snap.budget.vms}, ${snap.budget.vcpus}, ${snap.budget.memMb} MB`,
      { capacity: snap });
  }
}
