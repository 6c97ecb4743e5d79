/**
 * Keeps each VM's agent metrics as a time series for every live run: sampled every
 * SAMPLE_MS while the run is running (started or resumed, seen on the event bus — the run
 * loop is not touched), averaged down to MAX_POINTS_AFTER per VM once it ends.
 */
import type { RunEvent } from '@pudu/schema';
import type { EventBus } from '../runner/event-bus.ts';
import type { RunManager } from '../runner/run-manager.ts';
import type { HistoryStore } from './history-store.ts';

/** Twice a second, so "at least once a second" holds even when an agent answers slowly. */
export const SAMPLE_MS = 500;
/** After the run: ≤ 600 points per VM (a 10-minute run keeps every second). */
export const MAX_POINTS_AFTER = 600;
const ENDS = new Set(['run.resolved', 'run.aborted', 'run.expired', 'run.failed']);

export class HistorySampler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly busy = new Set<string>();
  private unsubscribe: (() => void) | null = null;

  constructor(readonly store: HistoryStore, private readonly deps: { bus: EventBus; runs: RunManager; log: (m: string) => void }) {}

  /** Follows the bus; resumes sampling for runs already running (after a restart). */
  async start(): Promise<void> {
    this.unsubscribe = this.deps.bus.subscribe('*', (ev) => this.onEvent(ev));
    for (const r of await this.deps.runs.list()) if (r.state === 'running') this.follow(r.id);
  }

  private onEvent(ev: RunEvent): void {
    if (ev.kind === 'run.started' || ev.kind === 'run.resumed' || ev.kind === 'fleet.ready') this.follow(ev.runId);
    else if (ENDS.has(ev.kind)) void this.finish(ev.runId);
  }

  private follow(runId: string): void {
    if (this.timers.has(runId)) return;
    const timer = setInterval(() => void this.sample(runId), SAMPLE_MS);
    timer.unref?.();
    this.timers.set(runId, timer);
  }

  private async sample(runId: string): Promise<void> {
    if (this.busy.has(runId)) return;
    this.busy.add(runId);
    try {
      const atMs = Date.now();
      const { vms } = await this.deps.runs.metrics(runId);
      for (const v of vms) if (v.metrics) await this.store.add(runId, { vm: v.vm, atMs, ...v.metrics });
    } catch (e) {
      this.deps.log(`metric history of run ${runId}: ${(e as Error).message}`);
    } finally {
      this.busy.delete(runId);
    }
  }

  private async finish(runId: string): Promise<void> {
    const timer = this.timers.get(runId);
    if (timer) clearInterval(timer);
    this.timers.delete(runId);
    await this.store.downsampleRun(runId, MAX_POINTS_AFTER).catch((e: unknown) => this.deps.log(`metric history of run ${runId}: downsampling failed: ${String(e)}`));
  }

  stop(): void {
    this.unsubscribe?.();
    for (const t of this.timers.values()) clearInterval(t);
    this.timers.clear();
  }
}
