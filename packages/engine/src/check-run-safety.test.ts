import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compileScenario } from './compile-scenario.ts';
import { parseScenario } from './parse-scenario.ts';
import { formatIssue } from './scenario-issue.ts';

/** An experiment on a two-tier system: a cpu ramp on the app tier, steady state on /healthz. */
export const EXPERIMENT = readFileSync(new URL('./fixtures/experiment-cpu-ramp.yaml', import.meta.url), 'utf8');

function errorsOf(text: string): string[] {
  const r = parseScenario(text, 's.yaml');
  assert.equal(r.ok, false, 'expected the scenario to be invalid');
  return r.ok ? [] : r.errors.map(formatIssue);
}

test('an experiment with a ramp, steady state, abort conditions and guardrails compiles to its steps, tolerance and limits', () => {
  const r = parseScenario(EXPERIMENT, 's.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatIssue).join('\n'));
  if (!r.ok) return;
  const c = compileScenario(r.spec);
  assert.equal(c.mode, 'experiment');
  assert.deepEqual(c.steadyState.map((s) => [s.id, s.passPct, s.overMs, s.condition.vms.length, s.condition.check]), [
    ['api-ok', 95, 30_000, 4, { type: 'http', path: '/healthz', expectedStatus: 200, port: 80, latencyBelowMs: 150 }],
  ]);
  assert.deepEqual(c.abortWhen.map((a) => [a.id, a.on, a.condition.forMs, a.condition.check.type]), [['db-mem', 'passing', 10_000, 'agent-metric'], ['db-up', 'failing', 0, 'process-running']]);
  assert.equal(c.guardrails.vmCpuPct, 95);
  assert.equal(c.guardrails.hostMemFreePct, 5, 'host headroom is watched by default');
  assert.equal(c.guardrails.forMs, 3000);
  const ramp = c.ramps[0]!;
  assert.equal(ramp.everyMs, 60_000);
  assert.deepEqual(ramp.steps.map((s) => s.params.load), ['20%', '50%', '80%']);
  assert.deepEqual(ramp.steps.map((s) => s.vms.length), [1, 2, 4]);
  // Each step's reach holds the one before it.
  for (let i = 1; i < ramp.steps.length; i++) for (const vm of ramp.steps[i - 1]!.vms) assert.ok(ramp.steps[i]!.vms.includes(vm));
  assert.deepEqual(c.faults.filter((f) => f.id === 'cpu-ramp').map((f) => [f.vm, f.params.load]).sort(), [['app-0', '20%'], ['app-1', '20%'], ['app-2', '20%'], ['app-3', '20%']]);
  assert.deepEqual(c.timeline.filter((e) => e.kind !== 'fault-end').map((e) => `${e.atMs} ${e.kind} ${e.ref} ${e.vm ?? e.step}`), [
    `30000 fault-start cpu-ramp ${ramp.steps[0]!.vms[0]}`, '90000 fault-step cpu-ramp 2', '150000 fault-step cpu-ramp 3',
  ]);
  // The same seed picks the same reach.
  assert.deepEqual(compileScenario(r.spec).ramps, c.ramps);
});

test('adding the safety parts never moves what a seed picked for the rest', () => {
  const plain = EXPERIMENT.replace(/steady_state:[\s\S]*$/, 'objectives:\n  - id: o\n    description: d\n    check: { type: http, target: { tier: app, select: random }, path: /healthz }\n')
    .replace('  mode: experiment\n', '').replace(/    ramp:[\s\S]*?on_breach: hold\n/, '').replace('target: { tier: app }\n    params', 'target: { tier: app, select: random }\n    params');
  const withExtras = `${plain}extra_faults:\n  - id: extra\n    type: cpu\n    target: { tier: app, select: random }\n    params: { load: 50% }\n`;
  const a = parseScenario(plain, 's.yaml');
  const b = parseScenario(withExtras, 's.yaml');
  assert.ok(a.ok && b.ok, JSON.stringify([a.ok || a.errors.map(formatIssue), b.ok || b.errors.map(formatIssue)]));
  if (!a.ok || !b.ok) return;
  const [ca, cb] = [compileScenario(a.spec), compileScenario(b.spec)];
  assert.deepEqual(cb.faults, ca.faults);
  assert.deepEqual(cb.objectives, ca.objectives);
  assert.equal(cb.extraFaults.length, 1);
  assert.equal(cb.mode, 'training');
});

const cases: [string, (s: string) => string, RegExp][] = [
  ['an unknown mode', (s) => s.replace('mode: experiment', 'mode: experimnt'), /s\.yaml:5:9: scenario\.mode: unknown value "experimnt"; expected one of training, experiment/],
  ['an experiment without steady_state', (s) => s.replace(/steady_state:[\s\S]*?abort_when:/, 'abort_when:'), /steady_state: an experiment \(mode: experiment\) needs at least one steady_state check/],
  ['steady_state in a training scenario', (s) => s.replace('  mode: experiment\n', ''), /s\.yaml:\d+:1: steady_state: steady_state belongs to an experiment/],
  ['abort_when in a training scenario', (s) => s.replace('  mode: experiment\n', ''), /abort_when: abort_when belongs to an experiment/],
  ['objectives in an experiment', (s) => `${s}objectives:\n  - id: o\n    description: d\n    check: { type: http, target: { tier: app }, path: / }\n`, /objectives: an experiment is judged by its steady_state/],
  ['a tolerance that is no percentage', (s) => s.replace('pass: 95%', 'pass: most'), /s\.yaml:30:24: steady_state\[0\]\.tolerance\.pass: expected a percentage from 1% to 100%/],
  ['a tolerance window of zero', (s) => s.replace('over: 30s', 'over: 0s'), /steady_state\[0\]\.tolerance\.over: expected a duration .*longer than 0/],
  ['a latency bound in words', (s) => s.replace('latency_below: 150ms', 'latency_below: fast'), /steady_state\[0\]\.check\.latency_below: expected a duration/],
  ['an abort_when with both check and metric', (s) => s.replace('  - id: db-up\n    check:', '  - id: db-up\n    metric: { target: { vm: db-0 }, metric: cpu_pct, condition: "> 1" }\n    check:'), /abort_when\[1\]: an abort_when entry has exactly one of "check" or "metric"/],
  ['an abort_when metric on an unknown vm', (s) => s.replace('target: { vm: db-0 }, metric', 'target: { vm: db-9 }, metric'), /abort_when\[0\]\.metric\.target\.vm: unknown vm "db-9"/],
  ['an abort_when metric with no condition', (s) => s.replace(', condition: "> 90" }', ' }'), /abort_when\[0\]\.metric\.condition: missing required key "condition"/],
  ['an abort_when for: in words', (s) => s.replace('for: 10s', 'for: ten'), /abort_when\[0\]\.for: expected a duration/],
  ['duplicate steady_state ids', (s) => s.replace('abort_when:', '  - id: api-ok\n    check: { type: http, target: { tier: app }, path: / }\nabort_when:'), /steady_state\[1\]\.id: duplicate steady_state id "api-ok"/],
  ['a ramp on a fault type without intensity', (s) => s.replace('type: cpu\n', 'type: process\n').replace('params: { load: 20% }', 'params: { service: nginx, action: stop }').replace('load: [20%, 50%, 80%]', 'action: [stop, restart, degrade]'), /s\.yaml:23:7: faults\[0\]\.ramp\.action: a process fault has no intensity to ramp \(only "select" may step its reach\)/],
  ['a ramp of a param that is not an intensity', (s) => s.replace('load: [20%, 50%, 80%]', 'lod: [20%, 50%, 80%]'), /faults\[0\]\.ramp\.lod: "lod" is not an intensity of a cpu fault \(did you mean "load"\?\)/],
  ['a ramp step with a bad value', (s) => s.replace('load: [20%, 50%, 80%]', 'load: [20%, 500%, 80%]'), /s\.yaml:23:19: faults\[0\]\.ramp\.load\[1\]: step 2: expected a percentage from 1% to 100%/],
  ['ramp lists of different lengths', (s) => s.replace('load: [20%, 50%, 80%]', 'load: [20%, 80%]'), /faults\[0\]\.ramp\.(load|select): has \d steps but "\w+" has \d/],
  ['a ramp of one step', (s) => s.replace('load: [20%, 50%, 80%]', 'load: [20%]').replace('      select: [one, { percent: 50 }, all]\n', ''), /s\.yaml:23:13: faults\[0\]\.ramp\.load: needs at least 2 item/],
  ['a ramp without every', (s) => s.replace('      every: 1m\n', ''), /faults\[0\]\.ramp\.every: missing required key "every"/],
  ['an unknown on_breach', (s) => s.replace('on_breach: hold', 'on_breach: panic'), /faults\[0\]\.ramp\.on_breach: unknown value "panic"; expected one of hold, rollback, abort/],
  ['a reach that shrinks', (s) => s.replace('select: [one, { percent: 50 }, all]', 'select: [all, one, all]'), /faults\[0\]\.ramp\.select\[1\]: reaches 1 VM\(s\), fewer than step 1 \(4\)/],
  ['a ramp whose last step starts after the fault ends', (s) => s.replace('every: 1m', 'every: 3m'), /faults\[0\]\.ramp\.every: the last step would start at 390s, after the fault ends at 330s/],
  ['a guardrail percentage out of range', (s) => s.replace('vm_cpu: 95%', 'vm_cpu: 150%'), /guardrails\.vm_cpu: expected a percentage from 1% to 100%/],
  ['an unknown guardrail', (s) => s.replace('vm_cpu: 95%', 'vm_cpuu: 95%'), /guardrails\.vm_cpuu: unknown key "vm_cpuu" \(did you mean "vm_cpu"\?\)/],
  ['an unknown guardrail action', (s) => s.replace('for: 3s', 'for: 3s\n  on_breach: hold'), /guardrails\.on_breach: unknown value "hold"; expected one of abort, pause/],
  ['extra faults in an experiment', (s) => `${s}extra_faults:\n  - id: x\n    type: cpu\n    target: { tier: app }\n    params: { load: 50% }\n`, /extra_faults: extra_faults are injected by an instructor during training/],
];

for (const [name, mutate, expected] of cases) {
  test(`reports ${name} at its line and column`, () => {
    const errors = errorsOf(mutate(EXPERIMENT));
    assert.ok(errors.some((e) => expected.test(e)), `no error matched ${expected}:\n${errors.join('\n')}`);
    for (const e of errors) assert.match(e, /^s\.yaml:\d+:\d+: /);
  });
}

test('an extra fault that reuses a fault id or gives a start time is refused', () => {
  const training = EXPERIMENT.replace('  mode: experiment\n', '').replace(/steady_state:[\s\S]*?guardrails:/, 'objectives:\n  - id: o\n    description: d\n    check: { type: http, target: { tier: app }, path: / }\nguardrails:');
  const errors = errorsOf(`${training}extra_faults:\n  - id: cpu-ramp\n    type: cpu\n    target: { tier: app }\n    params: { load: 50% }\n    at: 1m\n`);
  assert.ok(errors.some((e) => /extra_faults\[0\]\.id: fault id "cpu-ramp" is already used in faults/.test(e)), errors.join('\n'));
  assert.ok(errors.some((e) => /extra_faults\[0\]\.at: an extra fault starts when the instructor injects it/.test(e)), errors.join('\n'));
});
