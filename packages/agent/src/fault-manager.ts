import {
  AGENT_DEFAULT_MAX_TTL_MS,
  AGENT_FAULT_PARAM_SCHEMAS,
  AgentFaultStartRequestSchema,
  parseDurationMs,
  PuduError,
  type AgentFaultEndReason,
  type AgentFaultPlan,
  type AgentFaultRecord,
  type AgentFaultState,
  type FaultType,
} from '@pudu/schema';
import type { FaultContext, FaultDriver } from './faults/fault.ts';
import { FAULT_DRIVERS } from './faults/registry.ts';
import type { Journal, JournalEntry } from './journal.ts';

export interface FaultManagerOptions {
  journal: Journal;
  ctx: FaultContext;
  /** Upper bound for any fault's life, and the TTL of faults that give no duration. */
  maxTtlMs?: number;
  /** How often isActive() is polled to notice a trainee's fix. */
  fixPollMs?: number;
  /** Called just before a fault is applied (its history records are written then, while the guest still takes writes). */
  beforeApply?: (id: string) => void;
}

const FIX_POLL_MS = 1000;

function zodIssues(error: { issues: { path: PropertyKey[]; message: string }[] }, prefix: string): string[] {
  return error.issues.map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.')}: ${i.message}`);
}

function toRecord(e: JournalEntry): AgentFaultRecord {
  const { phase: _phase, undo: _undo, ...rec } = e;
  return rec;
}

/**
 * Owns every fault's lifecycle: validate → journal the intent (fsync) → apply → TTL, and
 * the ways a fault ends (stop, TTL, dead-man, shutdown, restart recovery, trainee fix).
 * All transitions run one at a time through a queue so timers and requests never race.
 */
export class FaultManager {
  private readonly journal: Journal;
  private readonly ctx: FaultContext;
  private readonly maxTtlMs: number;
  private readonly ttlTimers = new Map<string, NodeJS.Timeout>();
  private poller: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly beforeApply: (id: string) => void;

