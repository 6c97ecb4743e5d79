/**
 * One running scenario's I/O shell. The rules live in the engine's `step`; this object
 * feeds it observations (the clock, agents' answers, check results, requests), stores the
 * progress it returns before anything becomes visible, and carries out its actions. A
 * restarted server reads the stored progress back and continues exactly where this stopped.
 */
import { agentFaultId, conditionsOf, faultKey, step, type Action, type AgentReport, type CompiledFault, type Observation, type ObservedError, type RunPlan } from '@pudu/engine';
import { isPuduError, PuduError, type RunState, type TrafficReport } from '@pudu/schema';
import type { Store } from '../store/store.ts';
import type { FleetManager } from '../fleets/fleet-manager.ts';
import type { Metrics } from '../metrics.ts';
import type { EventBus } from './event-bus.ts';
import type { AgentFactory } from './agent-port.ts';
import { AgentLink } from './agent-link.ts';
import { evaluateCondition, type CheckMemory } from './checks.ts';
import { LinkProbes } from './link-probe.ts';
import { TrafficGenerator } from './traffic.ts';
import { progressOf, type RunDoc } from './run-doc.ts';
import { runPreflight, sampleHost } from './run-safety-io.ts';

/** Clock tick: alerts and faults fire within this of their time. */
export const TICK_MS = 100;

export interface RunDeps {
  store: Store;
  bus: EventBus;
  fleets: FleetManager;
  metrics: Metrics;
  agentFactory: AgentFactory;
  log: (msg: string) => void;
  /** The run ended and its faults and fleet are gone: nothing will talk to its agents again. */
  onTornDown: (run: ActiveRun) => void;
  /** Asked just before each fault is applied: the policy in force now; a refusal says why. */
  checkFault?: (doc: RunDoc, fault: CompiledFault) => { reason: string; rule: string | null } | null;
  /** The filesystem whose free share the host_disk_free guardrail watches (default /). */
  dataDir?: string;
}

type Reply = Extract<Action, { kind: 'hint' | 'refuse' | 'answered' }>;

const observed = (e: unknown): ObservedError =>
  isPuduError(e) ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };

export class ActiveRun {
  /** The run's agents, following the fleet its progress names. */
  readonly link: AgentLink;
  private readonly plan: RunPlan;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private evaluationDue = false;
  private chain: Promise<unknown> = Promise.resolve();
  /** The `probe` checks' pings, started on first use. */
  private readonly probes = new LinkProbes();
  /** What checks remember between rounds (the e2e check's last record id). */
  private readonly memory: CheckMemory = new Map();
  /** The scenario's users, while the run runs. */
  private readonly traffic: TrafficGenerator | null;

  constructor(readonly doc: RunDoc, private readonly d: RunDeps) {
    this.plan = { runId: doc.id, compiled: doc.compiled };
    this.link = new AgentLink(d.fleets, d.agentFactory);
    const t = doc.compiled.traffic;
    this.traffic = t ? new TrafficGenerator(t, (vm) => this.link.target(vm) ?? null) : null;
  }

  /** What the scenario's users saw over the last minute; null when the scenario has none. */
  trafficReport(): TrafficReport | null {
    return this.traffic?.report() ?? null;
  }

  /** The review keeps the clock going after the fix (alerts clear, the review ends by time). */
  private get ticking(): boolean {
    return this.doc.state === 'running' || this.doc.state === 'preflight' || (this.doc.state === 'resolved' && this.doc.reviewUntilMs !== null && !this.doc.tornDown);
  }

  /** Runs fn with no other change to this run in flight (ticks, hints, abort, fleet events). */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Starts the clock loop (a no-op unless the run is running). */
  start(): void {
    // Users come once the clock starts (after pre-flight), whenever that is.
    if (this.doc.state === 'running') this.traffic?.start();
    if (this.timer || !this.ticking) return;
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref?.();
  }

