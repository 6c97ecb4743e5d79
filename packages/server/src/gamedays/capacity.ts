/**
 * Whether the host has room for another fleet of `vms` VMs: the one place a game day asks.
 * Today: the VMs this server has in use or on the way (every provisioning or running run's
 * fleet, and fleets without a run) against its VM budget (`maxVms`), then the server's
 * capacity probe (free network indexes). The host budget (fleets/capacity-budget.ts) caps
 * `maxVms`: runs it would not take are better queued here than refused at fleet creation.
 */
import type { ServerContext } from '../context.ts';
import type { RunDoc } from '../runner/run-doc.ts';

export async function vmsInUse(ctx: ServerContext): Promise<number> {
  let used = 0;
  for (const r of await ctx.store.listRuns()) {
    if (r.state === 'provisioning' || r.state === 'running') used += (r.doc as unknown as RunDoc).compiled.vms.length;
  }
  for (const f of await ctx.fleets.list()) if (!f.runId && (f.state === 'creating' || f.state === 'ready')) used += f.vms.length;
  return used;
}

export async function roomFor(ctx: ServerContext, vms: number, maxVms: number | null): Promise<{ ok: boolean; why: string }> {
  const used = await vmsInUse(ctx);
  const budget = ctx.fleets.capacity().budget.vms;
  const limit = maxVms === null ? budget : Math.min(maxVms, budget);
  if (used + vms > limit) return { ok: false, why: `${used} of ${limit} VMs in use` };
  const probe = await ctx.capacity();
  if (!probe.canStart) return { ok: false, why: `no free VM network index (${probe.usedVms}/${probe.maxVms})` };
  return { ok: true, why: `${used + vms} of ${Math.min(limit, probe.maxVms)} VMs` };
}
