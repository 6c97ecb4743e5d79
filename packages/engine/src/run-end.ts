/** How a run ends: once, with its reason, then every fault reverted before the fleet goes. */
import type { RunState } from '@pudu/schema';
import { agentFaultId, elapsedOf, faultKey, isLive } from './run-state.ts';
import { scoreOfProgress } from './run-conditions.ts';
import { faultOf, publish, type Turn } from './run-turn.ts';
import { verdictOnEnd } from './run-verdict.ts';

/** Ends the run (once), then reverts what is still in place and destroys the fleet. */
export function finish(t: Turn, state: RunState, resolvedAtMs: number | null, error?: string): void {
  const { s, plan } = t;
  if (!isLive(s)) return;
  s.state = state;
  s.endedAtMs = t.now;
  s.resolvedAtMs = resolvedAtMs;
  s.reconcile = false;
  if (error) s.error = error;
  verdictOnEnd(t, state, error);
  // The fleet stays for review after a fix: faults go now, the VMs when the review ends.
  if (state === 'resolved' && plan.compiled.reviewMs > 0) s.reviewUntilMs = t.now + plan.compiled.reviewMs;
  const sc = scoreOfProgress(plan.compiled, s, t.now);
  publish(t, `run.${state}`, {
    elapsedMs: elapsedOf(s, t.now),
    ...(state === 'resolved' ? {
      resolvedAtMs, score: sc.score, timePenalty: sc.timePenalty, hintPenalty: sc.hintPenalty, actionPenalty: sc.actionPenalty,
      ...(s.reviewUntilMs !== null ? { reviewUntilMs: s.reviewUntilMs } : {}),
      ...(plan.compiled.rootCause ? { rootCauseQuestion: plan.compiled.rootCause.question } : {}),
    } : {}),
    ...(error ? { error } : {}),
    ...(s.verdict ? { verdict: s.verdict } : {}),
  });
  t.out.push({ kind: 'finished', state });
  beginTeardown(t);
}

/**
 * Reverts every fault still in place (and asks the agent to drop any half-applied one),
 * then — once every answer is in — destroys the fleet. Also resumes a teardown a restart cut.
 */
export function beginTeardown(t: Turn): void {
  const { s, plan } = t;
  s.reverting = [];
  for (const f of plan.compiled.faults) {
    const key = faultKey(f);
    const p = s.faults[key];
    if (p?.state === 'active') revertInTeardown(t, key);
    else if (p?.state === 'failed' || (p?.state === 'pending' && p.attempts > 0)) discardInTeardown(t, key);
  }
  t.destroy = s.reviewUntilMs === null;
}

export function revertInTeardown(t: Turn, key: string): void {
  const f = faultOf(t, key)!;
  t.s.reverting.push(key);
  t.out.push({ kind: 'revert-fault', key, agentId: agentFaultId(t.plan.runId, f.id), fault: f, why: `run ${t.s.state}` });
}

export function discardInTeardown(t: Turn, key: string): void {
  const f = faultOf(t, key)!;
  t.s.reverting.push(key);
  t.out.push({ kind: 'discard-fault', key, agentId: agentFaultId(t.plan.runId, f.id), fault: f });
}
