/**
 * Score integrity: a run resolves only on evidence that the trainee's fix removed a fault's
 * effect while Pudu still held the fault. Every evaluation round comes with what each agent
 * says it holds and who it is (instance id, boot id); a fault the agent ended for its own
 * reasons (restart and revert-on-start, a lost journal, TTL, dead-man) is *lost*, never
 * fixed: it goes back to pending (the next tick injects it for the rest of its window), the
 * incident must be seen again, and an `integrity.*` event says what happened. So does an
 * agent that changed instance, did not answer, answered without authentication, or whose
 * claim the host's own view contradicts. Such a round never resolves the run.
 */
import type { AgentReport, Observation } from './run-state.ts';
import { agentFaultId, faultKey } from './run-state.ts';
import { publish, type Turn } from './run-turn.ts';

/** An agent TTL may fire a little before the run's own revert: not a loss. */
const WINDOW_SLACK_MS = 2000;
/** Integrity events kept in the run's progress (the full list is in the event log). */
const MAX_INTEGRITY_RECORDS = 100;

export type IntegrityKind = 'agent_restarted' | 'agent_unreachable' | 'reply_unauthenticated' | 'requests_refused' | 'claim_contradicted' | 'fault_lost' | 'fault_reinjected';

/** Publishes `integrity.<kind>` (staff only) and keeps it in the run's progress for the result. */
export function integrityEvent(t: Turn, kind: IntegrityKind, data: Record<string, unknown>): void {
  const elapsedMs = t.s.startedAtMs === null ? 0 : t.now - t.s.startedAtMs;
  publish(t, `integrity.${kind}`, { ...data, atMs: elapsedMs });
  t.s.integrity.push({ kind, atMs: elapsedMs, vm: typeof data.vm === 'string' ? data.vm : null, detail: String(data.detail ?? data.why ?? data.error ?? '') });
  if (t.s.integrity.length > MAX_INTEGRITY_RECORDS) t.s.integrity.splice(0, t.s.integrity.length - MAX_INTEGRITY_RECORDS);
}

/** Remembers which agent instance a fault was applied through (the instance that must still hold it). */
export function pinInstance(t: Turn, vm: string, identity: AgentReport['identity']): void {
  if (!identity) return;
  const pinned = t.s.agents[vm];
  if (pinned && pinned.instanceId !== identity.instanceId) restarted(t, vm, pinned.instanceId, identity);
  t.s.agents[vm] = { instanceId: identity.instanceId, bootId: identity.bootId, refused: identity.refused ?? 0 };
}

function restarted(t: Turn, vm: string, from: string, id: NonNullable<AgentReport['identity']>): void {
  const bootChanged = t.s.agents[vm]?.bootId !== id.bootId;
  integrityEvent(t, 'agent_restarted', {
    vm, from, to: id.instanceId, bootChanged, journal: id.journal, recovered: id.recovered,
    detail: `agent on ${vm} is a new instance${bootChanged ? ' after a reboot' : ''}${id.journal === 'lost' ? ', its journal was emptied' : ''}${id.recovered > 0 ? `, it reverted ${id.recovered} fault(s) at start` : ''}`,
  });
}

/**
 * One round's agent reports (sent with every evaluation): pins or flags each agent's
 * instance, and puts every fault the run holds active but its agent no longer does back to
 * pending. Returns false when the round cannot be trusted to resolve the run.
 */
export function verifyAgents(t: Turn, reports: Extract<Observation, { kind: 'agent-faults' }>['reports']): boolean {
  const { s, plan } = t;
  if (s.state !== 'running' || s.startedAtMs === null) return true;
  const elapsed = t.now - s.startedAtMs;
  let trusted = true;
  for (const r of reports) {
    if (r.error) {
      trusted = false;
      const kind = r.error.code === 'AGENT_REPLY_UNAUTHENTICATED' ? 'reply_unauthenticated' : 'agent_unreachable';
      // One event per change of trouble, not one per second.
      if (s.agentTrouble[r.vm] !== kind) integrityEvent(t, kind, { vm: r.vm, error: r.error.message });
      s.agentTrouble[r.vm] = kind;
      continue;
    }
    delete s.agentTrouble[r.vm];
    if (r.identity) {
      const pinned = s.agents[r.vm];
      const refused = r.identity.refused ?? 0;
      if (pinned && pinned.instanceId !== r.identity.instanceId) {
        trusted = false;
        restarted(t, r.vm, pinned.instanceId, r.identity);
      } else if (pinned && refused > pinned.refused) {
        // Someone in the VM sent the agent requests it refused: forged, replayed or from inside.
        integrityEvent(t, 'requests_refused', { vm: r.vm, count: refused - pinned.refused, detail: `the agent on ${r.vm} refused ${refused - pinned.refused} request(s) it could not authenticate` });
      }
      s.agents[r.vm] = { instanceId: r.identity.instanceId, bootId: r.identity.bootId, refused };
    }
    for (const f of plan.compiled.faults.filter((x) => x.vm === r.vm)) {
      const p = s.faults[faultKey(f)];
      if (p?.state !== 'active') continue;
      if (f.durationMs !== null && elapsed >= f.atMs + f.durationMs - WINDOW_SLACK_MS) continue;
      const held = (r.faults ?? []).find((x) => x.id === agentFaultId(plan.runId, f.id));
      // Still applied, or gone because the agent saw the trainee's fix: Pudu holds it.
      if (held && (held.state === 'active' || held.reason === 'trainee')) continue;
      trusted = false;
      const why = held ? `the agent ended it itself (${held.reason ?? held.state})` : 'the agent has no record of it (new instance or emptied journal)';
      p.state = 'pending';
      p.retryAtMs = null;
      p.attempts = 0;
      p.reinjecting = true;
      // The incident has to be seen again with the fault back in place before a fix counts.
      s.incidentSeen = false;
      s.failedLastRound = [];
      integrityEvent(t, 'fault_lost', { id: f.id, type: f.type, vm: f.vm, why, detail: `${f.id} on ${f.vm}: ${why}; injecting it again for the rest of its window` });
    }
  }
  return trusted;
}

/** A lost fault is back: say how long Pudu was without it. */
export function reinjected(t: Turn, key: string, f: { id: string; type: string; vm: string }): void {
  const p = t.s.faults[key];
  if (!p?.reinjecting) return;
  p.reinjecting = false;
  integrityEvent(t, 'fault_reinjected', { id: f.id, type: f.type, vm: f.vm, detail: `${f.id} on ${f.vm} injected again` });
}

/** Claims of agents that the host's own view contradicts (sent with a checks round). */
export function contradicted(t: Turn, found: readonly { vm: string; objective: string; detail: string }[]): boolean {
  for (const c of found) integrityEvent(t, 'claim_contradicted', { vm: c.vm, objective: c.objective, detail: c.detail });
  return found.length === 0;
}
