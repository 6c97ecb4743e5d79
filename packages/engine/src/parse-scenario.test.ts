import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadScenarioFile, parseScenario, MAX_SCENARIO_BYTES } from './parse-scenario.ts';
import { formatIssue } from './scenario-issue.ts';
import { MINIMAL_SCENARIO } from './test-helpers.ts';

function errorsOf(text: string): string[] {
  const r = parseScenario(text, 's.yaml');
  assert.equal(r.ok, false, 'expected the scenario to be invalid');
  return r.ok ? [] : r.errors.map(formatIssue);
}

test('accepts the two seed scenarios', async () => {
  for (const f of ['scenarios/monolith/disk-full.yaml', 'packages/engine/src/fixtures/seed-db-connection-exhaustion.yaml', 'scenarios/microservices/db-connection-exhaustion.yaml']) {
    const r = await loadScenarioFile(f);
    assert.ok(r.ok, r.ok ? '' : r.errors.map(formatIssue).join('\n'));
  }
});

test('reports all five mistakes of one file, each at its line and column', async () => {
  const r = await loadScenarioFile('packages/engine/src/fixtures/five-mistakes.yaml');
  assert.equal(r.ok, false);
  const lines = r.ok ? [] : r.errors.map(formatIssue);
  const f = 'packages/engine/src/fixtures/five-mistakes.yaml';
  assert.deepEqual(lines, [
    `${f}:3:3: scenario.titel: unknown key "titel" (did you mean "title"?)`,
    `${f}:11:11: faults[0].type: unknown value "cpuu"; expected one of cpu, memory, disk, network, process, dns, db-connections, config (did you mean "cpu"?)`,
    `${f}:17:13: faults[1].target.tier: unknown tier "web"; tiers: app`,
    `${f}:18:9: faults[1].at: expected a duration like 500ms, 0s, 90s, 1m or 1h30m, got "10x"`,
    `${f}:27:18: objectives[0].check.condition: expected a condition like "< 80" (operators < <= > >= == !=, then a number), got "about 80"`,
  ]);
});

test('applies the defaults a trainer may leave out', () => {
  const r = parseScenario(MINIMAL_SCENARIO);
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.spec.scenario.time_limit, '30m');
  assert.equal(r.spec.environment.tiers[1]!.count, 1);
  assert.equal(r.spec.environment.tiers[0]!.mem_mb, 512);
  assert.equal(r.spec.environment.tiers[0]!.disk_mb, 1024);
  assert.equal(r.spec.faults[0]!.at, '0s');
  assert.deepEqual(r.spec.scoring, { base: 100, time_penalty_per_second: 0, hint_penalty: 0, perfect_window: '0s' });
});