  /** Stops the clock loop without ending the run (server shutdown: it resumes later). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.traffic?.stop();
    this.probes.stop();
  }

  /** Feeds observations to the run and waits until everything they caused is done. */
  async observe(observations: Observation[]): Promise<Reply[]> {
    const replies = await this.locked(() => this.advance(observations));
    if (this.ticking) this.start();
    else this.stop();
    // Users stop with the incident; the review is for looking, not for load.
    if (this.doc.state !== 'running') this.traffic?.stop();
    return replies;
  }

  async takeHint(): Promise<{ index: number; text: string; penalty: number }> {
    const r = this.expect(await this.observe([{ kind: 'hint-requested' }]));
    if (r?.kind !== 'hint') throw new PuduError('INTERNAL', 'the run gave no hint and no reason');
    return { index: r.index, text: r.text, penalty: r.penalty };
  }

  /** The trainee's root-cause answer (during the review): whether it was right and what a wrong one cost. */
  async answerRootCause(answer: number | string): Promise<{ correct: boolean; points: number }> {
    const r = this.expect(await this.observe([{ kind: 'root-cause-answer', answer }]));
    if (r?.kind !== 'answered') throw new PuduError('INTERNAL', 'the run took no answer and gave no reason');
    return { correct: r.correct, points: r.points };
  }

  /** Ends the review: the fleet goes now. */
  async endReview(): Promise<void> {
    this.expect(await this.observe([{ kind: 'end-review' }]));
  }

  /** Ends the run; returns once every fault is reverted and the fleet destroyed. */
  async abort(reason: string): Promise<void> {
    this.expect(await this.observe([{ kind: 'abort', reason }]));
  }

