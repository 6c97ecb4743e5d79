import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_UPTIME_DAYS } from '@pudu/schema';
import { compileScenario } from './compile-scenario.ts';
import { historyRequestFor } from './compile-history.ts';
import { parseScenario } from './parse-scenario.ts';
import { formatIssue } from './scenario-issue.ts';
import { MINIMAL_SCENARIO } from './test-helpers.ts';

const DAY_S = 86_400;

const WITH_HISTORY = MINIMAL_SCENARIO.replace('faults:\n  - id: f1\n    type: disk\n    target: { tier: app }', `history:
  uptime: 41d
  records:
    - { target: { tier: db }, file: /var/log/deploy.log, ago: 3d, line: "{iso} CHG-1040 postgresql minor upgrade: ok" }
    - { file: /var/log/maintenance.log, ago: 2h, line: "{date} disk check ok" }
  shell: [df -h]
faults:
  - id: f1
    type: disk
    target: { tier: app, select: random }
    history:
      - { file: /var/log/deploy.log, line: "{iso} CHG-1042 app-server debug logging on: ok" }`);

function compiled(text: string) {
  const r = parseScenario(text, 's.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatIssue).join('\n'));
  return compileScenario(r.spec);
}

test('every VM gets an uptime: the declared one as a minimum, a few hours apart, else a default fixed per scenario', () => {
  const declared = compiled(WITH_HISTORY);
  for (const v of declared.vms) {
    assert.ok(v.uptimeS! >= 41 * DAY_S && v.uptimeS! < 41 * DAY_S + 3 * 3600, `${v.name}: ${v.uptimeS}`);
  }
  assert.equal(new Set(declared.vms.map((v) => v.uptimeS)).size, declared.vms.length, 'VMs of one fleet did not boot in the same second');
  const plain = compiled(MINIMAL_SCENARIO);
  const again = compiled(MINIMAL_SCENARIO);
  assert.deepEqual(plain.vms.map((v) => v.uptimeS), again.vms.map((v) => v.uptimeS), 'same scenario, same uptimes (warm fleets match)');
  for (const v of plain.vms) assert.ok(v.uptimeS! >= DEFAULT_UPTIME_DAYS.min * DAY_S && v.uptimeS! <= (DEFAULT_UPTIME_DAYS.max + 1) * DAY_S);
});

test('records go to the VMs they target, fault records to the VM the fault lands on, keyed by its agent id', () => {
  const plan = compiled(WITH_HISTORY);
  const faultVm = plan.faults[0]!.vm;
  const db = historyRequestFor(plan, 'r1', 'db-0');
  assert.deepEqual(db.records, [
    { file: '/var/log/deploy.log', line: '{iso} CHG-1040 postgresql minor upgrade: ok', ago_ms: 3 * DAY_S * 1000 },
    { file: '/var/log/maintenance.log', line: '{date} disk check ok', ago_ms: 2 * 3600_000 },
  ]);
  assert.deepEqual(db.on_fault, {});
  assert.deepEqual(db.shell, ['df -h']);
  const app = historyRequestFor(plan, 'r1', faultVm);
  assert.deepEqual(app.on_fault, { 'r1.f1': [{ file: '/var/log/deploy.log', line: '{iso} CHG-1042 app-server debug logging on: ok' }] });
  assert.equal(app.records.length, 1);
  assert.notEqual(app.seed, db.seed, 'each VM its own history');
});

test('adding history never changes which VMs a seed picks for faults', () => {
  const withRandom = MINIMAL_SCENARIO.replace('target: { tier: app }', 'target: { tier: app, select: random }');
  for (const seed of [1, 2, 3, 4, 5]) {
    const a = parseScenario(withRandom.replace('seed: 42', `seed: ${seed}`));
    const b = parseScenario(WITH_HISTORY.replace('seed: 42', `seed: ${seed}`));
    assert.ok(a.ok && b.ok);
    assert.equal(compileScenario(a.spec).faults[0]!.vm, compileScenario(b.spec).faults[0]!.vm, `seed ${seed}`);
  }
});

test('a bad history block is reported at its line and column', () => {
  const bad = WITH_HISTORY.replace('target: { tier: db }', 'target: { tier: dbs }').replace('ago: 2h', 'ago: yesterday').replace('uptime: 41d', 'uptime: long');
  const r = parseScenario(bad, 's.yaml');
  assert.equal(r.ok, false);
  const errors = r.ok ? [] : r.errors.map(formatIssue);
  assert.deepEqual(errors, [
    's.yaml:14:11: history.uptime: expected an age like 41d, 3d12h, 6h or 90m, got "long"',
    's.yaml:16:25: history.records[0].target.tier: unknown tier "dbs" (did you mean "db"?)',
    's.yaml:17:46: history.records[1].ago: expected an age like 41d, 3d12h, 6h or 90m, got "yesterday"',
  ]);
});

test('a plan without history (stored before it existed) asks for Pudu\'s defaults only', () => {
  const plan = compiled(MINIMAL_SCENARIO);
  delete plan.history;
  assert.deepEqual(historyRequestFor(plan, 'r1', 'app-0'), { seed: historyRequestFor(plan, 'r1', 'app-0').seed, defaults: true, records: [], shell: [], on_fault: {} });
});
