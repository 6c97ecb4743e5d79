import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatClock, formatDuration, formatScore } from './format.ts';

test('the clock reads like a stopwatch', () => {
  assert.equal(formatClock(0), '0:00');
  assert.equal(formatClock(65_900), '1:05');
  assert.equal(formatClock(3_725_000), '1:02:05');
});

test('durations and scores are short', () => {
  assert.equal(formatDuration(300_000), '5m');
  assert.equal(formatDuration(5_430_000), '1h30m30s');
  assert.equal(formatDuration(89_600), '1m30s');
  assert.equal(formatScore(87.5), '87.5');
  assert.equal(formatScore(90), '90');
  assert.equal(formatScore(99.64), '99.64');
  assert.equal(formatScore(0), '0');
});
