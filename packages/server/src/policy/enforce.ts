/**
 * Where the server enforces the policy on runs: at run start (the whole scenario) and
 * before each fault (that fault alone, against the policy as it is at that moment). What
 * was decided is kept with the run, so the run records why a fault was or was not applied.
 */
import { actorOf, decideFault, evaluatePolicy, factsOf, type Actor, type CompiledFault, type CompiledScenario, type FaultDecision } from '@pudu/engine';
import { PuduError } from '@pudu/schema';
import type { PolicySource } from './policy-source.ts';

/** Stored with every run. */
export interface RunGovernance {
  environment: string;
  experimentId: string | null;
  /** Whose permissions the run runs with (the proposer's for an experiment). */
  actor: { role: string; groups: string[]; names: string[] };
  outcome: 'allow' | 'approval';
  reasons: string[];
  policySha256: string;
  decidedAt: string;
}

/**
 * Decides whether a run may start now. A deny is POLICY_DENIED; a scenario that needs
 * approvals is APPROVAL_REQUIRED unless it comes from an approved experiment.
 */
export function authorizeRun(policy: PolicySource, plan: CompiledScenario, environment: string, actor: Actor, experimentId: string | null, nowMs = Date.now()): RunGovernance {
  const snap = policy.current();
  const spec = policy.spec();
  const d = evaluatePolicy(spec, plan, environment, actor, nowMs);
  if (d.outcome === 'deny') {
    throw new PuduError('POLICY_DENIED', `the policy denies this run in ${environment} for ${actor.role}: ${d.reasons.join('; ')}`, { decision: d });
  }
  if (d.outcome === 'approval' && !experimentId) {
    const need = d.requirements.map((r) => `${r.count} from ${r.from.join(' or ')}`).join(' and ');
    throw new PuduError('APPROVAL_REQUIRED', `this run needs approval (${need}): propose it with puduc experiment propose --env ${environment}; ${d.reasons.join('; ')}`, { decision: d });
  }
  return {
    environment, experimentId, actor: { role: actor.role, groups: actor.groups, names: actor.names }, outcome: d.outcome,
    reasons: d.reasons, policySha256: snap.sha256, decidedAt: new Date(nowMs).toISOString(),
  };
}

/**
 * The per-fault check, just before a fault is applied: the fault against the policy in
 * force now. Returns null when it may be applied, else the decision that stops it.
 * An approval-needing fault passes only inside an approved experiment.
 */
export function checkFaultNow(policy: PolicySource, plan: CompiledScenario, fault: CompiledFault, g: RunGovernance, actor: Actor, nowMs = Date.now()): FaultDecision | null {
  let d: FaultDecision;
  try {
    const spec = policy.spec();
    d = decideFault(spec, factsOf(plan, plan.faults.filter((f) => f.id === fault.id)), g.environment, actor, nowMs);
  } catch (e) {
    return { fault: fault.id, type: fault.type, tier: null, vms: [fault.vm], outcome: 'deny', rule: null, reason: (e as Error).message.split('\n')[0] ?? 'policy unavailable', approvals: null, considered: [] };
  }
  if (d.outcome === 'allow' || (d.outcome === 'approval' && g.experimentId)) return null;
  return d.outcome === 'approval' ? { ...d, outcome: 'deny', reason: `${d.reason}, and this run is not an approved experiment` } : d;
}

/**
 * The run loop's pre-apply hook: null to apply, else why not. The run keeps the permissions
 * it started with (the proposer's for an experiment); a role the policy no longer defines
 * is a denial too. Runs from before policies existed are not checked.
 */
export function checkRunFault(policy: PolicySource, plan: CompiledScenario, fault: CompiledFault, g: RunGovernance | null, nowMs = Date.now()): { reason: string; rule: string | null } | null {
  if (!g) return null;
  let actor: Actor;
  try {
    actor = actorOf(policy.spec(), g.actor.role, g.actor.groups);
  } catch (e) {
    return { reason: (e as Error).message.split('\n')[0] ?? 'policy unavailable', rule: null };
  }
  const d = checkFaultNow(policy, plan, fault, g, actor, nowMs);
  return d ? { reason: d.reason, rule: d.rule } : null;
}
