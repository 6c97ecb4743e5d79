/**
 * One running scenario: its clock, alerts, faults and continuous objective evaluation.
 * Every change is persisted (the store) and published (events) before it is visible, so
 * a restarted server picks up exactly where this one stopped.
 */
import type { RunState } from '@pudu/schema';
import { PuduError } from '@pudu/schema';
import type { CompiledFault } from '@pudu/engine';
import type { AgentPort, AgentTarget } from './agent-port.ts';
import { elapsedOf, faultKey, scoreOf, type RunDoc } from './run-doc.ts';
import { evaluateObjective } from './checks.ts';

/** Clock tick: alerts and faults fire within this of their time. */
export const TICK_MS = 100;
/** Objectives are re-evaluated this often, so a fix shows in status within ~1 s. */
export const EVAL_INTERVAL_MS = 300;
/** The agents' dead-man switch reverts faults when heartbeats stop for longer than their TTL. */
export const HEARTBEAT_MS = 2000;
/** A fault that cannot be injected is retried this often, then the run fails: no incident, no training. */
export const FAULT_APPLY_ATTEMPTS = 3;
const FAULT_RETRY_MS = 1000;

export interface RunHooks {
  persist(doc: RunDoc): Promise<void>;
  publish(kind: string, data?: Record<string, unknown>): Promise<void>;
  agentFor(vm: string): AgentPort;
  targets(): ReadonlyMap<string, AgentTarget>;
  /** Destroys the run's fleet (unless kept) once the run has ended. */
  destroyFleet(): Promise<void>;
  onFinished(state: RunState, doc: RunDoc): void;
  onFault(type: string, result: 'applied' | 'reverted' | 'failed'): void;
  /** Teardown finished: nothing will talk to this run's agents again. */
  onTornDown(): void;
  log(msg: string): void;
}

export class ActiveRun {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private lastEvalMs = 0;
  /** Objectives that failed in the previous round (with every fault in place). */
  private failedLastRound = new Set<string>();
  private lastHeartbeatMs = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private reconciled = false;
  private readonly retryAt = new Map<string, number>();

  constructor(readonly doc: RunDoc, private readonly hooks: RunHooks, resumed: boolean) {
    // A resumed run checks that the agents still hold its active faults before anything else.
    this.reconciled = !resumed;
  }

