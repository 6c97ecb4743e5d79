/**
 * The run's rules as one pure function: `step(plan, progress, observations, nowMs)` →
 * the next progress and the actions the I/O shell (the server's ActiveRun) must carry out.
 * No clock, no I/O, no randomness: every rule is unit-tested without a VM (run-step.test.ts).
 *
 * To add a rule: a new fact the shell learns is an Observation (run-state.ts), handled in
 * `observe`; a time-driven rule goes in `tick`; something the shell must do is an Action
 * (and ActiveRun.advance/act carries it out; an action with an answer comes back as an
 * observation in the next batch). State that must survive a restart goes in
 * RunProgressSchema with a `.default()` so documents stored before it still read back.
 */
import { agentFaultId, faultKey, isLive, type CheckOutcome, type Observation, type RunPlan, type RunProgress, type StepResult } from './run-state.ts';
import { contradicted, pinInstance, reinjected, verifyAgents } from './run-integrity.ts';
import { faultOf, publish, type Turn } from './run-turn.ts';
import { beginTeardown, discardInTeardown, finish, revertInTeardown } from './run-end.ts';
import { chargePenalties, objectivesSustained, recordObjectives, updateAlerts } from './run-conditions.ts';
import { answerRootCause, endReview, reviewing } from './run-review.ts';
import { enterPreflight, preflightChecks, preflightPlanned, preflightTick, resumePreflight } from './run-preflight.ts';
import { advanceRamps, effectiveFault, inReach } from './run-ramp.ts';
import { allStruck, concludeHeld, experimentChecks } from './run-experiment.ts';
import { GUARDRAIL_SAMPLE_MS, hostSampled, withinBudget } from './run-guardrails.ts';

/** Objectives are re-evaluated this often, so a fix shows in status within ~1 s. */
export const EVAL_INTERVAL_MS = 300;
/** The agents' dead-man switch reverts faults when heartbeats stop for longer than their TTL. */
export const HEARTBEAT_MS = 2000;
/** A fault that cannot be injected is retried, then the run fails: no incident, no training. */
export const FAULT_APPLY_ATTEMPTS = 3;
export const FAULT_RETRY_MS = 1000;

/** Advances a run by a batch of observations (in order). Never mutates its arguments. */
export function step(plan: RunPlan, progress: RunProgress, observations: readonly Observation[], nowMs: number): StepResult {
  const t: Turn = { plan, s: structuredClone(progress), out: [], now: nowMs, destroy: false };
  for (const o of observations) observe(t, o);
  if (t.destroy && t.s.reverting.length === 0 && !t.s.tornDown) t.out.push({ kind: 'destroy-fleet' });
  return { state: t.s, actions: t.out, persist: durableJson(t.s) !== durableJson(progress) };
}

/**
 * What must survive a restart: everything but the evaluation and heartbeat cadence and the
 * time of the last check (a round that changes nothing is not worth a write).
 */
function durableJson(p: RunProgress): string {
  const objectives = Object.fromEntries(Object.entries(p.objectives).map(([k, v]) => [k, { passing: v.passing, detail: v.detail }]));
  return JSON.stringify({ ...p, lastEvalAtMs: 0, lastHeartbeatAtMs: 0, lastSampleAtMs: 0, steady: {}, objectives });
}

