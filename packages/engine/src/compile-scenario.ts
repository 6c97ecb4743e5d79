/**
 * A validated spec → the plan the engine runs: VMs expanded from tiers, targets resolved
 * with the seeded selection, and one sorted timeline. Pure: it touches nothing.
 */
import { FAULT_PARAMS, parseCondition, parseDurationMs, parsePercent } from '@pudu/schema';
import type { ObjectiveSpec, ScenarioSpec } from '@pudu/schema';
import type { CompiledCheck, CompiledCondition, CompiledFault, CompiledScenario, TimelineEvent, TimelineKind, VmPlan } from './compiled-scenario.ts';
import { compileHistory, withUptime } from './compile-history.ts';
import { newSeed, seededRandom } from './random.ts';
import { selectTargets } from './select-targets.ts';
import { compileSafety } from './compile-safety.ts';

const ms = (d: string): number => parseDurationMs(d) ?? 0;
/** At equal times faults end before new ones start, and alerts follow the fault they report. */
const KIND_ORDER: Record<TimelineKind, number> = { 'fault-end': 0, 'fault-start': 1, 'fault-step': 2, alert: 3 };

function compileCheck(check: ObjectiveSpec['check']): CompiledCheck {
  const c = check as Record<string, unknown>;
  switch (check.type) {
    case 'http':
      return { type: 'http', path: String(c.path), expectedStatus: Number(c.expected_status ?? 200), port: Number(c.port ?? 80), latencyBelowMs: c.latency_below === undefined ? null : ms(String(c.latency_below)) };
    case 'agent-metric': {
      const cond = parseCondition(String(c.condition));
      if (!cond) throw new Error(`condition ${String(c.condition)} passed validation but does not parse`);
      return { type: 'agent-metric', metric: c.metric as never, op: cond.op, value: cond.value, condition: String(c.condition) };
    }
    case 'process-running':
      return { type: 'process-running', service: String(c.service) };
    case 'fault-cleared':
      return { type: 'fault-cleared', fault: String(c.fault) };
    case 'probe':
      return {
        type: 'probe', lossBelowPct: parsePercent(String(c.loss_below ?? '1%')) ?? 1,
        latencyBelowMs: c.latency_below === undefined ? null : ms(String(c.latency_below)), overMs: ms(String(c.over ?? '30s')),
      };
    case 'e2e':
      return { type: 'e2e', port: Number(c.port ?? 80) };
    case 'unit-healthy':
      return { type: 'unit-healthy', service: String(c.service), stableMs: ms(String(c.stable ?? '10s')) };
  }
}

/** A check, its VMs (seeded selection, in file order) and its `for:` window. */
function compileCondition(check: ObjectiveSpec['check'], forWindow: string | undefined, vms: VmPlan[], random: () => number): CompiledCondition {
  return { check: compileCheck(check), vms: selectTargets(check.target, vms, random), forMs: forWindow === undefined ? 0 : ms(forWindow) };
}

export interface CompileOptions {
  /** Overrides the scenario's seed (for replay); otherwise the scenario's or a new one. */
  seed?: number;
}

