/**
 * An experiment's rules (mode: experiment, no trainee, no score): its steady-state checks
 * are sampled every round and judged over their windows (≥ pass % of the samples over
 * `over`); its abort_when conditions stop it once they have held for their `for:`; it ends
 * with a verdict (run-verdict.ts). Run states: held → resolved, refuted → failed,
 * aborted → aborted (or halted), inconclusive → the state that cut it short.
 */
import type { CheckOutcome } from './run-state.ts';
import { faultKey } from './run-state.ts';
import { publish, type Turn } from './run-turn.ts';
import { finish } from './run-end.ts';
import { sustain, sustained } from './sustained.ts';
import { inReach, rampBreach } from './run-ramp.ts';
import { abortKey, shareOf, steadyEvidence, steadyKey } from './run-verdict.ts';

/** Every fault that its ramp reaches has struck (applied, or applied and over). */
export function allStruck(t: Turn): boolean {
  return t.plan.compiled.faults.filter((f) => inReach(t, f)).every((f) => {
    const st = t.s.faults[faultKey(f)]?.state;
    return st === 'active' || st === 'reverted';
  });
}

/** One round of an experiment: sample the steady state, watch the abort conditions, judge. */
export function experimentChecks(t: Turn, atMs: number, results: Record<string, CheckOutcome>): void {
  const { s, plan } = t;
  if (s.state !== 'running' || s.startedAtMs === null) return;
  const elapsed = atMs - s.startedAtMs;
  const breaches: string[] = [];
  for (const c of plan.compiled.steadyState) {
    const r = results[steadyKey(c.id)];
    // A check that could not tell (agent silent) is no sample either way.
    if (!r || r.inconclusive) continue;
    const prev = s.steady[c.id];
    const samples = [...(prev?.samples ?? []), [atMs, r.passing] as [number, boolean]].filter(([at]) => at > atMs - c.overMs);
    const lastFailure = r.passing ? prev?.lastFailure ?? null : { atMs, detail: r.detail };
    s.steady[c.id] = { samples, lastFailure };
    const pct = shareOf(samples) ?? 100;
    if (pct < c.passPct) breaches.push(`steady_state ${c.id} at ${pct.toFixed(1)} %`);
    // Judged once a whole window has passed since the clock started (pre-flight saw it hold before).
    if (pct < c.passPct && elapsed >= c.overMs) {
      const evidence = steadyEvidence(t, atMs);
      const mine = evidence.find((e) => e.check === c.id)!;
      const reason = `steady_state ${c.id}: ${pct.toFixed(1)} % of samples passed over the last ${c.overMs / 1000} s (needs ≥ ${c.passPct} %); ${mine.detail}`;
      s.verdict = { outcome: 'refuted', reason, evidence };
      publish(t, 'experiment.refuted', { check: c.id, passPct: mine.passPct, atMs: elapsed, detail: mine.detail });
      return finish(t, 'failed', null, `hypothesis refuted: ${reason}`);
    }
  }
  for (const a of plan.compiled.abortWhen) {
    const r = results[abortKey(a.id)];
    if (!r || r.inconclusive) continue;
    const holds = a.on === 'failing' ? !r.passing : r.passing;
    s.abortSince[a.id] = sustain(s.abortSince[a.id], holds, atMs);
    if (holds) breaches.push(`abort_when ${a.id}: ${r.detail}`);
    if (holds && sustained(s.abortSince[a.id], a.condition.forMs, atMs)) {
      const reason = `abort_when ${a.id}: ${r.detail} for ${Math.round((atMs - s.abortSince[a.id]!) / 1000)} s`;
      s.verdict = { outcome: 'aborted', reason, evidence: [...steadyEvidence(t, atMs), { check: a.id, passing: false, passPct: null, atMs: elapsed, detail: r.detail }] };
      publish(t, 'guardrail.breached', { guardrail: `abort_when ${a.id}`, detail: r.detail, action: 'abort' });
      return finish(t, 'aborted', null, reason);
    }
  }
  if (breaches.length > 0) rampBreach(t, elapsed, breaches.join('; '));
  // Every fault ran its course with the steady state kept: the hypothesis held.
  const faults = Object.values(s.faults);
  if (faults.length > 0 && faults.every((p) => p.state === 'reverted')) concludeHeld(t, atMs, 'every fault ran its course');
}

/** The time limit (or the faults' end) came with the steady state within its tolerance. */
export function concludeHeld(t: Turn, atMs: number, why: string): void {
  const { s } = t;
  if (!allStruck(t)) {
    s.verdict = { outcome: 'inconclusive', reason: `${why} before every fault struck`, evidence: steadyEvidence(t, atMs) };
    return finish(t, 'expired', null, s.verdict.reason);
  }
  s.verdict = { outcome: 'held', reason: `${why}; every steady_state check kept its tolerance`, evidence: steadyEvidence(t, atMs) };
  publish(t, 'experiment.held', {});
  finish(t, 'resolved', null);
}
