import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scoreNow } from './score.ts';

const DISK_FULL = { base: 100, timePenaltyPerSecond: 0.05, hintPenalty: 10, perfectWindowS: 300 };

test('no time penalty is charged inside the perfect window', () => {
  assert.deepEqual(scoreNow(DISK_FULL, 299, 0), { total: 100, base: 100, timePenalty: 0, hintPenalty: 0 });
});

test('time after the perfect window and each hint taken are charged', () => {
  assert.deepEqual(scoreNow(DISK_FULL, 400, 1), { total: 85, base: 100, timePenalty: 5, hintPenalty: 10 });
});

test('the score never drops below zero', () => {
  assert.equal(scoreNow(DISK_FULL, 100_000, 3).total, 0);
});

test('penalties are rounded to hundredths like the engine', () => {
  const db = { base: 100, timePenaltyPerSecond: 0.033, hintPenalty: 10, perfectWindowS: 480 };
  assert.deepEqual(scoreNow(db, 491, 0), { total: 99.64, base: 100, timePenalty: 0.36, hintPenalty: 0 });
});
