import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { z } from 'zod';
import type { CompiledScenarioSchema} from './compiled-scenario.ts';
import { type CompiledFault } from './compiled-scenario.ts';
import { step } from './run-step.ts';
import { newRunProgress, type Action, type Observation, type RunPlan, type RunProgress } from './run-state.ts';
import type { HostSample } from './run-safety-state.ts';
import { PREFLIGHT_TIMEOUT_MS } from './run-preflight.ts';
import { startedRun, testPlan } from './run-test-support.ts';

const T0 = 1_700_000_000_000;
const fault = (over: Partial<CompiledFault> = {}): CompiledFault => ({ id: 'f1', type: 'cpu', vm: 'app-0', params: { load: '20%' }, atMs: 0, durationMs: null, ...over });
const vm = (name: string) => ({ name, tier: 'app', vcpus: 1, memMb: 256, diskMb: 512, services: [] });
const http = { check: { type: 'http' as const, path: '/healthz', expectedStatus: 200, port: 80, latencyBelowMs: 150 }, vms: ['app-0'], forMs: 0 };

const planOf = (over: Partial<z.input<typeof CompiledScenarioSchema>> = {}): RunPlan => testPlan({ vms: [vm('app-0')], faults: [fault()], scoring: { base: 100, timePenaltyPerSecond: 0, hintPenalty: 0, perfectWindowMs: 0 }, ...over });

const experiment = (over: Partial<z.input<typeof CompiledScenarioSchema>> = {}): RunPlan => planOf({
  mode: 'experiment', objectives: [],
  steadyState: [{ id: 'api', description: '', condition: http, passPct: 95, overMs: 30_000 }],
  ...over,
});

const kinds = (actions: Action[]): string[] => actions.map((a) => (a.kind === 'publish' ? `publish:${a.event}` : a.kind));
const events = (actions: Action[]): string[] => actions.flatMap((a) => (a.kind === 'publish' ? [a.event] : []));
const steady = (atMs: number, passing: boolean, extra: Record<string, boolean> = {}): Observation => ({
  kind: 'checks', atMs,
  results: { 'steady:api': { passing, detail: passing ? 'api-0: 200 in 40 ms' : 'api-0: 200 in 420 ms' }, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, { passing: v, detail: `${k} ${v}` }])) },
});
const sample = (over: Partial<HostSample> = {}): HostSample => ({ loadPerCpu: 0.5, memAvailablePct: 60, diskFreePct: 50, vms: { 'app-0': { cpuPct: 10, memPct: 30, diskPct: 20 } }, ...over });

/** Runs observations one batch at a time, each at its own time; returns the last result and every action. */
function run(plan: RunPlan, s: RunProgress, batches: [number, Observation[]][]): { s: RunProgress; all: Action[] } {
  const all: Action[] = [];
  for (const [at, obs] of batches) {
    const r = step(plan, s, obs, at);
    s = r.state;
    all.push(...r.actions);
  }
  return { s, all };
}

// --- pre-flight ---

test('pre-flight asks every agent and every fault plan (each ramp step\'s params once per VM) before the clock starts', () => {
  const plan = planOf({
    vms: [vm('app-0'), vm('app-1')],
    faults: [fault(), fault({ vm: 'app-1' })],
    ramps: [{ faultId: 'f1', everyMs: 60_000, onBreach: 'hold', steps: [{ params: { load: '20%' }, vms: ['app-0'] }, { params: { load: '80%' }, vms: ['app-0', 'app-1'] }] }],
  });
  const r = step(plan, newRunProgress(plan.compiled), [{ kind: 'fleet-ready', fleetId: 'fl1' }], T0);
  const a = r.actions.find((x) => x.kind === 'preflight');
  assert.ok(a && a.kind === 'preflight');
  assert.deepEqual(a.vms, ['app-0', 'app-1']);
  assert.deepEqual(a.faults.map((f) => `${f.agentId} ${f.fault.vm} ${f.fault.params.load}`), ['r1.f1 app-0 20%', 'r1.f1 app-0 80%', 'r1.f1 app-1 80%']);
  assert.equal(r.state.startedAtMs, null);
});

