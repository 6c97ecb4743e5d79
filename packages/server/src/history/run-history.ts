/** A run's metric history with its markers, as served and as the report draws it. */
import { TERMINAL_RUN_STATES, type MetricHistory } from '@pudu/schema';
import type { ServerContext } from '../context.ts';
import { toRunClock } from './history-store.ts';
import { markersOf } from './markers.ts';
import { SAMPLE_MS } from './sampler.ts';

/** Faults are revealed to staff, and to the trainee once the run is over (the debrief). */
export async function runHistory(ctx: ServerContext, runId: string, staff: boolean): Promise<MetricHistory> {
  const run = await ctx.runs.status(runId);
  const finished = TERMINAL_RUN_STATES.includes(run.state);
  const startedAtMs = run.startedAt ? Date.parse(run.startedAt) : Date.parse(run.createdAt);
  const events = await ctx.store.listEvents(runId, 0);
  return {
    sampleMs: SAMPLE_MS,
    downsampled: finished,
    vms: toRunClock(await ctx.history.store.list(runId), startedAtMs),
    markers: markersOf(events, startedAtMs, staff || finished),
  };
}
