import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunStatusSchema, RunSummarySchema } from '@pudu/schema';
import { normaliseEvent, normaliseLibraryEntry, normaliseRunStatus, normaliseRunSummary, parseDurationS } from './normalise.ts';

const STATUS = RunStatusSchema.parse({
  id: 'r1', scenarioId: 'monolith-disk-full-001', title: 'The Disk That Ate Everything', difficulty: 'easy', state: 'running',
  createdAt: '2026-11-23T14:00:00.000Z', startedAt: '2026-11-23T14:00:01.000Z', endedAt: null, elapsedMs: 65_500, score: null,
  description: 'It is 03:12.', symptoms: ['nginx returns 5xx'], seed: 7, fleetId: 'f1', keepFleet: false, timeLimitMs: 1_800_000,
  resolvedAtMs: null, error: null,
  alerts: [{ name: 'DiskSpaceCritical', severity: 'critical', message: 'Disk above 95%', firedAtMs: 0, fired: true },
    { name: 'Later', severity: 'warning', message: '', firedAtMs: 120_000, fired: false }],
  objectives: [{ id: 'disk-recovered', description: 'Disk below 80%', passing: false, detail: 'disk_used_pct = 100', checkedAt: null }],
  faults: [], vms: [{ name: 'app-0', index: 3, guestIp: '172.16.3.2', hostLink: 'pudu-vh3' }],
  hintsUsed: 1, hintsTotal: 3, objectivesPassing: 0, objectivesTotal: 1, hints: ['Check disk usage with: df -h'],
  scoreDetail: { score: 90, base: 100, timePenalty: 0, hintPenalty: 10 },
  scoring: { base: 100, timePenaltyPerSecond: 0.05, hintPenalty: 10, perfectWindowMs: 300_000 },
});

test('a RunStatus from the API schema reads into the UI model with seconds, marks and score parts', () => {
  const s = normaliseRunStatus(STATUS);
  assert.equal(s.elapsedS, 65.5);
  assert.equal(s.timeLimitS, 1800);
  assert.deepEqual(s.alerts.map((a) => [a.name, a.firedAtS, a.fired]), [['DiskSpaceCritical', 0, true], ['Later', 120, false]]);
  assert.deepEqual(s.objectives, [{ id: 'disk-recovered', description: 'Disk below 80%', passed: false, detail: 'disk_used_pct = 100' }]);
  assert.deepEqual(s.hints, [{ index: 0, text: 'Check disk usage with: df -h' }]);
  assert.equal(s.hintsTotal, 3);
  assert.deepEqual(s.scoreParts, { total: 90, base: 100, timePenalty: 0, hintPenalty: 10 });
  assert.deepEqual(s.vms.map((v) => [v.name, v.index, v.ip]), [['app-0', 3, '172.16.3.2']]);
  assert.equal(s.difficulty, 'easy');
  assert.deepEqual(s.scoring, { base: 100, timePenaltyPerSecond: 0.05, hintPenalty: 10, perfectWindowS: 300 });
});

test('a run list entry carries its progress without the per-run detail', () => {
  const summary = RunSummarySchema.parse({ ...STATUS, objectivesPassing: 1, objectivesTotal: 2, hintsUsed: 2 });
  assert.equal('objectives' in summary, false);
  const s = normaliseRunSummary(summary);
  assert.deepEqual([s.objectivesPassed, s.objectivesTotal, s.hintsUsed], [1, 2, 2]);
});

test('a library entry is started by its name, not its scenario id', () => {
  const e = normaliseLibraryEntry({ name: 'monolith/disk-full', id: 'monolith-disk-full-001', title: 'T', difficulty: 'easy', architecture: 'monolith', tags: ['disk'], vms: 1 });
  assert.equal(e.id, 'monolith/disk-full');
  assert.equal(e.vmCount, 1);
});

test('an event keeps its kind, sequence and data', () => {
  const e = normaliseEvent({ seq: 12, runId: 'r1', at: '2026-11-23T14:00:03.000Z', kind: 'hint.taken', data: { index: 1, penalty: 10 } }, 0);
  assert.equal(e.type, 'hint.taken');
  assert.equal(e.seq, 12);
  assert.equal(e.data.penalty, 10);
});

test('durations are read as the scenario language writes them', () => {
  assert.equal(parseDurationS('500ms'), 0.5);
  assert.equal(parseDurationS('90s'), 90);
  assert.equal(parseDurationS('1h30m'), 5400);
  assert.equal(parseDurationS('5 minutes'), null);
});
