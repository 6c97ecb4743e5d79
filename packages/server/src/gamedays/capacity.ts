/**
 * Whether the host has room for another game-day run: the one place a game day asks, and
 * it asks the server's one host budget (fleets/capacity-budget.ts, `--capacity`). A run
 * the budget would refuse is better queued in the game day's line than failed at fleet
 * creation. A run started a moment ago holds nothing yet (its fleet is asked for in the
 * background), so its needs are counted here until its fleet exists.
 */
import type { CapacityResources } from '@pudu/schema';
import type { ServerContext } from '../context.ts';
import type { RunDoc } from '../runner/run-doc.ts';
import { fitsIn, needOf, sum } from '../fleets/capacity-budget.ts';

const minus = (a: CapacityResources, b: CapacityResources): CapacityResources => ({ vms: a.vms - b.vms, vcpus: a.vcpus - b.vcpus, memMb: a.memMb - b.memMb });

/** What runs being provisioned will take from the budget but hold nothing of yet (no fleet record). */
async function startingNeeds(ctx: ServerContext): Promise<CapacityResources> {
  const withFleet = new Set((await ctx.fleets.list()).filter((f) => f.state !== 'deleted').map((f) => f.runId));
  const runs = (await ctx.store.listRuns()).filter((r) => r.state === 'provisioning' && !withFleet.has(r.id));
  return sum(runs.map((r) => needOf((r.doc as unknown as RunDoc).compiled.vms)));
}

export async function roomFor(ctx: ServerContext, need: CapacityResources): Promise<{ ok: boolean; why: string }> {
  const cap = ctx.fleets.capacity();
  if (cap.queued > 0) return { ok: false, why: `${cap.queued} run(s) wait for the host budget first` };
  const free = minus(cap.free, await startingNeeds(ctx));
  const left = `${Math.max(0, free.vms)} of ${cap.budget.vms} VMs, ${Math.max(0, free.vcpus)} of ${cap.budget.vcpus} vCPUs, ${Math.max(0, free.memMb)} of ${cap.budget.memMb} MB free`;
  if (!fitsIn(need, free)) return { ok: false, why: `the host budget has ${left}` };
  const probe = await ctx.capacity();
  if (!probe.canStart) return { ok: false, why: `no free VM network index (${probe.usedVms}/${probe.maxVms})` };
  return { ok: true, why: left };
}
