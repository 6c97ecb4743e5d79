/** Deleting a finished run takes everything kept with it: recordings, metric history, notes, events, its trainee tokens. */
import { PuduError, TERMINAL_RUN_STATES } from '@pudu/schema';
import type { ServerContext } from '../context.ts';

export async function deleteRunData(ctx: ServerContext, runId: string): Promise<{ id: string; deleted: true; recordings: number }> {
  const run = await ctx.runs.status(runId);
  if (!TERMINAL_RUN_STATES.includes(run.state)) throw new PuduError('CONFLICT', `run ${runId} is ${run.state}: abort it before deleting it`);
  const recordings = (await ctx.recordings.store.list(runId)).length;
  const now = new Date().toISOString();
  for (const t of await ctx.store.listTokens()) if (t.runId === runId && !t.revokedAt) await ctx.store.revokeToken(t.id, now);
  await ctx.recordings.store.deleteRun(runId);
  ctx.recordings.forget(runId);
  await ctx.history.store.deleteRun(runId);
  await ctx.notes.deleteRun(runId);
  await ctx.store.deleteRun(runId);
  return { id: runId, deleted: true, recordings };
}
