// The thin mapping from the API's types (@pudu/schema, through @pudu/client) to what the
// views draw. No field guessing: the client has already checked every answer against the
// route's schema. The score comes from the engine's own formula, never a copy of it.
import { scoreRun } from '@pudu/engine/browser';
import { isTerminalRunState, type RunEvent, type RunStatus, type RunSummary, type Score } from '@pudu/schema';

export type { Fleet, LibraryEntry, RunAlert, RunEvent, RunObjective, RunState, RunStatus, RunSummary, Score, VmMetrics, WhoAmI } from '@pudu/schema';

/** True once the run has ended for good (resolved, aborted, expired, failed). */
export function isFinished(run: Pick<RunSummary, 'state'>): boolean {
  return isTerminalRunState(run.state);
}

/** The score as it would be if the incident were resolved `elapsedMs` after the start. */
export function scoreIfResolvedAt(status: RunStatus, elapsedMs: number): Score {
  const s = scoreRun({ scoring: status.scoring, resolvedAtMs: elapsedMs, hintsTaken: status.hintsUsed, penalties: status.penalties });
  return { score: s.score, base: s.base, timePenalty: s.timePenalty, hintPenalty: s.hintPenalty, actionPenalty: s.actionPenalty, rootCausePenalty: s.rootCausePenalty };
}

/** Milliseconds from the run's start to the event; null while the run has no start. */
export function eventOffsetMs(e: RunEvent, startedAt: string | null): number | null {
  if (!startedAt) return null;
  const t = Date.parse(e.at) - Date.parse(startedAt);
  return Number.isFinite(t) ? t : null;
}