  constructor(opts: FaultManagerOptions) {
    this.journal = opts.journal;
    this.beforeApply = opts.beforeApply ?? (() => {});
    this.ctx = opts.ctx;
    this.maxTtlMs = opts.maxTtlMs ?? AGENT_DEFAULT_MAX_TTL_MS;
    this.poller = setInterval(() => void this.serial(() => this.pollFixes()), opts.fixPollMs ?? FIX_POLL_MS);
    this.poller.unref();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * After a crash or kill -9: a fault the journal says is applied, whose window is not over
   * and whose effect is really still there, is *adopted* — kept, its TTL re-armed for what
   * is left (the dead-man switch still covers a server that is gone). Killing the agent
   * therefore never takes the incident away. Anything else the journal holds (half-applied,
   * expired, already undone) is reverted (reason `recovered`).
   */
  recover(): Promise<{ adopted: number; reverted: number }> {
    return this.serial(async () => {
      const out = { adopted: 0, reverted: 0 };
      for (const e of this.journal.load()) {
        if (e.phase === 'ended') continue;
        const left = Date.parse(e.expires_at) - Date.now();
        const driver = FAULT_DRIVERS[e.type] as FaultDriver;
        let keep = false;
        if (e.phase === 'applied' && e.state === 'active' && left > 0) {
          try {
            keep = await driver.isActive(e.undo, this.ctx);
            if (keep) await driver.resume?.(e.undo, this.ctx);
          } catch {
            keep = false;
          }
        }
        if (keep) {
          this.armTtl(e, left);
          out.adopted++;
          continue;
        }
        await this.end(e, 'reverted', 'recovered');
        out.reverted++;
      }
      return out;
    });
  }

  list(): AgentFaultRecord[] {
    return this.journal.all().map(toRecord);
  }

  activeCount(): number {
    return this.journal.all().filter((e) => e.state === 'active').length;
  }

  countByState(): Record<AgentFaultState, number> {
    const c: Record<AgentFaultState, number> = { active: 0, reverted: 0, expired: 0, 'fixed-by-trainee': 0, failed: 0 };
    for (const e of this.journal.all()) c[e.state]++;
    return c;
  }

  /** Validates a `POST /fault/start` body completely before anything in the guest changes. */
  validate(body: unknown): { id: string; type: FaultType; params: Record<string, unknown>; ttlMs: number } {
    const req = AgentFaultStartRequestSchema.safeParse(body);
    if (!req.success) throw new PuduError('FAULT_INVALID', zodIssues(req.error, '').join('; '), { issues: zodIssues(req.error, '') });
    const schema = AGENT_FAULT_PARAM_SCHEMAS[req.data.type];
    const params = schema.safeParse(req.data.params);
    if (!params.success) {
      const issues = zodIssues(params.error, 'params');
      throw new PuduError('FAULT_INVALID', `${req.data.type} fault: ${issues.join('; ')}`, { issues });
    }
    const p = params.data as Record<string, unknown>;
    const ttlMs = typeof p.duration === 'string' ? (parseDurationMs(p.duration) as number) : this.maxTtlMs;
    if (ttlMs > this.maxTtlMs) {
      throw new PuduError('FAULT_INVALID', `params.duration: ${String(p.duration)} exceeds the agent's maximum of ${this.maxTtlMs / 1000}s`);
    }
    return { id: req.data.id, type: req.data.type, params: p, ttlMs };
  }

  /** A fault with this id or on the same resource still holds: FAULT_CONFLICT. */
  private assertFree(v: { id: string; type: FaultType; params: Record<string, unknown> }, driver: FaultDriver): void {
    const prev = this.journal.get(v.id);
    if (prev && prev.phase !== 'ended') throw new PuduError('FAULT_CONFLICT', `fault ${v.id} is already ${prev.state}`);
    const key = driver.conflictKey(v.params as never);
    const clash = this.journal.all().find((e) => e.phase !== 'ended' && (FAULT_DRIVERS[e.type] as FaultDriver).conflictKey(e.params as never) === key);
    if (clash) throw new PuduError('FAULT_CONFLICT', `fault ${clash.id} already holds ${key}; stop it first`);
  }

  /**
   * `POST /fault/plan` (pre-flight): everything start would check — params, conflicts, the
   * guest's state, the programs and files apply and revert need — with nothing changed and
   * nothing journaled.
   */
  plan(body: unknown): Promise<AgentFaultPlan> {
    const v = this.validate(body);
    return this.serial(async () => {
      const driver = FAULT_DRIVERS[v.type] as FaultDriver;
      this.assertFree(v, driver);
      const undo = await driver.plan(v.id, v.params as never, this.ctx);
      const verified = await driver.verify(v.params as never, undo, this.ctx);
      return { id: v.id, type: v.type, ttl_ms: v.ttlMs, verified };
    });
  }

  /** Starts a fault: validate, check conflicts, journal the intent, apply, arm the TTL. */
  start(body: unknown): Promise<AgentFaultRecord> {
    const v = this.validate(body);
    return this.serial(async () => {
      const driver = FAULT_DRIVERS[v.type] as FaultDriver;
      this.assertFree(v, driver);
      const undo = await driver.plan(v.id, v.params as never, this.ctx);
      const now = Date.now();
      const entry: JournalEntry = {
        id: v.id,
        type: v.type,
        params: v.params,
        state: 'active',
        started_at: new Date(now).toISOString(),
        expires_at: new Date(now + v.ttlMs).toISOString(),
        phase: 'applying',
        undo,
      };
      this.journal.put(entry);
      try {
        this.beforeApply(v.id);
      } catch (e) {
        this.ctx.log('history before a fault failed', { error: (e as Error).message });
      }
      try {
        const { mechanism } = await driver.apply(v.id, v.params as never, undo, this.ctx);
        entry.mechanism = mechanism;
        entry.phase = 'applied';
        this.journal.put(entry);
      } catch (e) {
        this.ctx.log('fault apply failed; reverting what was done', { id: v.id, error: (e as Error).message });
        await this.end(entry, 'failed', 'error', (e as Error).message);
        if (e instanceof PuduError) throw e;
        throw new PuduError('FAULT_APPLY_FAILED', `${v.type} fault ${v.id}: ${(e as Error).message}`);
      }
      this.armTtl(entry, v.ttlMs);
      this.ctx.log('fault started', { id: v.id, type: v.type, mechanism: entry.mechanism, ttl_ms: v.ttlMs });
      return toRecord(entry);
    });
  }

  /** Stops a fault; a fault that already ended (expired, fixed by the trainee…) is left as it is. */
  stop(id: string): Promise<AgentFaultRecord> {
    return this.serial(async () => {
      const e = this.journal.get(id);
      if (!e) throw new PuduError('FAULT_NOT_FOUND', `no fault with id ${id}`);
      if (e.phase !== 'ended') await this.end(e, 'reverted', 'stop');
      if (e.state === 'failed') throw new PuduError('FAULT_NOT_REVERTIBLE', `fault ${id} could not be reverted: ${e.error ?? ''}`);
      return toRecord(e);
    });
  }

  /** Reverts every fault still applied (dead-man switch, SIGTERM). */
  revertAll(reason: AgentFaultEndReason): Promise<number> {
    return this.serial(async () => {
      let n = 0;
      for (const e of this.journal.all()) {
        if (e.phase === 'ended') continue;
        n++;
        await this.end(e, 'reverted', reason);
      }
      return n;
    });
  }

  close(): void {
    if (this.poller) clearInterval(this.poller);
    for (const t of this.ttlTimers.values()) clearTimeout(t);
  }

  private armTtl(e: JournalEntry, ttlMs: number): void {
    const t = setTimeout(() => {
      void this.serial(async () => {
        if (this.journal.get(e.id) === e && e.phase !== 'ended') await this.end(e, 'expired', 'ttl');
      });
    }, ttlMs);
    this.ttlTimers.set(e.id, t);
  }

  private async pollFixes(): Promise<void> {
    for (const e of this.journal.all()) {
      // A fault whose revert failed is retried by stop, the dead-man, shutdown and restart,
      // not every second here: slow failing reverts would hold up every request behind them.
      if (e.phase !== 'applied' || e.state === 'failed') continue;
      let active: boolean;
      try {
        active = await (FAULT_DRIVERS[e.type] as FaultDriver).isActive(e.undo, this.ctx);
      } catch {
        continue;
      }
      if (!active) {
        this.ctx.log('fault fixed by the trainee', { id: e.id, type: e.type });
        // Tidy what the trainee's fix left (e.g. a helper process): revert is idempotent.
        await this.end(e, 'fixed-by-trainee', 'trainee');
      }
    }
  }

  /** Reverts and records the end state; a revert that throws marks the fault failed. */
  private async end(e: JournalEntry, state: AgentFaultState, reason: AgentFaultEndReason, error?: string): Promise<void> {
    const t = this.ttlTimers.get(e.id);
    if (t) clearTimeout(t);
    this.ttlTimers.delete(e.id);
    try {
      await (FAULT_DRIVERS[e.type] as FaultDriver).revert(e.undo, this.ctx);
      e.state = state;
      e.reason = reason;
      if (error !== undefined) e.error = error;
    } catch (err) {
      e.state = 'failed';
      e.reason = reason;
      e.error = `revert failed: ${(err as Error).message}`;
      this.ctx.log('fault revert failed; will retry', { id: e.id, error: e.error });
      // Not ended: the poller, the dead-man, shutdown and the next start all try again.
      this.journal.put(e);
      return;
    }
    e.phase = 'ended';
    e.ended_at = new Date().toISOString();
    this.journal.put(e);
  }
}
