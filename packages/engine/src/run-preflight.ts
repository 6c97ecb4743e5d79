/**
 * Pre-flight, between a ready fleet and the start of the clock: every agent healthy and
 * authenticated, every fault planned by its agent (it proves it could apply and revert it,
 * nothing applied), and the steady state holding before any fault — every objective of a
 * training run passes (a scenario whose objectives can never pass is refused, not handed to
 * a trainee), every steady_state check of an experiment. Any of them failing ends the run
 * `preflight-failed` with each reason; the fleet goes, nothing was applied.
 */
import { agentFaultId, type CheckOutcome, type RunPlan } from './run-state.ts';
import type { PreflightProblem } from './run-safety-state.ts';
import { publish, type Turn } from './run-turn.ts';
import { finish } from './run-end.ts';
import { startRamps, stepFaults } from './run-ramp.ts';
import { steadyKey } from './run-verdict.ts';

/** A fresh fleet's services get this long to pass before pre-flight gives up on the steady state. */
export const PREFLIGHT_TIMEOUT_MS = 60_000;

/** What pre-flight judges the steady state by, keyed as a check round returns them. */
export function steadyChecksOf(plan: RunPlan): { key: string; label: string }[] {
  const c = plan.compiled;
  return c.mode === 'experiment'
    ? c.steadyState.map((s) => ({ key: steadyKey(s.id), label: `steady_state ${s.id}` }))
    : c.objectives.map((o) => ({ key: o.id, label: `objective ${o.id}` }));
}

/** The fleet is up: check before the clock starts. */
export function enterPreflight(t: Turn): void {
  const { s, plan } = t;
  s.state = 'preflight';
  s.preflight = { startedAtMs: t.now, planned: false, steadySeen: false, failing: {} };
  publish(t, 'run.preflight', { checks: ['agents', 'fault plans', ...steadyChecksOf(plan).map((c) => c.label)] });
  askPlans(t);
}

/** Every VM's agent, and every fault with each set of params it will be applied with (each ramp step). */
function askPlans(t: Turn): void {
  const { plan } = t;
  const seen = new Set<string>();
  const faults = stepFaults(plan).filter((f) => {
    const k = JSON.stringify([f.id, f.vm, f.params]);
    return seen.has(k) ? false : (seen.add(k), true);
  }).map((fault) => ({ agentId: agentFaultId(plan.runId, fault.id), fault }));
  t.out.push({ kind: 'preflight', vms: plan.compiled.vms.map((v) => v.name), faults });
}

/** After a restart in pre-flight the plans' answer was lost: ask again, with a fresh deadline. */
export function resumePreflight(t: Turn): void {
  const { s } = t;
  s.preflight = { startedAtMs: t.now, planned: false, steadySeen: false, failing: s.preflight?.failing ?? {} };
  askPlans(t);
}

export function preflightPlanned(t: Turn, problems: PreflightProblem[]): void {
  const { s } = t;
  if (s.state !== 'preflight' || !s.preflight) return;
  if (problems.length > 0) return failPreflight(t, problems);
  s.preflight.planned = true;
  publish(t, 'preflight.planned', {});
  maybeStart(t);
}

/** One check round in pre-flight: the steady state holds when every one of its checks passes. */
export function preflightChecks(t: Turn, results: Record<string, CheckOutcome>): void {
  const { s, plan } = t;
  if (s.state !== 'preflight' || !s.preflight) return;
  const failing: Record<string, string> = {};
  for (const c of steadyChecksOf(plan)) {
    const r = results[c.key];
    if (r?.passing !== true) failing[c.label] = r?.detail ?? 'not evaluated';
  }
  s.preflight.failing = failing;
  maybeStart(t, Object.keys(failing).length === 0);
}

function maybeStart(t: Turn, steadyNow?: boolean): void {
  const { s, plan } = t;
  const p = s.preflight;
  if (!p) return;
  // Both in either order: a round in which the steady state held and the plans' answer.
  if (steadyNow !== undefined) p.steadySeen = steadyNow;
  if (!p.planned || !p.steadySeen) return;
  s.state = 'running';
  s.startedAtMs = t.now;
  s.preflight = null;
  publish(t, 'preflight.passed', {});
  startRamps(t);
  publish(t, 'run.started', { timeLimitMs: plan.compiled.timeLimitMs });
}

/** In pre-flight the clock has not started: only its deadline and the check cadence. */
export function preflightTick(t: Turn): boolean {
  const { s } = t;
  if (s.state !== 'preflight' || !s.preflight) return false;
  if (t.now - s.preflight.startedAtMs < PREFLIGHT_TIMEOUT_MS) return false;
  const problems: PreflightProblem[] = Object.entries(s.preflight.failing).map(([check, detail]) => ({ check, reason: `never passed before any fault (${detail})` }));
  if (!s.preflight.planned) problems.unshift({ check: 'agents', reason: `the agents did not answer the fault plans within ${PREFLIGHT_TIMEOUT_MS / 1000} s` });
  if (problems.length === 0) problems.push({ check: 'steady state', reason: `no check round completed within ${PREFLIGHT_TIMEOUT_MS / 1000} s` });
  failPreflight(t, problems);
  return true;
}

function failPreflight(t: Turn, problems: PreflightProblem[]): void {
  publish(t, 'preflight.failed', { problems: problems.map((p) => ({ ...p })) });
  finish(t, 'preflight-failed', null, `pre-flight failed: ${problems.map((p) => `${p.check}: ${p.reason}`).join('; ')}`);
}
