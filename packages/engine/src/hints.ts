/** Hints are given in order and charged once; asking past the last one costs nothing. */
import { PuduError } from '@pudu/schema';
import type { CompiledScenario } from './compiled-scenario.ts';

/** The next hint after `taken` hints, or HINTS_EXHAUSTED (no charge). */
export function nextHint(scenario: Pick<CompiledScenario, 'hints' | 'scoring'>, taken: number): { index: number; text: string; penalty: number } {
  const hint = scenario.hints[taken];
  if (!hint) {
    throw new PuduError('HINTS_EXHAUSTED', scenario.hints.length === 0 ? 'this scenario has no hints' : `all ${scenario.hints.length} hints were already given`);
  }
  return { index: taken, text: hint.text, penalty: scenario.scoring.hintPenalty };
}