function observe(t: Turn, o: Observation): void {
  const { s } = t;
  switch (o.kind) {
    case 'tick':
      return tick(t);
    case 'fleet-queued':
      if (s.state !== 'provisioning') return;
      s.state = 'queued';
      return publish(t, 'run.queued', { capacity: o.capacity });
    case 'fleet-admitted':
      if (s.state !== 'queued') return;
      s.state = 'provisioning';
      return publish(t, 'run.admitted', {});
    case 'fleet-adopted':
      // A VM booted afresh has a new agent by Pudu's doing: not an agent restart to report. Its
      // faults are not held any more; the reconcile after the restart injects them again.
      for (const vm of o.replaced) delete s.agents[vm];
      return publish(t, 'fleet.adopted', { fleetId: o.fleetId, replaced: o.replaced });
    case 'fleet-ready':
      s.fleetId = o.fleetId;
      // The clock starts once pre-flight passes (run-preflight.ts).
      if (s.state === 'provisioning' || s.state === 'queued') enterPreflight(t);
      else if (!isLive(s)) {
        // Ended while the fleet booted: the earlier teardown had no fleet to destroy yet.
        s.tornDown = false;
        beginTeardown(t);
      }
      return;
    case 'fleet-failed':
      return finish(t, 'failed', null, o.error);
    case 'fleet-lost':
      s.fleetId = null;
      for (const p of Object.values(s.faults)) if (p.state === 'active') p.state = 'pending';
      return;
    case 'fleet-destroyed':
    case 'fleet-destroy-failed':
      s.tornDown = true;
      s.reverting = [];
      return;
    case 'resumed':
      if (reviewing(t)) endReview(t, 'server restarted');
      else if (s.state === 'running') s.reconcile = true;
      else if (s.state === 'preflight') resumePreflight(t);
      else if (!isLive(s) && !s.tornDown) beginTeardown(t);
      return;
    case 'fault-applied':
      if (o.identity) pinInstance(t, faultOf(t, o.key)?.vm ?? '', o.identity);
      return faultApplied(t, o.key);
    case 'fault-denied':
      return faultDenied(t, o.key, o.reason, o.rule);
    case 'fault-apply-failed':
      return faultApplyFailed(t, o.key, o.error.code, o.error.message);
    case 'fault-reverted':
    case 'fault-revert-failed':
    case 'fault-discarded':
      return faultEnded(t, o);
    case 'agent-faults':
      if (s.reconcile) return reconcile(t, o.reports);
      if (!verifyAgents(t, o.reports)) t.untrusted = true;
      return;
    case 'checks':
      if (!contradicted(t, o.contradictions ?? [])) t.untrusted = true;
      return checks(t, o.atMs, o.results);
    case 'hint-requested':
      return hint(t);
    case 'root-cause-answer':
      return answerRootCause(t, o.answer);
    case 'end-review':
      return endReview(t, 'ended by request');
    case 'abort':
      if (reviewing(t)) return endReview(t, o.reason);
      if (!isLive(s)) return void t.out.push({ kind: 'refuse', code: 'RUN_NOT_ACTIVE', message: `run ${t.plan.runId} is ${s.state}` });
      return finish(t, 'aborted', null, o.reason);
    case 'preflight-planned':
      return preflightPlanned(t, o.problems);
    case 'host-sample':
      return hostSampled(t, o.atMs, o.sample);
    case 'halt':
      // Halt-all also ends a review: nothing of the run may stay up.
      if (reviewing(t)) return endReview(t, `halted: ${o.reason}`);
      return finish(t, 'halted', null, `halted: ${o.reason}`);
  }
}

