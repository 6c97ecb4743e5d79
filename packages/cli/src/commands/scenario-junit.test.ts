import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'test-results-parser';
import { RunStatusSchema, type RunEvent, type RunStatus } from '@pudu/schema';
import { exitCodeOfRun, junitOf } from './scenario-junit.ts';

function status(over: Partial<RunStatus>): RunStatus {
  return RunStatusSchema.parse({
    id: 'r1', scenarioId: 'api-latency', title: 'API under latency', difficulty: 'easy', state: 'resolved', createdAt: '2026-11-29T19:00:00.000Z',
    startedAt: '2026-11-29T19:00:05.000Z', endedAt: '2026-11-29T19:01:05.000Z', elapsedMs: 60_000, score: null, hintsUsed: 0, hintsTotal: 0,
    objectivesPassing: 0, objectivesTotal: 0, description: '', symptoms: [], seed: 7, fleetId: 'f1', keepFleet: false, timeLimitMs: 600_000,
    resolvedAtMs: null, error: null, alerts: [], objectives: [], faults: [], vms: [], hints: [],
    scoreDetail: { score: 0, base: 100, timePenalty: 0, hintPenalty: 0, actionPenalty: 0, rootCausePenalty: 0 }, penalties: [], rootCause: null,
    reviewUntil: null, traffic: null, scoring: { base: 100, timePenaltyPerSecond: 0, hintPenalty: 0, perfectWindowMs: 0 }, environment: 'training',
    experimentId: null, charter: null, integrity: [], mode: 'training', verdict: null,
    ...over,
  });
}

/** Writes the XML and reads it back with a real JUnit consumer (test-results-parser, as CI dashboards use). */
function consume(xml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-junit-'));
  try {
    const file = join(dir, 'out.xml');
    writeFileSync(file, xml);
    return parse({ type: 'junit', files: [file] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const breach: RunEvent = { seq: 9, runId: 'r1', at: '2026-11-29T19:00:41.000Z', kind: 'guardrail.breached', data: { guardrail: 'vm_mem', detail: 'app-0 memory 93 % > 80 % for 5 s', action: 'abort' } };

test('a refuted experiment: one testcase per steady-state check with the share and time seen, pre-flight and guardrails passing; exit 1', () => {
  const r = status({
    mode: 'experiment', state: 'failed', error: 'hypothesis refuted: …',
    verdict: { outcome: 'refuted', reason: 'steady_state api: 61.3 % …', evidence: [
      { check: 'api', passing: false, passPct: 61.3, atMs: 30_000, detail: 'last failure at 29.4 s: api-0: GET /api/items → 502 in 12 ms' },
      { check: 'db', passing: true, passPct: 100, atMs: 30_000, detail: 'no failing sample' },
    ] },
  });
  const res = consume(junitOf(r, []));
  assert.equal(res.total, 4);
  assert.equal(res.failed, 1);
  const cases = res.suites[0]!.cases;
  assert.deepEqual(cases.map((c) => `${c.name} ${c.status}`), ['pre-flight PASS', 'steady_state api FAIL', 'steady_state db PASS', 'guardrails PASS']);
  assert.match(cases[1]!.failure, /61\.3 % of samples passed, judged at 30 s on the run's clock; last failure at 29\.4 s: api-0: GET \/api\/items → 502/);
  assert.equal(exitCodeOfRun(r), 1);
});

test('a held experiment passes every testcase and exits 0; a guardrail abort fails its testcase with the value and time and exits 5', () => {
  const held = status({ mode: 'experiment', state: 'resolved', verdict: { outcome: 'held', reason: 'ok', evidence: [{ check: 'api', passing: true, passPct: 98.2, atMs: 60_000, detail: 'x' }] } });
  const a = consume(junitOf(held, []));
  assert.equal(a.failed, 0);
  assert.equal(a.status, 'PASS');
  assert.equal(exitCodeOfRun(held), 0);
  const aborted = status({ state: 'aborted', error: 'guardrail vm_mem: app-0 memory 93 % > 80 % for 5 s', objectives: [{ id: 'api-ok', description: '', passing: false, state: 'failing', detail: 'app-0: GET /healthz → 502', forMs: 0, checkedAt: '2026-11-29T19:00:40.000Z' }] });
  const b = consume(junitOf(aborted, [breach]));
  assert.deepEqual(b.suites[0]!.cases.map((c) => `${c.name} ${c.status}`), ['pre-flight PASS', 'objective api-ok FAIL', 'guardrail vm_mem FAIL']);
  assert.match(b.suites[0]!.cases[2]!.failure, /app-0 memory 93 % > 80 % for 5 s at 2026-11-29T19:00:41\.000Z \(abort\)/);
  assert.equal(exitCodeOfRun(aborted), 5);
});

test('pre-flight failed: its testcase fails with every reason and the exit code is 6; staff abort is 1, halt-all 5', () => {
  const r = status({ state: 'preflight-failed', startedAt: null, error: 'pre-flight failed: objective api-healthy: never passed before any fault (app-0: GET /healthz → 200 (want 418))' });
  const res = consume(junitOf(r, []));
  const pre = res.suites[0]!.cases.find((c) => c.name === 'pre-flight')!;
  assert.equal(pre.status, 'FAIL');
  assert.match(pre.failure, /objective api-healthy: never passed before any fault/);
  assert.equal(exitCodeOfRun(r), 6);
  assert.equal(exitCodeOfRun(status({ state: 'aborted', error: 'aborted by admin' })), 1);
  assert.equal(exitCodeOfRun(status({ state: 'halted', error: 'halted: game day over' })), 5);
});
