import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from './parse-scenario.ts';
import { compileScenario } from './compile-scenario.ts';
import { formatIssue } from './scenario-issue.ts';
import { MINIMAL_SCENARIO } from './test-helpers.ts';

const REALISM = `${MINIMAL_SCENARIO.replace(/objectives:[\s\S]*?hints:/, `objectives:
  - id: users
    description: users can save items
    check: { type: e2e, target: { tier: app } }
    for: 20s
  - id: db-up
    description: the database stays up
    check: { type: unit-healthy, target: { vm: db-0 }, service: postgresql@15-main, stable: 5s }
  - id: link
    description: pings to db-0 answer
    check: { type: probe, target: { vm: db-0 }, loss_below: "2%", latency_below: 50ms, over: 20s }
signals:
  alerts:
    - name: ShopDown
      message: shop fails
      when:
        check: { type: e2e, target: { vm: app-0 } }
        for: 10s
    - name: Scripted
      fired_at: 1m
penalties:
  - id: restarted-db
    description: restarted the database
    points: 20
    when:
      check: { type: unit-healthy, target: { vm: db-0 }, service: postgresql, stable: 1s }
      for: 2s
root_cause:
  question: why?
  choices: [a, b, c]
  answer: 2
traffic:
  target: { tier: app }
  rps: 3
review: 2m
hints:`)}`;

test('compiles for: windows, the new checks, state-driven alerts, penalties, the root-cause question, traffic and the review', () => {
  const r = parseScenario(REALISM, 'r.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatIssue).join('\n'));
  if (!r.ok) return;
  const c = compileScenario(r.spec);
  assert.deepEqual(c.objectives.map((o) => [o.id, o.forMs, o.vms.join()]), [['users', 20_000, 'app-0,app-1,app-2'], ['db-up', 0, 'db-0'], ['link', 0, 'db-0']]);
  assert.deepEqual(c.objectives[1]!.check, { type: 'unit-healthy', service: 'postgresql@15-main', stableMs: 5000 });
  assert.deepEqual(c.objectives[2]!.check, { type: 'probe', lossBelowPct: 2, latencyBelowMs: 50, overMs: 20_000 });
  assert.deepEqual(c.alerts.map((a) => [a.name, a.firedAtMs, a.when?.forMs ?? null]), [['ShopDown', null, 10_000], ['Scripted', 60_000, null]]);
  assert.deepEqual(c.timeline.filter((e) => e.kind === 'alert').map((e) => e.ref), ['Scripted'], 'a state-driven alert has no time on the timeline');
  assert.deepEqual(c.penalties.map((p) => [p.id, p.points, p.fail, p.when.forMs]), [['restarted-db', 20, false, 2000]]);
  assert.deepEqual(c.rootCause, { question: 'why?', choices: ['a', 'b', 'c'], answer: 2, points: 20 });
  assert.deepEqual(c.traffic?.vms, ['app-0', 'app-1', 'app-2']);
  assert.equal(c.traffic?.rps, 3);
  assert.equal(c.traffic?.routes.length, 3, 'the default mix of routes');
  assert.equal(c.reviewMs, 120_000);
});

test('a scenario without the new blocks keeps a 5 minute review and no penalties', () => {
  const r = parseScenario(MINIMAL_SCENARIO);
  assert.ok(r.ok);
  if (!r.ok) return;
  const c = compileScenario(r.spec);
  assert.equal(c.reviewMs, 300_000);
  assert.deepEqual([c.penalties, c.rootCause, c.traffic], [[], null, null]);
});

test('reports what is wrong with the new blocks, where', () => {
  const bad = REALISM
    .replace('service: postgresql@15-main, stable: 5s', 'service: mysql, stable: 5s')
    .replace('    - name: Scripted\n      fired_at: 1m', '    - name: Scripted\n      fired_at: 1m\n      when: { check: { type: e2e, target: { vm: app-9 } } }')
    .replace('  answer: 2', '  answer: 3')
    .replace('loss_below: "2%"', 'loss_below: "lots"');
  const r = parseScenario(bad, 'r.yaml');
  assert.equal(r.ok, false);
  const lines = r.ok ? '' : r.errors.map(formatIssue).join('\n');
  assert.match(lines, /objectives\[1\]\.check\.service: service "mysql" is not among tier "db" services/);
  assert.match(lines, /objectives\[2\]\.check\.loss_below: expected a percentage/);
  assert.match(lines, /signals\.alerts\[1\]\.fired_at: an alert either fires at a time \(fired_at\) or from its condition \(when\)/);
  assert.match(lines, /signals\.alerts\[1\]\.when\.check\.target\.vm: unknown vm "app-9"/);
  assert.match(lines, /root_cause\.answer: no choice 3: there are 3/);
});
