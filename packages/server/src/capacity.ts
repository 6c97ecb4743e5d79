/**
 * Can this server start another VM? Asked by /readyz and the capacity gauges. Today the
 * limit is the network base (every VM needs a free index whose /30 collides with nothing
 * on the host); the host budget of issue 11 (VMs, memory, vCPU) plugs in here.
 */
import { allocateIndex, parseNetworkBase, type VmDriver } from '@pudu/drivers';

export interface CapacityReport {
  /** VMs this server runs now. */
  usedVms: number;
  /** VMs it may run at most. */
  maxVms: number;
  /** Whether one more VM can start now (a free, collision-free index was leased and given back). */
  canStart: boolean;
}

/** VMs `driver` runs now and the most it may run within `networkBase` (cheap: no probe). */
export function vmCounts(driver: VmDriver, networkBase?: string): () => Promise<{ used: number; max: number }> {
  const base = parseNetworkBase(networkBase);
  return async () => ({ used: (await driver.listVms()).length, max: base.capacity });
}

/** The capacity probe over `driver` within `networkBase`. */
export function capacityProbe(driver: VmDriver, networkBase?: string): () => Promise<CapacityReport> {
  const base = parseNetworkBase(networkBase);
  const counts = vmCounts(driver, networkBase);
  return async () => {
    const { used: usedVms } = await counts();
    let canStart = usedVms < base.capacity;
    if (canStart) {
      try {
        await (await allocateIndex({ base })).release();
      } catch {
        canStart = false;
      }
    }
    return { usedVms, maxVms: base.capacity, canStart };
  };
}