/** Time-driven rules, in order: reconcile after a restart, expiry, alerts, faults, heartbeat, evaluation. */
function tick(t: Turn): void {
  const { s, plan, now } = t;
  if (reviewing(t)) {
    if (s.reviewUntilMs !== null && now >= s.reviewUntilMs) return endReview(t, 'review time over');
    // Alerts still clear (or fire) from state while the trainee looks around.
    if (now - s.lastEvalAtMs >= EVAL_INTERVAL_MS) {
      s.lastEvalAtMs = now;
      t.out.push({ kind: 'evaluate' });
    }
    return;
  }
  if (s.state === 'preflight') {
    if (preflightTick(t)) return;
    return evaluateDue(t);
  }
  // Without a fleet (a replacement is booting) nothing can be injected or checked: wait for it.
  if (s.state !== 'running' || s.startedAtMs === null || s.fleetId === null) return;
  if (s.reconcile) {
    const vms = [...new Set(plan.compiled.faults.filter((f) => s.faults[faultKey(f)]?.state === 'active').map((f) => f.vm))];
    if (vms.length > 0) return void t.out.push({ kind: 'list-agent-faults', vms });
    reconcile(t, []);
  }
  const elapsed = now - s.startedAtMs;
  if (elapsed >= plan.compiled.timeLimitMs) {
    if (plan.compiled.mode === 'experiment') return concludeHeld(t, now, 'the time limit came');
    return finish(t, 'expired', null);
  }
  advanceRamps(t, elapsed);
  if (s.state !== 'running') return;
  fireScriptedAlerts(t, elapsed);
  for (const compiled of plan.compiled.faults) {
    const key = faultKey(compiled);
    const p = s.faults[key];
    // Not reached by its ramp's step yet, or taken out by a guardrail's pause: it waits.
    if (!p || (p.state === 'pending' && (!inReach(t, compiled) || s.pausedBy !== null))) continue;
    const f = effectiveFault(t, compiled);
    const endsAt = f.durationMs === null ? null : f.atMs + f.durationMs;
    if (p.state === 'pending' && endsAt !== null && elapsed >= endsAt) {
      // Its whole window passed while the server was down: nothing to inject any more.
      p.state = 'reverted';
      publish(t, 'fault.skipped', { id: f.id, vm: f.vm, why: 'its window passed while the server was down' });
    } else if (p.state === 'pending' && f.atMs <= elapsed && (p.retryAtMs ?? 0) <= now) {
      if (!withinBudget(t)) return;
      t.out.push({ kind: 'apply-fault', key, agentId: agentFaultId(plan.runId, f.id), fault: f, remainingMs: endsAt === null ? null : endsAt - elapsed });
    } else if (p.state === 'active' && endsAt !== null && elapsed >= endsAt && (p.retryAtMs ?? 0) <= now) {
      t.out.push({ kind: 'revert-fault', key, agentId: agentFaultId(plan.runId, f.id), fault: f, why: 'duration over' });
    }
  }
  if (now - s.lastHeartbeatAtMs >= HEARTBEAT_MS) {
    s.lastHeartbeatAtMs = now;
    t.out.push({ kind: 'heartbeat' });
  }
  if (now - s.lastSampleAtMs >= GUARDRAIL_SAMPLE_MS) {
    s.lastSampleAtMs = now;
    t.out.push({ kind: 'sample-host' });
  }
  evaluateDue(t);
}

function evaluateDue(t: Turn): void {
  if (t.now - t.s.lastEvalAtMs >= EVAL_INTERVAL_MS) {
    t.s.lastEvalAtMs = t.now;
    t.out.push({ kind: 'evaluate' });
  }
}

/** A scripted alert reports a fault: it fires at its time, once every fault due by then has struck. */
function fireScriptedAlerts(t: Turn, elapsed: number): void {
  const { s, plan } = t;
  const struckBy = (atMs: number): boolean => plan.compiled.faults.every((f) => f.atMs > atMs || !inReach(t, f) || s.faults[faultKey(f)]?.state !== 'pending');
  for (const a of plan.compiled.alerts) {
    if (a.firedAtMs !== null && a.firedAtMs <= elapsed && !s.alertsFired.includes(a.name) && struckBy(a.firedAtMs)) {
      s.alertsFired.push(a.name);
      publish(t, 'alert.fired', { name: a.name, severity: a.severity, message: a.message, atMs: a.firedAtMs });
    }
  }
}

