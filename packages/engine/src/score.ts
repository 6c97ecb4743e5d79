/**
 * score = max(0, base − time_penalty_per_second × max(0, t_resolved − perfect_window)
 *                     − hint_penalty × hints_taken
 *                     − Σ points of the penalties charged
 *                     − root-cause points when its answer is wrong or never given)
 * with t_resolved in seconds from the start of the run, rounded to 0.01. The one formula:
 * the server, the web UI and the tests all call it.
 */
import type { CompiledScoring } from './compiled-scenario.ts';

/** Where the root-cause question stands: `pending` while the trainee may still answer (not charged). */
export type RootCauseVerdict = 'pending' | 'correct' | 'wrong' | 'unanswered';

export interface ScoreInput {
  scoring: CompiledScoring;
  resolvedAtMs: number;
  hintsTaken: number;
  /** Penalties charged for what the responder did (scenario `penalties:`). */
  penalties?: readonly { id: string; points: number }[];
  /** The root-cause question, when the scenario asks one. */
  rootCause?: { points: number; verdict: RootCauseVerdict } | null;
}

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
  /** Points taken for actions (sum of the charged penalties). */
  actionPenalty: number;
  penaltiesCharged: string[];
  /** Points taken for the root-cause answer; null when the scenario asks none. */
  rootCausePenalty: number;
  rootCause: RootCauseVerdict | null;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The score for a run resolved `resolvedAtMs` after its start, with what the responder did. */
export function scoreRun(input: ScoreInput): ScoreBreakdown {
  const { scoring, hintsTaken } = input;
  const resolvedAfterS = round2(Math.max(0, input.resolvedAtMs) / 1000);
  const chargedSeconds = round2(Math.max(0, resolvedAfterS - scoring.perfectWindowMs / 1000));
  const timePenalty = round2(scoring.timePenaltyPerSecond * chargedSeconds);
  const hintPenalty = round2(scoring.hintPenalty * hintsTaken);
  const penalties = input.penalties ?? [];
  const actionPenalty = round2(penalties.reduce((sum, p) => sum + p.points, 0));
  const rc = input.rootCause ?? null;
  const rootCausePenalty = rc && (rc.verdict === 'wrong' || rc.verdict === 'unanswered') ? round2(rc.points) : 0;
  const score = round2(Math.max(0, scoring.base - timePenalty - hintPenalty - actionPenalty - rootCausePenalty));
  return {
    score, base: scoring.base, timePenalty, hintPenalty, resolvedAfterS, chargedSeconds, hintsTaken,
    actionPenalty, penaltiesCharged: penalties.map((p) => p.id), rootCausePenalty, rootCause: rc?.verdict ?? null,
  };
}