test('a fault plan the agent refuses ends the run preflight-failed with each reason; nothing is applied and the fleet goes', () => {
  const plan = planOf();
  const ready = step(plan, newRunProgress(plan.compiled), [{ kind: 'fleet-ready', fleetId: 'fl1' }], T0).state;
  const r = step(plan, ready, [{ kind: 'preflight-planned', problems: [{ check: 'fault f1 on app-0', reason: 'FAULT_INVALID: stress-ng not installed' }, { check: 'agent app-0', reason: 'AGENT_AUTH: bad signature' }] }], T0 + 500);
  assert.equal(r.state.state, 'preflight-failed');
  assert.match(r.state.error ?? '', /fault f1 on app-0: FAULT_INVALID: stress-ng not installed; agent app-0: AGENT_AUTH: bad signature/);
  assert.deepEqual(kinds(r.actions), ['publish:preflight.failed', 'publish:run.preflight-failed', 'finished', 'destroy-fleet']);
  assert.equal(r.state.startedAtMs, null);
  // Even a tick long after does nothing: no fault is ever applied.
  assert.deepEqual(step(plan, r.state, [{ kind: 'tick' }], T0 + 120_000).actions, []);
});

test('an objective that never passes before any fault refuses the run at the pre-flight deadline, naming the check and what it saw', () => {
  const plan = planOf();
  const { s, all } = run(plan, newRunProgress(plan.compiled), [
    [T0, [{ kind: 'fleet-ready', fleetId: 'fl1' }]],
    [T0 + 400, [{ kind: 'preflight-planned', problems: [] }]],
    [T0 + 1000, [{ kind: 'checks', atMs: T0 + 1000, results: { o1: { passing: false, detail: 'app-0: nginx inactive' } } }]],
    [T0 + PREFLIGHT_TIMEOUT_MS - 1, [{ kind: 'tick' }]],
  ]);
  assert.equal(s.state, 'preflight');
  assert.ok(all.some((a) => a.kind === 'evaluate'), 'checks keep running in pre-flight');
  const end = step(plan, s, [{ kind: 'tick' }], T0 + PREFLIGHT_TIMEOUT_MS);
  assert.equal(end.state.state, 'preflight-failed');
  assert.equal(end.state.error, 'pre-flight failed: objective o1: never passed before any fault (app-0: nginx inactive)');
  assert.ok(!end.actions.some((a) => a.kind === 'apply-fault'));
});

test('the steady state seen before the plans answer counts; a round that fails again must pass again', () => {
  const plan = planOf();
  const ok = { kind: 'checks', atMs: T0, results: { o1: { passing: true, detail: 'ok' } } } as const;
  const bad = { kind: 'checks', atMs: T0, results: { o1: { passing: false, detail: 'down' } } } as const;
  const a = run(plan, newRunProgress(plan.compiled), [[T0, [{ kind: 'fleet-ready', fleetId: 'fl1' }]], [T0 + 1, [ok]], [T0 + 2, [{ kind: 'preflight-planned', problems: [] }]]]);
  assert.equal(a.s.state, 'running');
  assert.equal(a.s.startedAtMs, T0 + 2);
  const b = run(plan, newRunProgress(plan.compiled), [[T0, [{ kind: 'fleet-ready', fleetId: 'fl1' }]], [T0 + 1, [ok]], [T0 + 2, [bad]], [T0 + 3, [{ kind: 'preflight-planned', problems: [] }]]]);
  assert.equal(b.s.state, 'preflight');
});

test('an experiment\'s pre-flight judges its steady_state checks, not objectives; halt in pre-flight ends it halted', () => {
  const plan = experiment();
  const ready = step(plan, newRunProgress(plan.compiled), [{ kind: 'fleet-ready', fleetId: 'fl1' }], T0).state;
  assert.equal(step(plan, ready, [{ kind: 'preflight-planned', problems: [] }, steady(T0, false)], T0).state.state, 'preflight');
  assert.equal(step(plan, ready, [{ kind: 'preflight-planned', problems: [] }, steady(T0, true)], T0).state.state, 'running');
  const halted = step(plan, ready, [{ kind: 'halt', reason: 'drill' }], T0);
  assert.equal(halted.state.state, 'halted');
  assert.equal(halted.state.verdict?.outcome, 'aborted');
});

test('a server restart in pre-flight asks the plans again with a fresh deadline', () => {
  const plan = planOf();
  const ready = step(plan, newRunProgress(plan.compiled), [{ kind: 'fleet-ready', fleetId: 'fl1' }], T0).state;
  const r = step(plan, ready, [{ kind: 'resumed' }], T0 + 50_000);
  assert.deepEqual(kinds(r.actions), ['preflight']);
  assert.equal(r.state.preflight?.startedAtMs, T0 + 50_000);
});

// --- containment guardrails ---