const cases: [string, (s: string) => string, RegExp][] = [
  ['duplicate fault ids', (s) => s.replace('faults:\n', 'faults:\n  - id: f1\n    type: dns\n    target: { vm: db-0 }\n    params: { record: db.internal, resolve_to: 10.0.0.66 }\n'), /faults\[1\]\.id: duplicate fault id "f1" \(first used at faults\[0\]\)/],
  ['a fault that outlives the time limit', (s) => s.replace('  seed: 42', '  seed: 42\n  time_limit: 5m').replace('target: { tier: app }', 'target: { tier: app }\n    at: 4m\n    duration: 2m'), /faults\[0\]\.duration: fault runs until 360s, past the scenario time_limit of 300s/],
  ['an unknown vm with a suggestion', (s) => s.replace('vm: app-0', 'vm: app-3'), /unknown vm "app-3" \(did you mean "app-0"\?\)/],
  ['an unknown metric', (s) => s.replace('metric: disk_used_pct', 'metric: disk_pct'), /check\.metric: unknown value "disk_pct"; expected one of cpu_pct, mem_used_pct, disk_used_pct, disk_free_mb, load_avg_1/],
  ['an empty hint', (s) => s.replace('text: df -h', 'text: "  "'), /hints\[0\]\.text: hint text is empty/],
  ['a network delay without latency', (s) => s.replace('type: disk', 'type: network\n    params: { action: delay }'), /faults\[0\]\.params\.latency: action "delay" needs "latency"/],
  ['a process fault on a service the tier does not run', (s) => s.replace('type: disk', 'type: process\n    params: { service: postgresql, action: stop }'), /service "postgresql" is not among tier "app" services/],
  ['a db-connections fault on a tier without postgresql', (s) => s.replace('type: disk', 'type: db-connections'), /faults\[0\]\.target: db-connections needs postgresql among tier "app" services/],
  ['a config fault restarting a service the tier does not run', (s) => s.replace('type: disk', 'type: config\n    params: { path: /etc/x.conf, match: "^a=", replace: "a=2", restart: postgresql }'), /params\.restart: service "postgresql" is not among tier "app" services/],
  ['a config fault with a bad regular expression', (s) => s.replace('type: disk', 'type: config\n    params: { path: /etc/x.conf, match: "(", replace: "a=2" }'), /params\.match: expected a regular expression/],
  ['a bad fault param value', (s) => s.replace('type: disk', 'type: cpu\n    params: { load: lots }'), /faults\[0\]\.params\.load: expected a percentage from 1% to 100% like "80%"/],
  ['a typo in a fault param', (s) => s.replace('type: disk', 'type: cpu\n    params: { lod: 80% }'), /params\.lod: unknown key "lod" \(did you mean "load"\?\)/],
  ['a target with both tier and vm', (s) => s.replace('target: { tier: app }', 'target: { tier: app, vm: app-0 }'), /target: a target names exactly one of "tier" or "vm"/],
  ['select on a single vm', (s) => s.replace('vm: app-0', 'vm: app-0, select: random'), /"select" applies to a tier/],
  ['select count larger than the tier', (s) => s.replace('target: { tier: app }', 'target: { tier: app, select: { count: 4 } }'), /tier "app" has only 3 VM\(s\), cannot select 4/],
  ['a bad select', (s) => s.replace('target: { tier: app }', 'target: { tier: app, select: some }'), /select: .*expected all, one, random, \{count: N\} or \{percent: P\}/],
  ['a bad difficulty', (s) => s.replace('difficulty: easy', 'difficulty: eazy'), /scenario\.difficulty: unknown value "eazy"; .*\(did you mean "easy"\?\)/],
  ['a wrong type', (s) => s.replace('count: 3', 'count: three'), /tiers\[0\]\.count: expected a number, got "three"/],
  ['duplicate YAML keys', (s) => s.replace('  title: Test', '  title: Test\n  title: Again'), /s\.yaml:4:3: YAML: Map keys must be unique/],
  ['a dns fault to a non-IP', (s) => s.replace('type: disk', 'type: dns\n    params: { record: db.internal, resolve_to: evil }'), /resolve_to: "evil" is not allowed here: expected an IPv4 or IPv6 address/],
  ['a fault-cleared check naming no fault of the scenario', (s) => s.replace('type: agent-metric\n      target: { vm: app-0 }\n      metric: disk_used_pct\n      condition: "< 80"', 'type: fault-cleared\n      target: { vm: app-0 }\n      fault: f2'), /check\.fault: unknown fault "f2" \(did you mean "f1"\?\)/],
  ['a missing objectives section', (s) => s.replace(/objectives:[\s\S]*hints:/, 'hints:'), /s\.yaml:1:1: objectives: a training scenario needs at least one objective/],
];
for (const [name, mutate, pattern] of cases) {
  test(`reports ${name} with its location`, () => {
    const errors = errorsOf(mutate(MINIMAL_SCENARIO));
    assert.ok(errors.some((e) => pattern.test(e)), `no error matched ${pattern}:\n${errors.join('\n')}`);
    for (const e of errors) assert.match(e, /^s\.yaml:\d+:\d+: /);
  });
}

test('turns hostile input into located errors, never a crash or a hang', () => {
  const bomb = 'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n';
  const inputs: [string, RegExp][] = [
    [bomb, /alias/i],
    ['x'.repeat(MAX_SCENARIO_BYTES + 1), /larger than/],
    ['\u0000\u0001ELF', /not UTF-8 text/],
    ['- a\n- b\n', /got a list/],
    ['just a string', /got string/],
    ['', /empty document/],
    ['['.repeat(50_000), /YAML/],
    ['a: [1, 2\nb: }', /YAML/],
    ['---\na: 1\n---\nb: 2\n', /YAML/],
  ];
  for (const [text, pattern] of inputs) {
    const started = Date.now();
    const errors = errorsOf(text);
    assert.ok(errors.length >= 1 && errors.length <= 51);
    assert.ok(errors.some((e) => pattern.test(e)), `${pattern} not in ${errors.slice(0, 3).join('\n')}`);
    assert.ok(Date.now() - started < 10_000, 'parsing hostile input must stay bounded');
  }
});

test('loadScenarioFile explains unreadable paths', async () => {
  const missing = await loadScenarioFile('does/not/exist.yaml');
  assert.equal(missing.ok, false);
  assert.match(missing.ok ? '' : formatIssue(missing.errors[0]!), /^does\/not\/exist\.yaml:1:1: no such file$/);
  const dir = await loadScenarioFile('scenarios');
  assert.match(dir.ok ? '' : dir.errors[0]!.message, /is a directory/);
  assert.ok(readFileSync('scenarios/monolith/disk-full.yaml', 'utf8').startsWith('# yaml-language-server: $schema='));
});

test('a scenario may not ask for more than 16 tiers or 64 VMs in all, and says where', () => {
  const big = MINIMAL_SCENARIO.replace('count: 3', 'count: 60').replace('    - name: db\n', '    - name: db\n      count: 5\n');
  assert.deepEqual(errorsOf(big), ['s.yaml:8:5: environment.tiers: a fleet has at most 64 VMs in all tiers together']);
  const tiers = Array.from({ length: 17 }, (_, i) => `    - name: t${i}\n`).join('');
  const many = MINIMAL_SCENARIO.replace(/ {2}tiers:\n[\s\S]*?faults:/, `  tiers:\n${tiers}faults:`).replace('tier: app', 'tier: t0').replace('vm: app-0', 'vm: t0-0');
  assert.match(errorsOf(many).join('\n'), /s.yaml:8:5: environment.tiers: allows at most 16 item/);
});
