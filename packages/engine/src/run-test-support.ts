/** For the run rules' unit tests: a run whose pre-flight passed at `nowMs` (its clock starts then). */
import { step } from './run-step.ts';
import { newRunProgress, type Observation, type RunPlan, type RunProgress } from './run-state.ts';
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