test('a VM ceiling crossed for less than guardrails.for does nothing; crossed for the whole window it aborts with the reason and reverts', () => {
  const plan = planOf({ guardrails: { hostLoadPerCpu: null, hostMemFreePct: 5, hostDiskFreePct: 5, vmCpuPct: null, vmMemPct: 80, vmDiskPct: null, maxInjections: 200, maxActiveFaults: null, forMs: 3000, onBreach: 'abort' } });
  let s = startedRun(plan, T0);
  s.faults['f1@app-0']!.state = 'active';
  const hot = sample({ vms: { 'app-0': { cpuPct: 10, memPct: 93, diskPct: 20 } } });
  const blip = run(plan, s, [[T0 + 1000, [{ kind: 'host-sample', atMs: T0 + 1000, sample: hot }]], [T0 + 2000, [{ kind: 'host-sample', atMs: T0 + 2000, sample: sample() }]], [T0 + 4500, [{ kind: 'host-sample', atMs: T0 + 4500, sample: hot }]]]);
  assert.equal(blip.s.state, 'running', 'a break in the crossing starts its window again');
  s = blip.s;
  const r = step(plan, s, [{ kind: 'host-sample', atMs: T0 + 7500, sample: hot }], T0 + 7500);
  assert.equal(r.state.state, 'aborted');
  assert.equal(r.state.error, 'guardrail vm_mem: app-0 memory 93 % > 80 % for 3 s');
  assert.deepEqual(kinds(r.actions), ['publish:guardrail.breached', 'publish:run.aborted', 'finished', 'revert-fault']);
});

test('host headroom is watched by default: memory available below 5 % aborts a training run', () => {
  const plan = planOf();
  const s = startedRun(plan, T0);
  const r = run(plan, s, [[T0 + 1000, [{ kind: 'host-sample', atMs: T0 + 1000, sample: sample({ memAvailablePct: 3 }) }]], [T0 + 6000, [{ kind: 'host-sample', atMs: T0 + 6000, sample: sample({ memAvailablePct: 2.5 }) }]]]);
  assert.equal(r.s.state, 'aborted');
  assert.match(r.s.error ?? '', /guardrail host_mem_free: host memory available 2\.5 % < 5 %/);
});

test('on_breach pause takes the faults out, and they come back once the limit has cleared for the window', () => {
  const plan = planOf({ guardrails: { hostLoadPerCpu: 2, hostMemFreePct: 5, hostDiskFreePct: 5, vmCpuPct: null, vmMemPct: null, vmDiskPct: null, maxInjections: 200, maxActiveFaults: null, forMs: 1000, onBreach: 'pause' } });
  const s = startedRun(plan, T0);
  s.faults['f1@app-0']!.state = 'active';
  const hot = sample({ loadPerCpu: 3 });
  const paused = run(plan, s, [[T0 + 1000, [{ kind: 'host-sample', atMs: T0 + 1000, sample: hot }]], [T0 + 2000, [{ kind: 'host-sample', atMs: T0 + 2000, sample: hot }]]]);
  assert.equal(paused.s.state, 'running');
  assert.equal(paused.s.pausedBy, 'host_load_per_cpu');
  assert.ok(paused.all.some((a) => a.kind === 'revert-fault'));
  const reverted = step(plan, paused.s, [{ kind: 'fault-reverted', key: 'f1@app-0', why: 'paused' }], T0 + 2100).state;
  assert.equal(reverted.faults['f1@app-0']!.state, 'pending');
  assert.ok(!step(plan, reverted, [{ kind: 'tick' }], T0 + 2200).actions.some((a) => a.kind === 'apply-fault'), 'nothing is applied while paused');
  const cleared = run(plan, reverted, [[T0 + 3000, [{ kind: 'host-sample', atMs: T0 + 3000, sample: sample() }]], [T0 + 4000, [{ kind: 'host-sample', atMs: T0 + 4000, sample: sample() }]]]);
  assert.equal(cleared.s.pausedBy, null);
  assert.ok(step(plan, cleared.s, [{ kind: 'tick' }], T0 + 4100).actions.some((a) => a.kind === 'apply-fault'));
});