/** Compiles a spec that parseScenario accepted. */
export function compileScenario(spec: ScenarioSpec, opts: CompileOptions = {}): CompiledScenario {
  const seed = opts.seed ?? spec.scenario.seed ?? newSeed();
  const random = seededRandom(seed);
  const vms: VmPlan[] = withUptime(spec, spec.environment.tiers.flatMap((t) =>
    Array.from({ length: t.count }, (_, i) => ({ name: `${t.name}-${i}`, tier: t.name, vcpus: t.vcpus, memMb: t.mem_mb, diskMb: t.disk_mb, services: [...t.services] })),
  ));
  // Selection order follows the file so a seed reproduces the same picks.
  const plainFaults: CompiledFault[] = spec.faults.flatMap((f) =>
    selectTargets(f.target, vms, random).map((vm) => ({
      id: f.id,
      type: f.type,
      vm,
      // The one param schema's output: the agent parses the same object with the same schema.
      params: FAULT_PARAMS[f.type].parse(f.params) as Record<string, string | number>,
      atMs: ms(f.at),
      durationMs: f.duration === undefined ? null : ms(f.duration),
      ...(f.history ? { history: f.history.map((r) => ({ file: r.file, line: r.line })) } : {}),
    })),
  );
  const objectives = spec.objectives.map((o) => {
    const { check, vms: targets, forMs } = compileCondition(o.check, o.for, vms, random);
    return { id: o.id, description: o.description, check, vms: targets, forMs };
  });
  const alerts = spec.signals.alerts.map((a) => ({
    name: a.name, severity: a.severity, message: a.message,
    firedAtMs: a.when ? null : ms(a.fired_at ?? '0s'),
    when: a.when ? compileCondition(a.when.check, a.when.for, vms, random) : null,
  }));
  const penalties = spec.penalties.map((p) => ({ id: p.id, description: p.description, when: compileCondition(p.when.check, p.when.for, vms, random), chargeOn: p.when.on, points: p.points, fail: p.fail }));
  const traffic = spec.traffic
    ? { vms: selectTargets(spec.traffic.target, vms, random), rps: spec.traffic.rps, port: spec.traffic.port, routes: spec.traffic.routes.map((r) => ({ ...r })) }
    : null;
  // Last: the safety parts' random picks (ramps' reach, extra faults) never move the others'.
  const safety = compileSafety(spec, vms, plainFaults, random, (check, forWindow) => compileCondition(check, forWindow, vms, random));
  const { faults, ...safetyFields } = safety;
  const firstStep = (f: CompiledFault): boolean => safety.ramps.find((r) => r.faultId === f.id)?.steps[0]!.vms.includes(f.vm) ?? true;
  const timeline: TimelineEvent[] = [
    ...faults.filter(firstStep).map((f) => ({ atMs: f.atMs, kind: 'fault-start' as const, ref: f.id, vm: f.vm })),
    ...safety.ramps.flatMap((r) => r.steps.slice(1).map((_, i) => ({ atMs: faults.find((f) => f.id === r.faultId)!.atMs + (i + 1) * r.everyMs, kind: 'fault-step' as const, ref: r.faultId, step: i + 2 }))),
    ...faults.filter((f) => f.durationMs !== null).map((f) => ({ atMs: f.atMs + f.durationMs!, kind: 'fault-end' as const, ref: f.id, vm: f.vm })),
    // A state-driven alert has no time of its own: it fires when its condition holds.
    ...alerts.filter((a) => a.firedAtMs !== null).map((a) => ({ atMs: a.firedAtMs!, kind: 'alert' as const, ref: a.name })),
  ];
  timeline.sort((a, b) => a.atMs - b.atMs || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  return {
    id: spec.scenario.id,
    title: spec.scenario.title,
    difficulty: spec.scenario.difficulty,
    architecture: spec.scenario.architecture,
    tags: [...spec.scenario.tags],
    description: spec.scenario.description,
    charter: spec.charter ? { ...spec.charter, success_criteria: [...spec.charter.success_criteria] } : null,
    seed,
    timeLimitMs: ms(spec.scenario.time_limit),
    vms,
    history: compileHistory(spec, vms, seed),
    faults,
    alerts,
    symptoms: [...spec.signals.symptoms],
    timeline,
    objectives,
    hints: spec.hints.map((h) => ({ text: h.text })),
    scoring: {
      base: spec.scoring.base,
      timePenaltyPerSecond: spec.scoring.time_penalty_per_second,
      hintPenalty: spec.scoring.hint_penalty,
      perfectWindowMs: ms(spec.scoring.perfect_window),
    },
    penalties,
    rootCause: spec.root_cause
      ? { question: spec.root_cause.question, choices: spec.root_cause.choices ? [...spec.root_cause.choices] : null, answer: Array.isArray(spec.root_cause.answer) ? [...spec.root_cause.answer] : spec.root_cause.answer, points: spec.root_cause.points }
      : null,
    traffic,
    reviewMs: ms(spec.review),
    ...safetyFields,
  };
}