function faultApplied(t: Turn, key: string): void {
  const f = faultOf(t, key);
  const p = t.s.faults[key];
  if (!f || !p) return;
  p.state = 'active';
  p.error = null;
  p.retryAtMs = null;
  t.s.injections += 1;
  const applied = effectiveFault(t, f);
  publish(t, 'fault.applied', { id: f.id, type: f.type, vm: f.vm, ...(applied !== f ? { params: applied.params } : {}) });
  reinjected(t, key, f);
  // The alerts that were waiting for this fault fire with it, in the same stored change.
  if (t.s.state === 'running' && t.s.startedAtMs !== null) fireScriptedAlerts(t, t.now - t.s.startedAtMs);
  // The run ended while this apply was in flight (another fault failed for good): undo it.
  if (!isLive(t.s) && !t.s.tornDown) revertInTeardown(t, key);
}

/**
 * The policy refused the fault just before it was applied: nothing was injected. The run
 * records why and ends (aborted): the organisation no longer allows this experiment, so the
 * faults already in place are reverted too.
 */
function faultDenied(t: Turn, key: string, reason: string, rule: string | null): void {
  const f = faultOf(t, key);
  const p = t.s.faults[key];
  if (!f || !p || !isLive(t.s)) return;
  p.state = 'failed';
  p.error = `denied by policy: ${reason}`;
  p.retryAtMs = null;
  publish(t, 'fault.denied', { id: f.id, type: f.type, vm: f.vm, rule, reason });
  finish(t, 'aborted', null, `the policy denied fault ${f.id} on ${f.vm} before it was applied: ${reason}`);
}

function faultApplyFailed(t: Turn, key: string, code: string, message: string): void {
  const f = faultOf(t, key);
  const p = t.s.faults[key];
  if (!f || !p) return;
  p.error = message;
  p.attempts += 1;
  if (!isLive(t.s)) {
    if (!t.s.tornDown) discardInTeardown(t, key);
    return;
  }
  // The agent refused the fault itself (a unit not installed, a path missing): retrying cannot help.
  if (code !== 'FAULT_INVALID' && p.attempts < FAULT_APPLY_ATTEMPTS) {
    p.retryAtMs = t.now + FAULT_RETRY_MS;
    return publish(t, 'fault.retrying', { id: f.id, type: f.type, vm: f.vm, attempt: p.attempts, error: message });
  }
  p.state = 'failed';
  p.retryAtMs = null;
  publish(t, 'fault.failed', { id: f.id, type: f.type, vm: f.vm, error: message });
  finish(t, 'failed', null, `fault ${f.id} could not be injected on ${f.vm} after ${p.attempts} attempt(s): ${message}`);
}

function faultEnded(t: Turn, o: Extract<Observation, { kind: 'fault-reverted' | 'fault-revert-failed' | 'fault-discarded' }>): void {
  const { s } = t;
  const f = faultOf(t, o.key);
  const p = s.faults[o.key];
  if (!f || !p) return;
  if (o.kind === 'fault-reverted') {
    // A ramp step or a guardrail's pause: applied again later (with the step's params, or once the limit cleared).
    p.state = p.restep && isLive(s) ? 'pending' : 'reverted';
    p.restep = false;
    p.retryAtMs = null;
    publish(t, 'fault.reverted', { id: f.id, type: f.type, vm: f.vm, why: o.why });
  } else if (o.kind === 'fault-revert-failed') {
    p.error = `revert failed: ${o.error.message}`;
    p.retryAtMs = t.now + FAULT_RETRY_MS;
    publish(t, 'fault.revert-failed', { id: f.id, type: f.type, vm: f.vm, error: p.error });
  }
  if (s.reverting.includes(o.key)) {
    s.reverting = s.reverting.filter((k) => k !== o.key);
    if (!isLive(s) && s.reviewUntilMs === null) t.destroy = true;
  }
}

/**
 * After a restart: a fault the run holds active but its agent no longer does (its TTL or
 * dead-man switch fired while the server was down) is injected again, unless its window is over.
 */