  /** Runs fn with no other change to this run in flight (hints, abort, ticks). */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref?.();
  }

  /** Stops the clock loop without ending the run (server shutdown: it resumes later). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.locked(() => this.step());
      if (this.doc.state === 'running' && Date.now() - this.lastEvalMs >= EVAL_INTERVAL_MS) await this.evaluate();
    } catch (e) {
      this.hooks.log(`run ${this.doc.id}: tick failed: ${(e as Error).stack ?? String(e)}`);
    } finally {
      this.busy = false;
    }
  }

  private async step(): Promise<void> {
    const doc = this.doc;
    if (doc.state !== 'running' || doc.startedAtMs === null) return;
    const now = Date.now();
    const elapsed = now - doc.startedAtMs;
    if (!this.reconciled) await this.reconcileFaults(elapsed);
    if (elapsed >= doc.compiled.timeLimitMs) {
      await this.finish('expired', null);
      return;
    }
    for (const a of doc.compiled.alerts) {
      if (a.firedAtMs <= elapsed && !doc.alertsFired.includes(a.name)) {
        doc.alertsFired.push(a.name);
        await this.hooks.persist(doc);
        await this.hooks.publish('alert.fired', { name: a.name, severity: a.severity, message: a.message, atMs: a.firedAtMs });
      }
    }
    for (const f of doc.compiled.faults) {
      const p = doc.faults[faultKey(f)];
      if (!p) continue;
      const endsAt = f.durationMs === null ? null : f.atMs + f.durationMs;
      if (p.state === 'pending' && endsAt !== null && elapsed >= endsAt) {
        // Its whole window passed while the server was down: nothing to inject any more.
        p.state = 'reverted';
        await this.hooks.persist(doc);
        await this.hooks.publish('fault.skipped', { id: f.id, vm: f.vm, why: 'its window passed while the server was down' });
      } else if (p.state === 'pending' && f.atMs <= elapsed && (this.retryAt.get(faultKey(f)) ?? 0) <= now) {
        await this.applyFault(f, endsAt === null ? null : endsAt - elapsed);
        if (doc.state !== 'running') return;
      }
      else if (p.state === 'active' && f.durationMs !== null && elapsed >= f.atMs + f.durationMs) await this.revertFault(f, 'duration over');
    }
    if (now - this.lastHeartbeatMs >= HEARTBEAT_MS) {
      this.lastHeartbeatMs = now;
      for (const vm of this.hooks.targets().keys()) {
        this.hooks.agentFor(vm).heartbeat().catch((e: unknown) => this.hooks.log(`run ${doc.id}: heartbeat to ${vm} failed: ${(e as Error).message}`));
      }
    }
  }

  private async applyFault(f: CompiledFault, remainingMs: number | null): Promise<void> {
    const p = this.doc.faults[faultKey(f)]!;
    try {
      await this.hooks.agentFor(f.vm).startFault({ id: `${this.doc.id}.${f.id}`, type: f.type, params: f.params, durationMs: remainingMs });
      p.state = 'active';
      p.error = null;
      this.hooks.onFault(f.type, 'applied');
      await this.hooks.persist(this.doc);
      await this.hooks.publish('fault.applied', { id: f.id, type: f.type, vm: f.vm });
    } catch (e) {
      p.error = (e as Error).message;
      p.attempts = (p.attempts ?? 0) + 1;
      this.hooks.onFault(f.type, 'failed');
      await this.hooks.persist(this.doc);
      if (p.attempts < FAULT_APPLY_ATTEMPTS) {
        this.retryAt.set(faultKey(f), Date.now() + FAULT_RETRY_MS);
        await this.hooks.publish('fault.retrying', { id: f.id, type: f.type, vm: f.vm, attempt: p.attempts, error: p.error });
        return;
      }
      p.state = 'failed';
      await this.hooks.persist(this.doc);
      await this.hooks.publish('fault.failed', { id: f.id, type: f.type, vm: f.vm, error: p.error });
      await this.finish('failed', null, `fault ${f.id} could not be injected on ${f.vm} after ${p.attempts} attempts: ${p.error}`);
    }
  }

  private async revertFault(f: CompiledFault, why: string): Promise<void> {
    const p = this.doc.faults[faultKey(f)]!;
    try {
      await this.hooks.agentFor(f.vm).stopFault(`${this.doc.id}.${f.id}`);
      p.state = 'reverted';
      this.hooks.onFault(f.type, 'reverted');
      await this.hooks.persist(this.doc);
      await this.hooks.publish('fault.reverted', { id: f.id, type: f.type, vm: f.vm, why });
    } catch (e) {
      p.error = `revert failed: ${(e as Error).message}`;
      await this.hooks.persist(this.doc);
      await this.hooks.publish('fault.revert-failed', { id: f.id, type: f.type, vm: f.vm, error: p.error });
    }
  }

  /** After a restart: re-apply active faults an agent no longer holds (its TTL may have fired). */
  private async reconcileFaults(elapsed: number): Promise<void> {
    this.reconciled = true;
    const byVm = new Map<string, string[]>();
    for (const f of this.doc.compiled.faults) {
      if (this.doc.faults[faultKey(f)]?.state !== 'active') continue;
      let held = byVm.get(f.vm);
      if (!held) {
        held = await this.hooks.agentFor(f.vm).listFaults().catch(() => []);
        byVm.set(f.vm, held);
      }
      if (held.includes(`${this.doc.id}.${f.id}`)) continue;
      if (f.durationMs !== null && elapsed >= f.atMs + f.durationMs) continue;
      this.doc.faults[faultKey(f)]!.state = 'pending';
      await this.hooks.publish('fault.lost', { id: f.id, vm: f.vm, why: 'agent no longer holds it after the server restart; re-applying' });
    }
    await this.hooks.publish('run.resumed', { elapsedMs: elapsed });
  }

  /** One evaluation round; the run resolves when every objective passes in the same round. */
  private async evaluate(): Promise<void> {
    this.lastEvalMs = Date.now();
    const doc = this.doc;
    const objectives = doc.compiled.objectives;
    const targets = this.hooks.targets();
    const ctx = { agentFor: (vm: string) => this.hooks.agentFor(vm), agentFaultId: (id: string) => `${doc.id}.${id}` };
    const results = await Promise.all(objectives.map((o) => evaluateObjective(o, targets, ctx)));
    // A fix is timed when Pudu has seen it: the round's start may predate the fix itself
    // when a check is slow (seen: 1.1 s early after a server restart).
    const observedMs = Date.now();
    await this.locked(async () => {
      if (doc.state !== 'running' || doc.startedAtMs === null) return;
      const checkedAt = new Date().toISOString();
      let changed = false;
      for (const [i, o] of objectives.entries()) {
        const r = results[i]!;
        const prev = doc.objectives[o.id];
        if (prev?.passing !== r.passing) {
          changed = true;
          await this.hooks.publish(r.passing ? 'objective.passed' : 'objective.failing', { id: o.id, detail: r.detail });
        } else if (prev.detail !== r.detail) changed = true;
        doc.objectives[o.id] = { passing: r.passing, detail: r.detail, checkedAt };
      }
      // Before every fault has struck, the system is healthy by construction: not a fix.
      // When every fault has run its course, the system healed by itself: not a fix either.
      const states = Object.values(doc.faults).map((p) => p.state);
      const allStruck = states.every((st) => st === 'active' || st === 'reverted');
      const anyLive = states.includes('active');
      // A fix needs a visible incident first: some objective must have failed once every
      // fault was in place (a slow leak passes its objective for minutes after it starts),
      // in two rounds running — one slow /healthz on a loaded host is not an incident.
      const failedNow = new Set(allStruck ? objectives.filter((_, i) => !results[i]!.passing).map((o) => o.id) : []);
      if (!doc.incidentSeen && [...failedNow].some((id) => this.failedLastRound.has(id))) {
        doc.incidentSeen = true;
        changed = true;
      }
      this.failedLastRound = failedNow;
      if (objectives.length > 0 && results.every((r) => r.passing) && allStruck && anyLive && doc.incidentSeen) {
        await this.finish('resolved', observedMs - doc.startedAtMs);
      } else if (states.length > 0 && states.every((st) => st === 'reverted')) {
        await this.finish('expired', null, 'every fault ran its course before the objectives were met');
      } else if (changed) {
        await this.hooks.persist(doc);
      }
    });
  }

  /** Takes the next hint; charged once, in order; HINTS_EXHAUSTED past the last. */
  async takeHint(): Promise<{ index: number; text: string; penalty: number }> {
    return this.locked(async () => {
      const doc = this.doc;
      if (doc.state !== 'running' && doc.state !== 'provisioning') throw new PuduError('RUN_NOT_ACTIVE', `run ${doc.id} is ${doc.state}`);
      const hint = doc.compiled.hints[doc.hintsUsed];
      if (!hint) throw new PuduError('HINTS_EXHAUSTED', `all ${doc.compiled.hints.length} hints were already given`);
      const index = doc.hintsUsed;
      doc.hintsUsed += 1;
      await this.hooks.persist(doc);
      await this.hooks.publish('hint.taken', { index, hintsUsed: doc.hintsUsed, penalty: doc.compiled.scoring.hintPenalty });
      return { index, text: hint.text, penalty: doc.compiled.scoring.hintPenalty };
    });
  }

  /** Ends the run (resolved, aborted, expired, failed), then reverts faults and destroys the fleet. */
  async finish(state: RunState, resolvedAtMs: number | null, error?: string): Promise<void> {
    const doc = this.doc;
    if (doc.state !== 'running' && doc.state !== 'provisioning') return;
    doc.state = state;
    doc.endedAtMs = Date.now();
    doc.resolvedAtMs = resolvedAtMs;
    if (error) doc.error = error;
    await this.hooks.persist(doc);
    const s = scoreOf(doc, doc.endedAtMs);
    await this.hooks.publish(`run.${state}`, {
      elapsedMs: elapsedOf(doc, doc.endedAtMs),
      ...(state === 'resolved' ? { resolvedAtMs, score: s.score, timePenalty: s.timePenalty, hintPenalty: s.hintPenalty } : {}),
      ...(error ? { error } : {}),
    });
    this.hooks.onFinished(state, doc);
    await this.teardown();
  }

  /** Reverts every fault still active and destroys the fleet; resumable after a crash. */
  async teardown(): Promise<void> {
    this.stop();
    const doc = this.doc;
    if (doc.tornDown) return;
    for (const f of doc.compiled.faults) {
      const p = doc.faults[faultKey(f)];
      if (p?.state === 'active') await this.revertFault(f, `run ${doc.state}`);
      // A failed apply may have half-happened: ask the agent to undo whatever it holds.
      else if (p?.state === 'failed' || (p?.state === 'pending' && p.attempts)) {
        await this.hooks.agentFor(f.vm).stopFault(`${doc.id}.${f.id}`).catch(() => undefined);
      }
    }
    try {
      await this.hooks.destroyFleet();
    } catch (e) {
      this.hooks.log(`run ${doc.id}: fleet teardown failed: ${(e as Error).message}`);
      await this.hooks.publish('fleet.destroy-failed', { error: (e as Error).message });
    }
    doc.tornDown = true;
    await this.hooks.persist(doc);
    this.hooks.onTornDown();
  }
}
