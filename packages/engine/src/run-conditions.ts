/**
 * The rules fed by check rounds besides resolution: objectives with their `for:` windows,
 * alerts that fire and resolve from state, and penalties charged for what the responder did.
 * Every check of a round comes back in one `checks` observation, keyed by `conditionKeys`.
 */
import type { CompiledCondition, CompiledScenario } from './compiled-scenario.ts';
import type { CheckOutcome, RunProgress } from './run-state.ts';
import { publish, type Turn } from './run-turn.ts';
import { sustain, sustained } from './sustained.ts';
import { scoreRun, type RootCauseVerdict, type ScoreBreakdown } from './score.ts';
import { elapsedOf } from './run-state.ts';
import { abortKey, steadyKey } from './run-verdict.ts';

export const alertKey = (name: string): string => `alert:${name}`;
export const penaltyKey = (id: string): string => `penalty:${id}`;

/** Every check a round evaluates, under the key its result comes back with (objective ids have no colon). */
export function conditionsOf(c: CompiledScenario): { key: string; condition: CompiledCondition }[] {
  return [
    ...c.objectives.map((o) => ({ key: o.id, condition: { check: o.check, vms: o.vms, forMs: o.forMs } })),
    ...c.alerts.flatMap((a) => (a.when ? [{ key: alertKey(a.name), condition: a.when }] : [])),
    ...c.penalties.map((p) => ({ key: penaltyKey(p.id), condition: p.when })),
    ...c.steadyState.map((x) => ({ key: steadyKey(x.id), condition: x.condition })),
    ...c.abortWhen.map((a) => ({ key: abortKey(a.id), condition: a.condition })),
  ];
}

const outcome = (results: Record<string, CheckOutcome>, key: string): CheckOutcome => results[key] ?? { passing: false, detail: 'not evaluated' };

/**
 * Records each objective's result and `for:` window. While `waiting` (some fault has not
 * struck yet) nothing is recorded: an objective passing before the incident means nothing.
 */
export function recordObjectives(t: Turn, atMs: number, results: Record<string, CheckOutcome>, waiting: boolean): void {
  if (waiting) return;
  const { s } = t;
  const checkedAt = new Date(atMs).toISOString();
  for (const o of t.plan.compiled.objectives) {
    const r = outcome(results, o.id);
    const prev = s.objectives[o.id];
    if (prev?.passing !== r.passing) {
      publish(t, r.passing ? 'objective.passed' : 'objective.failing', { id: o.id, detail: r.detail, ...(r.staffDetail ? { staffDetail: r.staffDetail } : {}) });
    }
    s.objectives[o.id] = { passing: r.passing, detail: r.detail, staffDetail: r.staffDetail ?? '', checkedAt, since: sustain(prev?.since, r.passing, atMs) };
  }
}

/** Every objective passes and has for its whole `for:` window. */
export function objectivesSustained(t: Turn, atMs: number): boolean {
  const objectives = t.plan.compiled.objectives;
  return objectives.length > 0 && objectives.every((o) => {
    const p = t.s.objectives[o.id];
    return p?.passing === true && sustained(p.since, o.forMs, atMs);
  });
}

/** A state-driven alert fires once its check has failed for its window, and resolves when it passes. */
export function updateAlerts(t: Turn, atMs: number, results: Record<string, CheckOutcome>): void {
  const { s } = t;
  for (const a of t.plan.compiled.alerts) {
    if (!a.when) continue;
    const r = outcome(results, alertKey(a.name));
    const prev = s.alerts[a.name] ?? { since: null, firing: false };
    const since = sustain(prev.since, !r.passing, atMs);
    let firing = prev.firing;
    if (!firing && sustained(since, a.when.forMs, atMs)) {
      firing = true;
      if (!s.alertsFired.includes(a.name)) s.alertsFired.push(a.name);
      publish(t, 'alert.fired', { name: a.name, severity: a.severity, message: a.message, atMs: elapsedOf(s, atMs), detail: r.detail });
    } else if (firing && r.passing) {
      firing = false;
      publish(t, 'alert.resolved', { name: a.name, severity: a.severity, atMs: elapsedOf(s, atMs) });
    }
    s.alerts[a.name] = { since, firing };
  }
}

/**
 * Penalties: charged once, the first time the check has failed (or passed, for chargeOn
 * 'passing') for its window once every
 * fault has struck (a check failing before that is the platform's doing, not the responder's).
 * Returns the penalty that fails the run, if one was charged.
 */
export function chargePenalties(t: Turn, atMs: number, results: Record<string, CheckOutcome>, incidentBegun: boolean): string | null {
  const { s } = t;
  let failing: string | null = null;
  for (const p of t.plan.compiled.penalties) {
    if (s.penalties.includes(p.id)) continue;
    const r = outcome(results, penaltyKey(p.id));
    // No answer is no evidence: the window neither grows nor breaks on it.
    if (r.inconclusive && incidentBegun) continue;
    const charged = p.chargeOn === 'passing' ? r.passing : !r.passing;
    const since = incidentBegun ? sustain(s.penaltySince[p.id], charged, atMs) : null;
    s.penaltySince[p.id] = since;
    if (!sustained(since, p.when.forMs, atMs)) continue;
    s.penalties.push(p.id);
    publish(t, 'penalty.charged', { id: p.id, description: p.description, points: p.points, fail: p.fail, detail: r.detail });
    if (p.fail && failing === null) failing = p.description;
  }
  return failing;
}

/** Where the root-cause question stands for this progress. */
export function rootCauseVerdict(c: CompiledScenario, s: RunProgress): RootCauseVerdict | null {
  if (!c.rootCause) return null;
  if (s.rootCause) return s.rootCause.correct ? 'correct' : 'wrong';
  // Still answerable while the run runs (the question comes at resolution) or its review lasts.
  return s.state === 'running' || s.state === 'provisioning' || (s.state === 'resolved' && s.reviewUntilMs !== null) ? 'pending' : 'unanswered';
}

/** The run's score with every part: time, hints, penalties charged, the root-cause answer. */
export function scoreOfProgress(c: CompiledScenario, s: RunProgress, nowMs: number): ScoreBreakdown {
  const verdict = rootCauseVerdict(c, s);
  return scoreRun({
    scoring: c.scoring,
    resolvedAtMs: s.resolvedAtMs ?? elapsedOf(s, nowMs),
    hintsTaken: s.hintsUsed,
    penalties: s.penalties.map((id) => ({ id, points: c.penalties.find((p) => p.id === id)?.points ?? 0 })),
    rootCause: c.rootCause && verdict ? { points: c.rootCause.points, verdict } : null,
  });
}
