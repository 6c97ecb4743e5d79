// The score as it would be if the incident were resolved now, computed in the browser
// every tick from the scenario's scoring block (the same formula as the engine), so the
// number moves with the clock between status polls.
import type { ScoreParts, Scoring } from './model.ts';

/**
 * score = max(0, base − time_penalty_per_second × max(0, t − perfect_window) − hint_penalty × hints),
 * rounded to 0.01.
 */
export function scoreNow(scoring: Scoring, elapsedS: number, hintsTaken: number): ScoreParts {
  const overS = Math.max(0, elapsedS - scoring.perfectWindowS);
  const timePenalty = round2(scoring.timePenaltyPerSecond * overS);
  const hintPenalty = round2(scoring.hintPenalty * hintsTaken);
  return { total: Math.max(0, round2(scoring.base - timePenalty - hintPenalty)), base: scoring.base, timePenalty, hintPenalty };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
