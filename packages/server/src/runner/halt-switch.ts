/**
 * Halt-all: the lab's emergency stop. Engaging it is stored first (new runs and new faults
 * are refused with 423 HALTED from that moment, also after a restart), then every live run
 * is ended `halted` through its own loop, then every VM of every fleet still standing is
 * asked directly to stop whatever it holds — so a run whose loop is stuck is covered too.
 */
import { PuduError, type HaltResult, type HaltStatus } from '@pudu/schema';
import type { Store } from '../store/store.ts';
import type { FleetManager } from '../fleets/fleet-manager.ts';
import type { AgentFactory } from './agent-port.ts';
import { AgentLink } from './agent-link.ts';
import type { RunManager } from './run-manager.ts';

const META_KEY = 'halt';
/** How long the runs get to revert through their own loops before the direct sweep. */
export const HALT_RUNS_DEADLINE_MS = 15_000;
/** How long the direct sweep of every agent may take. */
export const HALT_SWEEP_DEADLINE_MS = 10_000;

interface Deps {
  store: Store;
  runs: RunManager;
  fleets: FleetManager;
  agentFactory: AgentFactory;
  log: (msg: string) => void;
  /** Told once each time the switch goes from released to engaged (after it is stored): webhooks. */
  onEngaged?: (s: HaltStatus) => void;
}

const NOT_ENGAGED: HaltStatus = { engaged: false, reason: null, by: null, at: null };

/** Resolves with fn's result, or with `fallback` once `ms` passed (the work goes on unawaited). */
async function within<T>(ms: number, fn: Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([fn, late]);
  } finally {
    clearTimeout(timer);
  }
}

export class HaltSwitch {
  private state: HaltStatus = NOT_ENGAGED;

  constructor(private readonly d: Deps) {}

  /** Reads the stored switch (a halt survives a restart). */
  async load(): Promise<HaltStatus> {
    const raw = await this.d.store.getMeta(META_KEY);
    if (raw) this.state = { ...NOT_ENGAGED, ...(JSON.parse(raw) as Partial<HaltStatus>) };
    return this.state;
  }

  status(): HaltStatus {
    return { ...this.state };
  }

  engaged(): boolean {
    return this.state.engaged;
  }

  /** Throws HALTED while engaged: the guard before any new run or new fault. */
  assertNotHalted(what: string): void {
    if (this.state.engaged) throw new PuduError('HALTED', `halt-all is engaged (${this.state.reason ?? 'no reason given'}, by ${this.state.by ?? '?'}): ${what} refused until an admin runs puduc halt release`);
  }

  /**
   * Engages the switch (idempotent: a second call keeps the first reason and sweeps again),
   * reverts everything and says what it did.
   */
  async engage(reason: string, by: string): Promise<HaltResult> {
    const started = performance.now();
    if (!this.state.engaged) {
      this.state = { engaged: true, reason, by, at: new Date().toISOString() };
      await this.d.store.setMeta(META_KEY, JSON.stringify(this.state));
      this.d.onEngaged?.(this.status());
    }
    const why = this.state.reason ?? reason;
    const late = { runs: [] as string[], faultsReverted: 0 };
    const ran = await within(HALT_RUNS_DEADLINE_MS, this.d.runs.haltAll(why), late);
    if (ran === late) this.d.log(`halt: some runs did not end within ${HALT_RUNS_DEADLINE_MS} ms; their agents are swept directly`);
    const swept = await within(HALT_SWEEP_DEADLINE_MS, this.sweep(), { reached: 0, reverted: 0, errors: [{ fleetId: '*', vm: '*', error: `the direct sweep did not finish within ${HALT_SWEEP_DEADLINE_MS} ms` }] });
    return {
      ...this.status(),
      runs: ran.runs,
      faultsReverted: ran.faultsReverted + swept.reverted,
      agentsReached: swept.reached,
      agentErrors: swept.errors,
      elapsedMs: Math.round(performance.now() - started),
    };
  }

  /** At startup, after the runs resumed: a halt engaged before the restart still holds. */
  async reassert(): Promise<void> {
    if (!this.state.engaged) return;
    const ran = await this.d.runs.haltAll(this.state.reason ?? 'halt-all engaged');
    if (ran.runs.length) this.d.log(`halt: ${ran.runs.length} run(s) resumed after the restart were halted again`);
  }

  async release(): Promise<HaltStatus> {
    if (!this.state.engaged) throw new PuduError('NOT_HALTED', 'halt-all is not engaged');
    this.state = { ...this.state, engaged: false, at: new Date().toISOString() };
    await this.d.store.setMeta(META_KEY, JSON.stringify(this.state));
    return this.status();
  }

  /** Every VM of every ready fleet: stop each fault its agent holds active, all in parallel. */
  private async sweep(): Promise<{ reached: number; reverted: number; errors: HaltResult['agentErrors'] }> {
    const fleets = (await this.d.fleets.list()).filter((f) => f.state === 'ready');
    const errors: HaltResult['agentErrors'] = [];
    let reached = 0;
    let reverted = 0;
    await Promise.all(fleets.map(async (fleet) => {
      const link = new AgentLink(this.d.fleets, this.d.agentFactory);
      try {
        await link.sync(fleet.id);
      } catch (e) {
        errors.push({ fleetId: fleet.id, vm: '*', error: (e as Error).message });
        return;
      }
      await Promise.all(link.vmNames().map(async (vm) => {
        try {
          const agent = link.agent(vm);
          const active = (await agent.faults()).filter((f) => f.state === 'active');
          reached += 1;
          await Promise.all(active.map((f) => agent.stopFault(f.id)));
          reverted += active.length;
        } catch (e) {
          errors.push({ fleetId: fleet.id, vm, error: (e as Error).message });
        }
      }));
    }));
    return { reached, reverted, errors };
  }
}
