import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scoreRun } from './score.ts';
import { nextHint } from './hints.ts';
import { isPuduError } from '@pudu/schema';

const diskFull = { base: 100, timePenaltyPerSecond: 0.05, hintPenalty: 10, perfectWindowMs: 300_000 };
const dbExhaustion = { base: 100, timePenaltyPerSecond: 0.033, hintPenalty: 10, perfectWindowMs: 480_000 };

test('charges nothing for time inside the perfect window', () => {
  assert.deepEqual(scoreRun({ scoring: diskFull, resolvedAtMs: 299_990, hintsTaken: 0 }), {
    score: 100, base: 100, timePenalty: 0, hintPenalty: 0, resolvedAfterS: 299.99, chargedSeconds: 0, hintsTaken: 0,
    actionPenalty: 0, penaltiesCharged: [], rootCausePenalty: 0, rootCause: null,
  });
});

test('disk-full resolved at 7m12.345s with one hint: 100 − 0.05 × 132.35 − 10 = 83.38', () => {
  const s = scoreRun({ scoring: diskFull, resolvedAtMs: 432_345, hintsTaken: 1 });
  assert.equal(s.resolvedAfterS, 432.35);
  assert.equal(s.chargedSeconds, 132.35);
  assert.equal(s.timePenalty, 6.62);
  assert.equal(s.hintPenalty, 10);
  assert.equal(s.score, 83.38);
});

test('db-connection-exhaustion resolved at 10m with three hints: 100 − 0.033 × 120 − 30 = 66.04', () => {
  const s = scoreRun({ scoring: dbExhaustion, resolvedAtMs: 600_000, hintsTaken: 3 });
  assert.equal(s.timePenalty, 3.96);
  assert.equal(s.hintPenalty, 30);
  assert.equal(s.score, 66.04);
});

test('never goes below zero', () => {
  const s = scoreRun({ scoring: diskFull, resolvedAtMs: 3_600_000, hintsTaken: 3 });
  assert.equal(s.timePenalty, 165);
  assert.equal(s.score, 0);
});

test('penalties charged for actions come off the score, each once', () => {
  const s = scoreRun({ scoring: diskFull, resolvedAtMs: 60_000, hintsTaken: 0, penalties: [{ id: 'killed-neighbour', points: 30 }, { id: 'restarted-db', points: 15.5 }] });
  assert.equal(s.actionPenalty, 45.5);
  assert.deepEqual(s.penaltiesCharged, ['killed-neighbour', 'restarted-db']);
  assert.equal(s.score, 54.5);
});

test('a wrong or missing root-cause answer costs its points; a right or pending one costs nothing', () => {
  const at = (verdict: 'pending' | 'correct' | 'wrong' | 'unanswered') =>
    scoreRun({ scoring: diskFull, resolvedAtMs: 60_000, hintsTaken: 1, rootCause: { points: 20, verdict } });
  assert.equal(at('correct').score, 90);
  assert.equal(at('pending').score, 90);
  assert.equal(at('wrong').score, 70);
  assert.equal(at('wrong').rootCausePenalty, 20);
  assert.equal(at('unanswered').score, 70);
  assert.equal(at('correct').rootCause, 'correct');
});

test('hints come in order, and one past the last is refused without a charge', () => {
  const scenario = { hints: [{ text: 'a' }, { text: 'b' }], scoring: diskFull };
  assert.deepEqual(nextHint(scenario, 0), { index: 0, text: 'a', penalty: 10 });
  assert.deepEqual(nextHint(scenario, 1), { index: 1, text: 'b', penalty: 10 });
  assert.throws(() => nextHint(scenario, 2), (e) => isPuduError(e, 'HINTS_EXHAUSTED') && /all 2 hints/.test(e.message));
});
