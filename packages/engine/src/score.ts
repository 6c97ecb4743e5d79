/**
 * score = max(0, base − time_penalty_per_second × max(0, t_resolved − perfect_window)
 *                     − hint_penalty × hints_taken)
 * with t_resolved in seconds from the start of the run, rounded to 0.01.
 */
import type { CompiledScoring } from './compiled-scenario.ts';

export interface ScoreBreakdown {
  score: number;
  base: number;
  timePenalty: number;
  hintPenalty: number;
  /** Seconds from start to resolution, rounded to 0.01. */
  resolvedAfterS: number;
  /** Seconds past the perfect window that were charged. */
  chargedSeconds: number;
  hintsTaken: number;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The score for a run resolved `resolvedAtMs` after its start with `hintsTaken` hints. */
export function scoreRun(input: { scoring: CompiledScoring; resolvedAtMs: number; hintsTaken: number }): ScoreBreakdown {
  const { scoring, hintsTaken } = input;
  const resolvedAfterS = round2(Math.max(0, input.resolvedAtMs) / 1000);
  const chargedSeconds = round2(Math.max(0, resolvedAfterS - scoring.perfectWindowMs / 1000));
  const timePenalty = round2(scoring.timePenaltyPerSecond * chargedSeconds);
  const hintPenalty = round2(scoring.hintPenalty * hintsTaken);
  const score = round2(Math.max(0, scoring.base - timePenalty - hintPenalty));
  return { score, base: scoring.base, timePenalty, hintPenalty, resolvedAfterS, chargedSeconds, hintsTaken };
}