function reconcile(t: Turn, reports: Extract<Observation, { kind: 'agent-faults' }>['reports']): void {
  const { s, plan } = t;
  if (!s.reconcile || s.state !== 'running' || s.startedAtMs === null) return;
  s.reconcile = false;
  const elapsed = t.now - s.startedAtMs;
  const held = new Set(reports.flatMap((r) => (r.faults ?? []).filter((x) => x.state === 'active').map((x) => `${x.id}@${r.vm}`)));
  for (const f of plan.compiled.faults) {
    const p = s.faults[faultKey(f)];
    if (p?.state !== 'active' || held.has(`${agentFaultId(plan.runId, f.id)}@${f.vm}`)) continue;
    if (f.durationMs !== null && elapsed >= f.atMs + f.durationMs) continue;
    p.state = 'pending';
    publish(t, 'fault.lost', { id: f.id, vm: f.vm, why: 'agent no longer holds it after the server restart; re-applying' });
  }
  publish(t, 'run.resumed', { elapsedMs: elapsed });
}

/**
 * One evaluation round. The run resolves when every objective has passed for its `for:`
 * window, after an incident was seen, with every fault struck and one still in place.
 */
function checks(t: Turn, atMs: number, results: Record<string, CheckOutcome>): void {
  const { s, plan } = t;
  if (reviewing(t)) return updateAlerts(t, atMs, results);
  if (s.state === 'preflight') return preflightChecks(t, results);
  if (s.state !== 'running' || s.startedAtMs === null) return;
  if (plan.compiled.mode === 'experiment') {
    updateAlerts(t, atMs, results);
    return experimentChecks(t, atMs, results);
  }
  const objectives = plan.compiled.objectives;
  const passing = (id: string): boolean => results[id]?.passing === true;
  // Before every fault has struck, the system is healthy by construction: not a fix (and
  // not shown as passing). When every fault has run its course, it healed by itself.
  const states = Object.values(s.faults).map((p) => p.state);
  const struck = allStruck(t);
  const anyLive = states.includes('active');
  recordObjectives(t, atMs, results, !struck);
  updateAlerts(t, atMs, results);
  const failedPenalty = chargePenalties(t, atMs, results, struck);
  if (failedPenalty !== null) return finish(t, 'failed', null, `penalty: ${failedPenalty}`);
  // A fix needs a visible incident first: some objective failed with every fault in place
  // (a slow leak passes its objective for minutes after it starts), in two rounds running:
  // one slow /healthz on a loaded host is not an incident.
  const failedNow = struck ? objectives.filter((o) => !passing(o.id)).map((o) => o.id) : [];
  if (!s.incidentSeen && failedNow.some((id) => s.failedLastRound.includes(id))) {
    s.incidentSeen = true;
    publish(t, 'incident.seen', { objectives: failedNow });
  }
  s.failedLastRound = failedNow;
  if (struck && anyLive && s.incidentSeen && !t.untrusted && objectivesSustained(t, atMs)) {
    // A fix is timed when Pudu saw it, not when the round began (a slow check would predate it).
    finish(t, 'resolved', atMs - s.startedAtMs);
  } else if (states.length > 0 && states.every((st) => st === 'reverted')) {
    finish(t, 'expired', null, 'every fault ran its course before the objectives were met');
  }
}

/** The next hint: charged once, in order; HINTS_EXHAUSTED past the last. */
function hint(t: Turn): void {
  const { s, plan } = t;
  if (!isLive(s)) return void t.out.push({ kind: 'refuse', code: 'RUN_NOT_ACTIVE', message: `run ${plan.runId} is ${s.state}` });
  const h = plan.compiled.hints[s.hintsUsed];
  if (!h) return void t.out.push({ kind: 'refuse', code: 'HINTS_EXHAUSTED', message: `all ${plan.compiled.hints.length} hints were already given` });
  const index = s.hintsUsed;
  s.hintsUsed += 1;
  const penalty = plan.compiled.scoring.hintPenalty;
  publish(t, 'hint.taken', { index, hintsUsed: s.hintsUsed, penalty });
  t.out.push({ kind: 'hint', index, text: h.text, penalty });
}
