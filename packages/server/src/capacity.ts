/**
 * Can this server start another VM? Asked by the readyz route and the capacity gauges: the host
 * budget (fleets/capacity-budget.ts: VMs, vCPUs, memory) must have room for one more VM,
 * and the network base a free index whose /30 collides with nothing on the host.
 */
import { allocateIndex, parseNetworkBase } from '@pudu/drivers';
import type { Capacity } from '@pudu/schema';

export interface CapacityReport {
  /** VMs this server runs now. */
  usedVms: number;
  /** VMs it may run at most. */
  maxVms: number;
  /** Whether one more VM can start now (room in the budget, and a free, collision-free index was leased and given back). */
  canStart: boolean;
}

/** VMs this server holds now and the most it may hold: its budget, within `networkBase` (cheap: no probe). */
export function vmCounts(budget: () => Capacity, networkBase?: string): () => Promise<{ used: number; max: number }> {
  const base = parseNetworkBase(networkBase);
  return () => {
    const c = budget();
    return Promise.resolve({ used: c.used.vms, max: Math.min(c.budget.vms, base.capacity) });
  };
}

/** The capacity probe over the server's budget within `networkBase`. */
export function capacityProbe(budget: () => Capacity, networkBase?: string): () => Promise<CapacityReport> {
  const base = parseNetworkBase(networkBase);
  const counts = vmCounts(budget, networkBase);
  return async () => {
    const { used: usedVms, max: maxVms } = await counts();
    const free = budget().free;
    let canStart = usedVms < maxVms && free.vcpus > 0 && free.memMb > 0;
    if (canStart) {
      try {
        await (await allocateIndex({ base })).release();
      } catch {
        canStart = false;
      }
    }
    return { usedVms, maxVms, canStart };
  };
}
