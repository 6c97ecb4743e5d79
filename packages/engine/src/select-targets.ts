/** Resolves a target (tier + select, or one vm) to VM names with the run's seeded PRNG. */
import type { TargetSpec } from '@pudu/schema';
import { PuduError } from '@pudu/schema';
import type { VmPlan } from './compiled-scenario.ts';
import type { Random } from './random.ts';
import { sampleDistinct } from './random.ts';

/**
 * `all` (default) every VM of the tier; `one` the first; `random` one chosen by the seed;
 * `{count: N}` N distinct, seeded; `{percent: P}` ceil(P % of the tier), at least one, seeded.
 */
export function selectTargets(target: TargetSpec, vms: readonly VmPlan[], random: Random): string[] {
  if (target.vm !== undefined) {
    if (!vms.some((v) => v.name === target.vm)) throw new PuduError('SCENARIO_INVALID', `unknown vm ${target.vm}`);
    return [target.vm];
  }
  const pool = vms.filter((v) => v.tier === target.tier).map((v) => v.name);
  if (pool.length === 0) throw new PuduError('SCENARIO_INVALID', `unknown tier ${String(target.tier)}`);
  const select = target.select ?? 'all';
  if (select === 'all') return pool;
  if (select === 'one') return pool.slice(0, 1);
  if (select === 'random') return sampleDistinct(pool, 1, random);
  const k = 'count' in select ? select.count : Math.max(1, Math.ceil((select.percent / 100) * pool.length));
  return sampleDistinct(pool, Math.min(k, pool.length), random);
}
