/**
 * An experiment's verdict: held (every fault struck and the steady state kept its tolerance),
 * refuted (a steady-state check fell below it: which, when, the share seen), aborted (which
 * guardrail or abort condition, or staff), inconclusive (it ended before it could be judged).
 */
import type { RunState, RunVerdict } from '@pudu/schema';
import type { Turn } from './run-turn.ts';

export const steadyKey = (id: string): string => `steady:${id}`;
export const abortKey = (id: string): string => `abort:${id}`;

/** Share of a window's samples that passed, in percent (null: no sample yet). */
export function shareOf(samples: readonly (readonly [number, boolean])[]): number | null {
  if (samples.length === 0) return null;
  return (100 * samples.filter(([, ok]) => ok).length) / samples.length;
}

/** Every steady-state check's share over its window at `atMs` (epoch), as evidence. */
export function steadyEvidence(t: Turn, atMs: number): RunVerdict['evidence'] {
  const start = t.s.startedAtMs ?? atMs;
  return t.plan.compiled.steadyState.map((c) => {
    const w = t.s.steady[c.id];
    const pct = shareOf(w?.samples ?? []);
    const f = w?.lastFailure;
    return {
      check: c.id, passing: pct === null || pct >= c.passPct, passPct: pct === null ? null : Math.round(pct * 10) / 10, atMs: atMs - start,
      detail: f ? `last failure at ${Math.round((f.atMs - start) / 100) / 10} s: ${f.detail}` : 'no failing sample',
    };
  });
}

/** The run of an experiment ends without a verdict yet: staff or a guardrail aborted it, or it could not be judged. */
export function verdictOnEnd(t: Turn, state: RunState, error: string | undefined): void {
  if (t.plan.compiled.mode !== 'experiment' || t.s.verdict !== null) return;
  const aborted = state === 'aborted' || state === 'halted';
  t.s.verdict = { outcome: aborted ? 'aborted' : 'inconclusive', reason: error ?? `run ${state}`, evidence: steadyEvidence(t, t.now) };
}