  private expect(replies: Reply[]): Reply | undefined {
    const refused = replies.find((r) => r.kind === 'refuse');
    if (refused) throw new PuduError(refused.code, refused.message);
    return replies[0];
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.observe([{ kind: 'tick' }]);
      if (this.evaluationDue) {
        this.evaluationDue = false;
        // Checks run outside the lock: a slow one must not hold up a hint or an abort.
        const round = await this.evaluate();
        await this.observe(round);
      }
    } catch (e) {
      this.d.log(`run ${this.doc.id}: tick failed: ${(e as Error).stack ?? String(e)}`);
    } finally {
      this.busy = false;
    }
  }

  /** step → store → act, until no action has an answer outstanding. */
  private async advance(observations: Observation[]): Promise<Reply[]> {
    const replies: Reply[] = [];
    let batch = observations;
    while (batch.length > 0) {
      const r = step(this.plan, progressOf(this.doc), batch, Date.now());
      Object.assign(this.doc, r.state);
      if (r.persist) await this.persist();
      const answers: Promise<Observation[]>[] = [];
      for (const a of r.actions) {
        if (a.kind === 'publish') {
          await this.d.bus.publish(this.doc.id, a.event, a.data);
          if (a.event.startsWith('integrity.')) this.integrity(a.event, a.data);
        }
        else if (a.kind === 'hint' || a.kind === 'refuse' || a.kind === 'answered') replies.push(a);
        else if (a.kind === 'finished') this.finished(a.state);
        else if (a.kind === 'heartbeat') void this.heartbeat();
        else if (a.kind === 'evaluate') this.evaluationDue = true;
        else answers.push(this.act(a));
      }
      batch = (await Promise.all(answers)).flat();
    }
    if (this.doc.tornDown) this.d.onTornDown(this);
    return replies;
  }

  private async persist(): Promise<void> {
    const doc = this.doc;
    await this.d.store.putRun({ id: doc.id, state: doc.state, createdAt: doc.createdAt, doc: doc as unknown as Record<string, unknown> });
  }

  /** Carries out one action that has an answer, and returns that answer as observations. */
  private async act(a: Extract<Action, { kind: 'apply-fault' | 'revert-fault' | 'discard-fault' | 'list-agent-faults' | 'destroy-fleet' | 'preflight' | 'sample-host' }>): Promise<Observation[]> {
    if (a.kind === 'destroy-fleet') return this.destroyFleet();
    if (a.kind === 'preflight') {
      const problems = await runPreflight(this.link, this.doc.fleetId, a, (f) => this.d.checkFault?.(this.doc, f) ?? null);
      return [{ kind: 'preflight-planned', problems }];
    }
    if (a.kind === 'sample-host') {
      const g = this.doc.compiled.guardrails;
      const sample = await sampleHost(this.link, this.doc.fleetId, this.d.dataDir ?? '/', g.vmCpuPct !== null || g.vmMemPct !== null || g.vmDiskPct !== null);
      return [{ kind: 'host-sample', atMs: Date.now(), sample }];
    }
    try {
      await this.link.sync(this.doc.fleetId);
    } catch (e) {
      if (a.kind === 'apply-fault') return [{ kind: 'fault-apply-failed', key: a.key, error: observed(e) }];
      if (a.kind === 'revert-fault') return [{ kind: 'fault-revert-failed', key: a.key, error: observed(e) }];
      if (a.kind === 'discard-fault') return [{ kind: 'fault-discarded', key: a.key }];
      return [{ kind: 'agent-faults', reports: a.vms.map((vm) => ({ vm, faults: null, error: observed(e) })) }];
    }
    switch (a.kind) {
      case 'apply-fault': {
        const denied = this.d.checkFault?.(this.doc, a.fault) ?? null;
        if (denied) return [{ kind: 'fault-denied', key: a.key, reason: denied.reason, rule: denied.rule }];
        try {
          const port = this.link.agent(a.fault.vm);
          await port.startFault({ id: a.agentId, type: a.fault.type, params: a.fault.params, durationMs: a.remainingMs });
          this.d.metrics.faultInjections.inc({ type: a.fault.type, result: 'applied' });
          return [{ kind: 'fault-applied', key: a.key, identity: port.identity() }];
        } catch (e) {
          this.d.metrics.faultInjections.inc({ type: a.fault.type, result: 'failed' });
          return [{ kind: 'fault-apply-failed', key: a.key, error: observed(e) }];
        }
      }
      case 'revert-fault':
        try {
          await this.link.agent(a.fault.vm).stopFault(a.agentId);
          this.d.metrics.faultInjections.inc({ type: a.fault.type, result: 'reverted' });
          return [{ kind: 'fault-reverted', key: a.key, why: a.why }];
        } catch (e) {
          return [{ kind: 'fault-revert-failed', key: a.key, error: observed(e) }];
        }
      case 'discard-fault':
        try {
          await this.link.agent(a.fault.vm).stopFault(a.agentId);
        } catch {
          // Best effort: the fleet goes next anyway.
        }
        return [{ kind: 'fault-discarded', key: a.key }];
      case 'list-agent-faults': {
        return [{ kind: 'agent-faults', reports: await this.agentReports(a.vms) }];
      }
    }
  }

  private async destroyFleet(): Promise<Observation[]> {
    const doc = this.doc;
    if (!doc.fleetId || doc.keepFleet) return [{ kind: 'fleet-destroyed' }];
    try {
      await this.d.fleets.delete(doc.fleetId);
      await this.d.bus.publish(doc.id, 'fleet.destroyed', { fleetId: doc.fleetId });
      return [{ kind: 'fleet-destroyed' }];
    } catch (e) {
      this.d.log(`run ${doc.id}: fleet teardown failed: ${(e as Error).message}`);
      await this.d.bus.publish(doc.id, 'fleet.destroy-failed', { error: (e as Error).message });
      return [{ kind: 'fleet-destroy-failed', error: (e as Error).message }];
    }
  }

  /** What each VM's agent holds, and who answered (the signed reply's identity). */
  private agentReports(vms: string[]): Promise<AgentReport[]> {
    return Promise.all(vms.map(async (vm): Promise<AgentReport> => {
      const port = this.link.agent(vm);
      try {
        const faults = await port.faults();
        const identity = port.identity();
        return { vm, faults, ...(identity ? { identity } : {}) };
      } catch (e) {
        return { vm, faults: null, error: observed(e) };
      }
    }));
  }

  /**
   * One evaluation round: every objective's check (timed when the last answer came in), then
   * what the agents hold and who they are. Asked *after* the checks: a round counts only if
   * the agent instance that applied each fault still holds it (or saw the trainee fix it)
   * once the evidence is in — a restart or impostor during the checks shows up here.
   */
  private async evaluate(): Promise<Observation[]> {
    await this.link.sync(this.doc.fleetId);
    const fleetId = this.doc.fleetId;
    const hostView = fleetId ? (vm: string) => this.d.fleets.hostView(fleetId, vm) : undefined;
    // Objectives, state-driven alerts and penalties: every check of the round, keyed as the step reads them.
    const conditions = conditionsOf(this.doc.compiled);
    const ctx = { agentFaultIdOf: (id: string) => agentFaultId(this.doc.id, id), probes: this.probes, memory: this.memory, hostView };
    const results = await Promise.all(conditions.map((c) => evaluateCondition(c.key, c.condition, this.link, ctx)));
    const atMs = Date.now();
    const faultVms = [...new Set(this.doc.compiled.faults.filter((f) => this.doc.faults[faultKey(f)]?.state === 'active').map((f) => f.vm))];
    const reports = await this.agentReports(faultVms);
    const contradictions = conditions.flatMap((c, i) => (results[i]!.contradictions ?? []).map((x) => ({ ...x, objective: c.key })));
    // The agents' answer goes first: the step must know the round is untrusted before it judges it.
    return [
      { kind: 'agent-faults', reports },
      {
        kind: 'checks', atMs, contradictions,
        results: Object.fromEntries(conditions.map((c, i) => {
          const { contradictions: _c, ...outcome } = results[i]!;
          return [c.key, outcome];
        })),
      },
    ];
  }

  /** Integrity events are audited as the runner's own findings (pudu_run_events_total counts them). */
  private integrity(event: string, data: Record<string, unknown>): void {
    const vm = typeof data.vm === 'string' ? ` vm ${data.vm}` : '';
    void this.d.store.appendAudit({
      actor: 'pudu-runner', role: 'system', action: event, target: `run ${this.doc.id}${vm}`, result: 'error', detail: String(data.detail ?? data.error ?? data.why ?? ''),
    }).catch((e: unknown) => this.d.log(`audit write failed: ${String(e)}`));
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.link.sync(this.doc.fleetId);
    } catch (e) {
      return this.d.log(`run ${this.doc.id}: heartbeat: ${(e as Error).message}`);
    }
    for (const vm of this.link.vmNames()) {
      this.link.agent(vm).heartbeat().catch((e: unknown) => this.d.log(`run ${this.doc.id}: heartbeat to ${vm} failed: ${(e as Error).message}`));
    }
  }

  /** The runner's own decisions are mutations too: they go to the audit log with the API's. */
  private finished(state: RunState): void {
    const doc = this.doc;
    void this.d.store.appendAudit({
      actor: 'pudu-runner', role: 'system', action: `run.${state}`, target: `run ${doc.id}`, result: state === 'failed' ? 'error' : 'ok',
      detail: doc.error ?? (doc.resolvedAtMs !== null ? `resolved after ${Math.round(doc.resolvedAtMs / 1000)} s, ${doc.hintsUsed} hint(s)` : ''),
    }).catch((e: unknown) => this.d.log(`audit write failed: ${String(e)}`));
    if (state === 'resolved' && doc.resolvedAtMs !== null) this.d.metrics.timeToFixSeconds.observe({ scenario: doc.compiled.id }, doc.resolvedAtMs / 1000);
  }
}
