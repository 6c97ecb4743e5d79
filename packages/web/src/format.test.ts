import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatClock, formatDuration, formatScore } from './format.ts';

test('the clock reads like a stopwatch', () => {
  assert.equal(formatClock(0), '0:00');
  assert.equal(formatClock(65.9), '1:05');
  assert.equal(formatClock(3725), '1:02:05');
});

test('durations and scores are short', () => {
  assert.equal(formatDuration(300), '5m');
  assert.equal(formatDuration(5430), '1h30m30s');
  assert.equal(formatScore(87.5), '87.5');
  assert.equal(formatScore(90), '90');
  assert.equal(formatScore(99.644), '99.64');
});
