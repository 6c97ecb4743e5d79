/** For the run rules' unit tests: a run whose pre-flight passed at `nowMs` (its clock starts then). */
import { step } from './run-step.ts';
import { newRunProgress, type Observation, type RunPlan, type RunProgress } from './run-state.ts';
import type { z } from 'zod';
import { CompiledScenarioSchema } from './compiled-scenario.ts';
import { steadyChecksOf } from './run-preflight.ts';

/** The observations that take a ready fleet through a passing pre-flight. */
export function preflightPassing(plan: RunPlan, atMs: number): Observation[] {
  const results = Object.fromEntries(steadyChecksOf(plan).map((c) => [c.key, { passing: true, detail: 'ok' }]));
  return [{ kind: 'preflight-planned', problems: [] }, { kind: 'checks', atMs, results }];
}

/** A run of `plan` whose fleet came up and whose pre-flight passed at `nowMs`. */
export function startedRun(plan: RunPlan, nowMs: number, fleetId = 'fl1', from: RunProgress = newRunProgress(plan.compiled)): RunProgress {
  return step(plan, from, [{ kind: 'fleet-ready', fleetId }, ...preflightPassing(plan, nowMs)], nowMs).state;
}

/**
 * A compiled one-VM scenario for the rules' tests: app-0 with fault f1 (disk, at 0, no
 * duration), objective o1 (nginx running), no hints, scoring 100 − 0.1/s after 60 s − 10 a
 * hint; `over` replaces any of it.
 */
export function testPlan(over: Partial<z.input<typeof CompiledScenarioSchema>> = {}): RunPlan {
  const compiled = CompiledScenarioSchema.parse({
    id: 's', title: 'S', difficulty: 'easy', architecture: 'monolith', tags: [], description: '', charter: null, seed: 1,
    timeLimitMs: 600_000,
    vms: [{ name: 'app-0', tier: 'app', vcpus: 1, memMb: 256, diskMb: 512, services: [] }],
    faults: [{ id: 'f1', type: 'disk', vm: 'app-0', params: {}, atMs: 0, durationMs: null }],
    alerts: [], symptoms: [], timeline: [],
    objectives: [{ id: 'o1', description: 'ok', check: { type: 'process-running', service: 'nginx' }, vms: ['app-0'] }],
    hints: [],
    scoring: { base: 100, timePenaltyPerSecond: 0.1, hintPenalty: 10, perfectWindowMs: 60_000 },
    ...over,
  });
  return { runId: 'r1', compiled };
}
