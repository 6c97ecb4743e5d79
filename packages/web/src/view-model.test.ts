import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunStatusSchema, type RunEvent } from '@pudu/schema';
import { eventOffsetMs, isFinished, scoreIfResolvedAt } from './view-model.ts';

const STATUS = RunStatusSchema.parse({
  id: 'r1', scenarioId: 'monolith-disk-full-001', title: 'The Disk That Ate Everything', difficulty: 'easy', state: 'running',
  createdAt: '2026-11-23T14:00:00.000Z', startedAt: '2026-11-23T14:00:01.000Z', endedAt: null, elapsedMs: 65_500, score: null,
  description: 'It is 03:12.', symptoms: [], seed: 7, fleetId: 'f1', keepFleet: false, timeLimitMs: 1_800_000,
  resolvedAtMs: null, error: null, alerts: [], objectives: [], faults: [], vms: [],
  hintsUsed: 1, hintsTotal: 3, objectivesPassing: 0, objectivesTotal: 1, hints: ['Check disk usage with: df -h'],
  scoreDetail: { score: 90, base: 100, timePenalty: 0, hintPenalty: 10, actionPenalty: 0, rootCausePenalty: 0 },
  scoring: { base: 100, timePenaltyPerSecond: 0.033, hintPenalty: 10, perfectWindowMs: 480_000 },
  environment: 'training', experimentId: null, charter: null,
  penalties: [], rootCause: null, reviewUntil: null, traffic: null,
});

test('the score between polls is the engine formula: charged after the perfect window, per hint, rounded to hundredths', () => {
  assert.deepEqual(scoreIfResolvedAt(STATUS, 479_000), { score: 90, base: 100, timePenalty: 0, hintPenalty: 10, actionPenalty: 0, rootCausePenalty: 0 });
  assert.deepEqual(scoreIfResolvedAt(STATUS, 491_000), { score: 89.64, base: 100, timePenalty: 0.36, hintPenalty: 10, actionPenalty: 0, rootCausePenalty: 0 });
  assert.equal(scoreIfResolvedAt(STATUS, 100_000_000).score, 0);
});

test('a run is finished in exactly the terminal states', () => {
  assert.deepEqual((['provisioning', 'running', 'resolved', 'aborted', 'expired', 'failed'] as const).filter((state) => isFinished({ state })), ['resolved', 'aborted', 'expired', 'failed']);
});

test('an event sits on the timeline at its time after the run started', () => {
  const e: RunEvent = { seq: 3, runId: 'r1', at: '2026-11-23T14:01:31.000Z', kind: 'hint.taken', data: {} };
  assert.equal(eventOffsetMs(e, STATUS.startedAt), 90_000);
  assert.equal(eventOffsetMs(e, null), null);
});