test('the fault budget: past max_injections the run aborts instead of injecting', () => {
  const plan = planOf({ guardrails: { hostLoadPerCpu: null, hostMemFreePct: 5, hostDiskFreePct: 5, vmCpuPct: null, vmMemPct: null, vmDiskPct: null, maxInjections: 1, maxActiveFaults: null, forMs: 0, onBreach: 'abort' } });
  let s = startedRun(plan, T0);
  s = step(plan, s, [{ kind: 'fault-applied', key: 'f1@app-0' }], T0 + 100).state;
  assert.equal(s.injections, 1);
  s.faults['f1@app-0']!.state = 'pending';
  const r = step(plan, s, [{ kind: 'tick' }], T0 + 200);
  assert.equal(r.state.state, 'aborted');
  assert.match(r.state.error ?? '', /guardrail max_injections: the run's fault budget of 1 injection\(s\) is spent/);
  assert.ok(!r.actions.some((a) => a.kind === 'apply-fault'));
});

// --- ramps ---

const rampPlan = (onBreach: 'hold' | 'rollback' | 'abort') => experiment({
  vms: [vm('app-0')],
  faults: [fault({ atMs: 10_000 })],
  ramps: [{ faultId: 'f1', everyMs: 60_000, onBreach, steps: ['20%', '50%', '80%'].map((load) => ({ params: { load }, vms: ['app-0'] })) }],
  abortWhen: [{ id: 'hot', description: '', condition: { check: { type: 'agent-metric', metric: 'cpu_pct', op: '>', value: 90, condition: '> 90' }, vms: ['app-0'], forMs: 120_000 }, on: 'passing' }],
  timeLimitMs: 3_600_000,
});

/** Ticks through a ramp, answering every apply and revert, with checks each second; `hotFrom` makes abort_when hold from then. */
function drive(plan: RunPlan, untilMs: number, hotFrom = Infinity): { s: RunProgress; all: Action[] } {
  let s = startedRun(plan, T0);
  const all: Action[] = [];
  for (let at = T0; at <= T0 + untilMs; at += 1000) {
    let batch: Observation[] = [{ kind: 'tick' }, steady(at, true, { 'abort:hot': at - T0 >= hotFrom })];
    while (batch.length) {
      const r = step(plan, s, batch, at);
      s = r.state;
      all.push(...r.actions);
      batch = r.actions.flatMap((a): Observation[] => a.kind === 'apply-fault' ? [{ kind: 'fault-applied', key: a.key }] : a.kind === 'revert-fault' ? [{ kind: 'fault-reverted', key: a.key, why: a.why }] : []);
    }
  }
  return { s, all };
}

const applied = (all: Action[]): string[] => all.flatMap((a) => (a.kind === 'apply-fault' ? [String(a.fault.params.load)] : []));

test('a 3-step ramp applies each step at its planned time (10 s, 70 s, 130 s) with its params', () => {
  const { s, all } = drive(rampPlan('hold'), 140_000);
  assert.deepEqual(applied(all), ['20%', '50%', '80%']);
  assert.deepEqual(all.flatMap((a) => (a.kind === 'publish' && a.event === 'ramp.step' ? [a.data.step] : [])), [2, 3]);
  assert.equal(s.ramps.f1?.step, 3);
});

test('a breach during step 2 holds it: the third step never runs', () => {
  const { s, all } = drive(rampPlan('hold'), 300_000, 80_000);
  assert.deepEqual(applied(all), ['20%', '50%']);
  assert.ok(events(all).includes('ramp.held'));
  assert.deepEqual([s.ramps.f1?.step, s.ramps.f1?.held], [2, true]);
});

test('on_breach rollback goes back one step and stays there; abort ends the run with the ramp named', () => {
  const back = drive(rampPlan('rollback'), 300_000, 80_000);
  assert.deepEqual(applied(back.all), ['20%', '50%', '20%']);
  assert.equal(back.s.ramps.f1?.step, 1);
  const ab = drive(rampPlan('abort'), 300_000, 80_000);
  assert.equal(ab.s.state, 'aborted');
  assert.match(ab.s.error ?? '', /ramp f1: a guardrail fired during step 2\/3/);
  assert.equal(ab.s.verdict?.outcome, 'aborted');
});

// --- verdicts ---

test('an experiment whose steady state keeps its tolerance to the time limit is held', () => {
  const plan = experiment({ timeLimitMs: 60_000 });
  let s = startedRun(plan, T0);
  s = step(plan, s, [{ kind: 'fault-applied', key: 'f1@app-0' }], T0 + 10).state;
  // 1 failing sample in 30: 96.7 % ≥ 95 %.
  for (let i = 1; i <= 59; i++) s = step(plan, s, [steady(T0 + i * 1000, i !== 40)], T0 + i * 1000).state;
  assert.equal(s.state, 'running');
  const end = step(plan, s, [{ kind: 'tick' }], T0 + 60_000);
  assert.equal(end.state.state, 'resolved');
  assert.equal(end.state.verdict?.outcome, 'held');
  assert.equal(end.state.verdict?.evidence[0]?.check, 'api');
  assert.equal(end.state.verdict?.evidence[0]?.passing, true);
});

test('a steady state below its tolerance over a whole window refutes the hypothesis, with which check, when and the share seen', () => {
  const plan = experiment();
  let s = startedRun(plan, T0);
  s = step(plan, s, [{ kind: 'fault-applied', key: 'f1@app-0' }], T0 + 10).state;
  let r;
  for (let i = 1; i <= 40 && s.state === 'running'; i++) {
    r = step(plan, s, [steady(T0 + i * 1000, i < 20 || i % 2 === 0)], T0 + i * 1000);
    s = r.state;
  }
  assert.equal(s.state, 'failed');
  assert.equal(s.verdict?.outcome, 'refuted');
  // Samples 1..30 s, the odd ones from 21 s failing: 25 of 30.
  assert.equal(s.verdict?.reason, 'steady_state api: 83.3 % of samples passed over the last 30 s (needs ≥ 95 %); last failure at 29 s: api-0: 200 in 420 ms');
  const ev = s.verdict!.evidence[0]!;
  assert.equal(ev.check, 'api');
  assert.equal(ev.passing, false);
  assert.equal(ev.passPct, 83.3);
  assert.equal(ev.atMs, 30_000, 'judged once a whole window had passed');
  assert.ok(events(r!.actions).includes('experiment.refuted'));
});

test('an abort_when condition held for its window aborts the experiment with that reason; one that breaks does not', () => {
  const plan = experiment({ abortWhen: [{ id: 'db-up', description: '', condition: { check: { type: 'process-running', service: 'postgresql' }, vms: ['app-0'], forMs: 5000 }, on: 'failing' }] });
  let s = startedRun(plan, T0);
  for (const [i, up] of [[1, false], [4, true], [5, false], [9, false]] as const) s = step(plan, s, [steady(T0 + i * 1000, true, { 'abort:db-up': up })], T0 + i * 1000).state;
  assert.equal(s.state, 'running');
  s = step(plan, s, [steady(T0 + 10_000, true, { 'abort:db-up': false })], T0 + 10_000).state;
  assert.equal(s.state, 'aborted');
  assert.equal(s.verdict?.outcome, 'aborted');
  assert.match(s.verdict?.reason ?? '', /^abort_when db-up: abort:db-up false for 5 s$/);
});

test('an experiment cut short before its faults struck is inconclusive; a training run gets no verdict', () => {
  const plan = experiment();
  const s = startedRun(plan, T0);
  const failed = step(plan, s, [{ kind: 'fault-apply-failed', key: 'f1@app-0', error: { code: 'FAULT_INVALID', message: 'no' } }], T0 + 100).state;
  assert.equal(failed.verdict?.outcome, 'inconclusive');
  const training = planOf();
  assert.equal(step(training, startedRun(training, T0), [{ kind: 'abort', reason: 'x' }], T0 + 1).state.verdict, null);
});

test('a containment limit gates a ramp once crossed in two samples running (one spike is not a trend), without ending the run before its for:', () => {
  const plan = planOf({
    faults: [fault({ atMs: 0 })],
    ramps: [{ faultId: 'f1', everyMs: 60_000, onBreach: 'hold', steps: [{ params: { load: '5%' }, vms: ['app-0'] }, { params: { load: '90%' }, vms: ['app-0'] }] }],
    guardrails: { hostLoadPerCpu: null, hostMemFreePct: 5, hostDiskFreePct: 5, vmCpuPct: 60, vmMemPct: null, vmDiskPct: null, maxInjections: 200, maxActiveFaults: null, forMs: 600_000, onBreach: 'abort' },
  });
  const hot = sample({ vms: { 'app-0': { cpuPct: 99.5, memPct: 30, diskPct: 20 } } });
  const s = startedRun(plan, T0);
  const spike = run(plan, s, [[T0 + 1000, [{ kind: 'host-sample', atMs: T0 + 1000, sample: hot }]], [T0 + 2000, [{ kind: 'host-sample', atMs: T0 + 2000, sample: sample() }]]]);
  assert.ok(!events(spike.all).includes('ramp.breach'));
  const trend = run(plan, spike.s, [[T0 + 3000, [{ kind: 'host-sample', atMs: T0 + 3000, sample: hot }]], [T0 + 4000, [{ kind: 'host-sample', atMs: T0 + 4000, sample: hot }]]]);
  const b = trend.all.find((a) => a.kind === 'publish' && a.event === 'ramp.breach');
  assert.ok(b && b.kind === 'publish');
  assert.deepEqual(b.data, { fault: 'f1', step: 1, why: 'app-0 CPU 99.5 % > 60 %' });
  assert.equal(trend.s.state, 'running');
});
