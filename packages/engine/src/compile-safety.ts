/**
 * Compiles a scenario's safety parts (guardrail-spec.ts → compiled-safety.ts): guardrails in
 * numbers, steady state and abort conditions as conditions the run's check rounds evaluate,
 * ramps as their full steps, extra faults one per VM. Called after everything else random,
 * so adding these never changes what a seed picked for the rest.
 */
import { FAULT_PARAMS, parseDurationMs, parsePercent, rampParamKeys, type ScenarioSpec, type SelectSpec } from '@pudu/schema';
import type { CompiledAbortWhen, CompiledCondition, CompiledFault, CompiledRamp, CompiledScenario, CompiledSteadyState, VmPlan } from './compiled-scenario.ts';
import type { CompiledGuardrails } from './compiled-safety.ts';
import type { Random } from './random.ts';
import { selectTargets } from './select-targets.ts';

const ms = (d: string): number => parseDurationMs(d) ?? 0;
const pct = (p: string | undefined): number | null => (p === undefined ? null : parsePercent(p));

type CompileCondition = (check: ScenarioSpec['objectives'][number]['check'], forWindow: string | undefined) => CompiledCondition;

function guardrailsOf(g: ScenarioSpec['guardrails']): CompiledGuardrails {
  return {
    hostLoadPerCpu: g.host_load_per_cpu ?? null,
    hostMemFreePct: pct(g.host_mem_free) ?? 0,
    hostDiskFreePct: pct(g.host_disk_free) ?? 0,
    vmCpuPct: pct(g.vm_cpu), vmMemPct: pct(g.vm_mem), vmDiskPct: pct(g.vm_disk),
    maxInjections: g.max_injections,
    maxActiveFaults: g.max_active_faults ?? null,
    forMs: ms(g.for),
    onBreach: g.on_breach,
  };
}

/**
 * A ramp's steps: the fault's params with each step's values. Its reach steps through the
 * first n VMs of one seeded order of the tier, so every step holds the VMs of the one before;
 * without `select` every step reaches the VMs the fault's own target picked.
 */
function rampOf(f: ScenarioSpec['faults'][number], ramp: NonNullable<ScenarioSpec['faults'][number]['ramp']>, picked: string[], vms: VmPlan[], random: Random): CompiledRamp {
  const keys = rampParamKeys(ramp);
  const selects = ramp.select as SelectSpec[] | undefined;
  const n = Math.max(selects?.length ?? 0, ...keys.map((k) => (ramp[k] as unknown[]).length));
  const pool = selects ? selectTargets({ ...f.target, select: 'all' }, vms, random) : picked;
  const order = selects ? shuffleBy(pool, random) : pool;
  const steps = Array.from({ length: n }, (_, i) => {
    const params = FAULT_PARAMS[f.type].parse({ ...f.params, ...Object.fromEntries(keys.map((k) => [k, (ramp[k] as unknown[])[i]])) }) as Record<string, string | number>;
    const reach = new Set(selects ? order.slice(0, countOf(selects[i], pool.length)) : pool);
    return { params, vms: pool.filter((v) => reach.has(v)) };
  });
  return { faultId: f.id, everyMs: ms(ramp.every), onBreach: ramp.on_breach, steps };
}

function shuffleBy<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function countOf(select: SelectSpec | undefined, size: number): number {
  if (select === undefined || select === 'all') return size;
  if (select === 'one' || select === 'random') return 1;
  return Math.min(size, 'count' in select ? select.count : Math.max(1, Math.ceil((select.percent / 100) * size)));
}

export interface CompiledSafety {
  mode: CompiledScenario['mode'];
  guardrails: CompiledGuardrails;
  steadyState: CompiledSteadyState[];
  abortWhen: CompiledAbortWhen[];
  ramps: CompiledRamp[];
  extraFaults: CompiledFault[];
  /** Ramped faults, one per VM of their widest reach, with the first step's params (they replace the plain compile's). */
  faults: CompiledFault[];
}

export function compileSafety(spec: ScenarioSpec, vms: VmPlan[], faults: CompiledFault[], random: Random, condition: CompileCondition): CompiledSafety {
  const ramps: CompiledRamp[] = [];
  // A ramped fault is one injection per VM of its widest reach, each starting with step 1's params.
  const out = spec.faults.flatMap((f) => {
    const mine = faults.filter((c) => c.id === f.id);
    if (!f.ramp) return mine;
    const ramp = rampOf(f, f.ramp, mine.map((c) => c.vm), vms, random);
    ramps.push(ramp);
    return ramp.steps.at(-1)!.vms.map((vm) => ({ ...mine[0]!, vm, params: ramp.steps[0]!.params }));
  });
  return {
    mode: spec.scenario.mode,
    guardrails: guardrailsOf(spec.guardrails),
    steadyState: spec.steady_state.map((s) => {
      const c = condition(s.check, undefined);
      return { id: s.id, description: s.description, condition: { check: c.check, vms: c.vms, forMs: 0 }, passPct: parsePercent(s.tolerance.pass) ?? 100, overMs: ms(s.tolerance.over) };
    }),
    abortWhen: spec.abort_when.map((a) => {
      // A metric is an agent-metric check whose passing is the trouble.
      const check = a.check ?? { type: 'agent-metric' as const, target: a.metric!.target, metric: a.metric!.metric, condition: a.metric!.condition };
      const c = condition(check, a.for);
      return { id: a.id, description: a.description, condition: { check: c.check, vms: c.vms, forMs: c.forMs }, on: a.check ? 'failing' as const : 'passing' as const };
    }),
    ramps,
    extraFaults: spec.extra_faults.flatMap((f) => selectTargets(f.target, vms, random).map((vm) => ({
      id: f.id, type: f.type, vm, params: FAULT_PARAMS[f.type].parse(f.params) as Record<string, string | number>, atMs: 0,
      durationMs: f.duration === undefined ? null : ms(f.duration),
    }))),
    faults: out,
  };
}
