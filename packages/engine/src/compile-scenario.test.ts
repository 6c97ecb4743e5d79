import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileScenario } from './compile-scenario.ts';
import { loadScenarioFile, parseScenario } from './parse-scenario.ts';
import { MINIMAL_SCENARIO } from './test-helpers.ts';
import type { ScenarioSpec } from '@pudu/schema';

async function specOf(file: string): Promise<ScenarioSpec> {
  const r = await loadScenarioFile(file);
  assert.ok(r.ok);
  return r.spec;
}

function specWithSelect(select: string): ScenarioSpec {
  const r = parseScenario(MINIMAL_SCENARIO.replace('target: { tier: app }', `target: { tier: app, select: ${select} }`).replace('count: 3', 'count: 10'));
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.spec;
}

test('expands tiers into named VMs and orders the db-connection-exhaustion timeline', async () => {
  const plan = compileScenario(await specOf('packages/engine/src/fixtures/seed-db-connection-exhaustion.yaml'), { seed: 7 });
  assert.deepEqual(plan.vms.map((v) => [v.name, v.memMb, v.diskMb]), [['api-0', 512, 1024], ['api-1', 512, 1024], ['db-0', 1024, 2048]]);
  assert.deepEqual(plan.timeline.map((e) => `${e.atMs} ${e.kind} ${e.ref} ${e.vm ?? ''}`.trim()), [
    '0 fault-start db-cpu-spike db-0',
    '0 alert DBHighCPU',
    '30000 fault-start db-connection-leak db-0',
    '60000 fault-start api-latency api-0',
    '60000 fault-start api-latency api-1',
    '60000 alert APIErrorRate',
    '60000 alert APILatencyHigh',
    '120000 fault-start api-memory-leak api-0',
    '120000 alert APIMemoryHigh',
    '180000 fault-end db-cpu-spike db-0',
    '360000 fault-end api-latency api-0',
    '360000 fault-end api-latency api-1',
  ]);
  assert.equal(plan.seed, 7);
  assert.equal(plan.timeLimitMs, 30 * 60_000);
  assert.deepEqual(plan.objectives.find((o) => o.id === 'api-healthy')?.vms, ['api-0', 'api-1']);
  assert.deepEqual(plan.objectives.find((o) => o.id === 'api-healthy')?.check, { type: 'http', path: '/healthz', expectedStatus: 200, port: 80, latencyBelowMs: null });
  assert.deepEqual(plan.scoring, { base: 100, timePenaltyPerSecond: 0.033, hintPenalty: 10, perfectWindowMs: 480_000 });
  assert.equal(plan.faults.find((f) => f.id === 'api-memory-leak')?.durationMs, null);
});

test('select all, one, random, count and percent pick what they say', () => {
  const pick = (select: string, seed = 1): string[] => compileScenario(specWithSelect(select), { seed }).faults.map((f) => f.vm);
  assert.equal(pick('all').length, 10);
  assert.deepEqual(pick('one'), ['app-0']);
  assert.equal(pick('random').length, 1);
  assert.equal(new Set(pick('{ count: 4 }')).size, 4);
  assert.equal(pick('{ percent: 25 }').length, 3);
  assert.equal(pick('{ percent: 1 }').length, 1);
});

test('random selection is reproducible from the seed and really varies across seeds', () => {
  const pick = (seed: number): string => compileScenario(specWithSelect('random'), { seed }).faults[0]!.vm;
  assert.equal(pick(123), pick(123));
  const seen = new Set(Array.from({ length: 200 }, (_, s) => pick(s)));
  assert.ok(seen.size >= 8, `random picked only ${[...seen].join(',')} over 200 seeds`);
  const counts = compileScenario(specWithSelect('{ count: 3 }'), { seed: 9 }).faults.map((f) => f.vm);
  assert.deepEqual(counts, compileScenario(specWithSelect('{ count: 3 }'), { seed: 9 }).faults.map((f) => f.vm));
});

test('uses the scenario seed when none is given, and records a new one otherwise', () => {
  const withSeed = parseScenario(MINIMAL_SCENARIO);
  assert.ok(withSeed.ok);
  assert.equal(compileScenario(withSeed.spec).seed, 42);
  const without = parseScenario(MINIMAL_SCENARIO.replace('  seed: 42\n', ''));
  assert.ok(without.ok);
  const seed = compileScenario(without.spec).seed;
  assert.ok(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32);
});
