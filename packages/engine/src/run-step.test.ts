import { test } from 'node:test';
import { preflightPassing, startedRun, testPlan } from './run-test-support.ts';
import assert from 'node:assert/strict';
import type { CompiledScenarioSchema} from './compiled-scenario.ts';
import { type CompiledFault } from './compiled-scenario.ts';
import type { z } from 'zod';
import { EVAL_INTERVAL_MS, FAULT_APPLY_ATTEMPTS, FAULT_RETRY_MS, HEARTBEAT_MS, step } from './run-step.ts';
import { newRunProgress, RunProgressSchema, type Action, type Observation, type RunPlan, type RunProgress } from './run-state.ts';

const T0 = 1_700_000_000_000;
const fault = (over: Partial<CompiledFault> = {}): CompiledFault => ({ id: 'f1', type: 'disk', vm: 'app-0', params: {}, atMs: 0, durationMs: null, ...over });

const planOf = (over: Partial<z.input<typeof CompiledScenarioSchema>> = {}): RunPlan => testPlan({ faults: [fault()], hints: [{ text: 'h1' }, { text: 'h2' }], ...over });

/** A run of `plan` that started at T0 (fleet ready), with its faults in the given states. */
function running(plan: RunPlan, faults: Partial<Record<string, RunProgress['faults'][string]['state']>> = {}): RunProgress {
  const s = startedRun(plan, T0);
  for (const [k, st] of Object.entries(faults)) s.faults[k]!.state = st!;
  return s;
}

const kinds = (actions: Action[]): string[] => actions.map((a) => (a.kind === 'publish' ? `publish:${a.event}` : a.kind));
const checks = (atMs: number, passing: boolean): Observation => ({ kind: 'checks', atMs, results: { o1: { passing, detail: passing ? 'ok' : 'down' } } });

test('a tick before the fleet is ready does nothing', () => {
  const plan = planOf();
  const r = step(plan, newRunProgress(plan.compiled), [{ kind: 'tick' }], T0);
  assert.deepEqual(r.actions, []);
  assert.equal(r.state.state, 'provisioning');
  assert.equal(r.persist, false);
});

test('a ready fleet starts pre-flight; the clock starts once it passed and publishes run.started', () => {
  const plan = planOf();
  const r = step(plan, newRunProgress(plan.compiled), [{ kind: 'fleet-ready', fleetId: 'fl1' }], T0);
  assert.equal(r.state.state, 'preflight');
  assert.equal(r.state.startedAtMs, null);
  assert.equal(r.state.fleetId, 'fl1');
  assert.deepEqual(kinds(r.actions), ['publish:run.preflight', 'preflight']);
  assert.equal(r.persist, true);
  const started = step(plan, r.state, preflightPassing(plan, T0 + 2000), T0 + 2000);
  assert.equal(started.state.state, 'running');
  assert.equal(started.state.startedAtMs, T0 + 2000);
  assert.deepEqual(kinds(started.actions), ['publish:preflight.planned', 'publish:preflight.passed', 'publish:run.started']);
});

test('a fleet that is ready after the run was aborted is destroyed', () => {
  const plan = planOf();
  let s = step(plan, newRunProgress(plan.compiled), [{ kind: 'abort', reason: 'by admin' }], T0).state;
  s = step(plan, s, [{ kind: 'fleet-destroyed' }], T0).state;
  assert.equal(s.tornDown, true);
  const r = step(plan, s, [{ kind: 'fleet-ready', fleetId: 'late' }], T0 + 5000);
  assert.equal(r.state.state, 'aborted');
  assert.equal(r.state.tornDown, false);
  assert.deepEqual(kinds(r.actions), ['destroy-fleet']);
});

test('a fleet that fails to boot fails the run with the reason and tears down', () => {
  const plan = planOf();
  const r = step(plan, newRunProgress(plan.compiled), [{ kind: 'fleet-failed', error: 'fleet provisioning failed: no capacity' }], T0);
  assert.equal(r.state.state, 'failed');
  assert.equal(r.state.error, 'fleet provisioning failed: no capacity');
  assert.deepEqual(kinds(r.actions), ['publish:run.failed', 'finished', 'destroy-fleet']);
});

test('a fault due now is applied under its run-scoped agent id, with no end when it has no duration', () => {
  const plan = planOf();
  const r = step(plan, running(plan), [{ kind: 'tick' }], T0 + 10);
  const apply = r.actions.find((a) => a.kind === 'apply-fault');
  assert.deepEqual(apply, { kind: 'apply-fault', key: 'f1@app-0', agentId: 'r1.f1', fault: plan.compiled.faults[0], remainingMs: null });
});

test('a fault is not applied before its time', () => {
  const plan = planOf({ faults: [fault({ atMs: 30_000 })] });
  const r = step(plan, running(plan), [{ kind: 'tick' }], T0 + 10_000);
  assert.equal(r.actions.some((a) => a.kind === 'apply-fault'), false);
});

test('a fault with a duration is applied for what remains of its window', () => {
  const plan = planOf({ faults: [fault({ atMs: 10_000, durationMs: 60_000 })] });
  const r = step(plan, running(plan), [{ kind: 'tick' }], T0 + 12_000);
  const apply = r.actions.find((a) => a.kind === 'apply-fault');
  assert.equal(apply?.kind === 'apply-fault' && apply.remainingMs, 58_000);
});

test('an applied fault becomes active and is announced', () => {
  const plan = planOf();
  const r = step(plan, running(plan), [{ kind: 'fault-applied', key: 'f1@app-0' }], T0 + 100);
  assert.equal(r.state.faults['f1@app-0']!.state, 'active');
  assert.deepEqual(kinds(r.actions), ['publish:fault.applied']);
  assert.equal(r.persist, true);
});

test('a failed apply is retried after FAULT_RETRY_MS, not on the next tick', () => {
  const plan = planOf();
  const failed = step(plan, running(plan), [{ kind: 'fault-apply-failed', key: 'f1@app-0', error: { code: 'AGENT_UNREACHABLE', message: 'timeout' } }], T0 + 100);
  assert.deepEqual(kinds(failed.actions), ['publish:fault.retrying']);
  assert.equal(failed.state.faults['f1@app-0']!.attempts, 1);
  const soon = step(plan, failed.state, [{ kind: 'tick' }], T0 + 100 + FAULT_RETRY_MS - 1);
  assert.equal(soon.actions.some((a) => a.kind === 'apply-fault'), false);
  const later = step(plan, failed.state, [{ kind: 'tick' }], T0 + 100 + FAULT_RETRY_MS);
  assert.equal(later.actions.some((a) => a.kind === 'apply-fault'), true);
});

test(`a fault that fails ${FAULT_APPLY_ATTEMPTS} times fails the run, and its half-applied remains are discarded before the fleet goes`, () => {
  const plan = planOf();
  let s = running(plan);
  let r = step(plan, s, [], T0);
  for (let i = 0; i < FAULT_APPLY_ATTEMPTS; i++) {
    r = step(plan, s, [{ kind: 'fault-apply-failed', key: 'f1@app-0', error: { code: 'FAULT_APPLY_FAILED', message: 'tc failed' } }], T0 + i * 2000);
    s = r.state;
  }
  assert.equal(s.state, 'failed');
  assert.match(s.error ?? '', /fault f1 could not be injected on app-0 after 3 attempt\(s\): tc failed/);
  assert.deepEqual(kinds(r.actions), ['publish:fault.failed', 'publish:run.failed', 'finished', 'discard-fault']);
  const done = step(plan, s, [{ kind: 'fault-discarded', key: 'f1@app-0' }], T0 + 5000);
  assert.deepEqual(kinds(done.actions), ['destroy-fleet']);
});

test('a fault the agent refuses as invalid fails the run at once: retrying cannot help', () => {
  const plan = planOf();
  const r = step(plan, running(plan), [{ kind: 'fault-apply-failed', key: 'f1@app-0', error: { code: 'FAULT_INVALID', message: 'unit x is not installed' } }], T0);
  assert.equal(r.state.state, 'failed');
  assert.equal(r.state.faults['f1@app-0']!.state, 'failed');
});

test('an active fault whose duration is over is reverted, then shows reverted', () => {
  const plan = planOf({ faults: [fault({ durationMs: 60_000 }), fault({ id: 'f2' })] });
  const s = running(plan, { 'f1@app-0': 'active', 'f2@app-0': 'active' });
  const r = step(plan, s, [{ kind: 'tick' }], T0 + 60_000);
  const revert = r.actions.filter((a) => a.kind === 'revert-fault');
  assert.deepEqual(revert.map((a) => a.kind === 'revert-fault' && [a.key, a.why]), [['f1@app-0', 'duration over']]);
  const after = step(plan, r.state, [{ kind: 'fault-reverted', key: 'f1@app-0', why: 'duration over' }], T0 + 60_100);
  assert.equal(after.state.faults['f1@app-0']!.state, 'reverted');
  assert.equal(after.state.state, 'running');
});

test('a revert that fails while the run goes on is tried again after FAULT_RETRY_MS', () => {
  const plan = planOf({ faults: [fault({ durationMs: 1000 }), fault({ id: 'f2' })] });
  const s = running(plan, { 'f1@app-0': 'active', 'f2@app-0': 'active' });
  const failed = step(plan, s, [{ kind: 'fault-revert-failed', key: 'f1@app-0', error: { code: 'AGENT_UNREACHABLE', message: 'down' } }], T0 + 2000);
  assert.equal(failed.state.faults['f1@app-0']!.error, 'revert failed: down');
  assert.equal(step(plan, failed.state, [{ kind: 'tick' }], T0 + 2100).actions.some((a) => a.kind === 'revert-fault'), false);
  assert.equal(step(plan, failed.state, [{ kind: 'tick' }], T0 + 2000 + FAULT_RETRY_MS).actions.some((a) => a.kind === 'revert-fault'), true);
});

test('a pending fault whose whole window passed (server down) is skipped, not injected', () => {
  const plan = planOf({ faults: [fault({ atMs: 0, durationMs: 5000 }), fault({ id: 'f2' })] });
  const r = step(plan, running(plan), [{ kind: 'tick' }], T0 + 6000);
  assert.equal(r.state.faults['f1@app-0']!.state, 'reverted');
  assert.ok(kinds(r.actions).includes('publish:fault.skipped'));
  assert.deepEqual(r.actions.filter((a) => a.kind === 'apply-fault').map((a) => a.kind === 'apply-fault' && a.key), ['f2@app-0']);
});

test('an alert fires once, at its time', () => {
  const plan = planOf({ alerts: [{ name: 'DiskHigh', severity: 'critical', firedAtMs: 5000, message: 'disk' }] });
  const early = step(plan, running(plan, { 'f1@app-0': 'active' }), [{ kind: 'tick' }], T0 + 4999);
  assert.equal(kinds(early.actions).includes('publish:alert.fired'), false);
  const due = step(plan, early.state, [{ kind: 'tick' }], T0 + 5000);
  assert.deepEqual(due.state.alertsFired, ['DiskHigh']);
  assert.deepEqual(due.actions.find((a) => a.kind === 'publish' && a.event === 'alert.fired'), { kind: 'publish', event: 'alert.fired', data: { name: 'DiskHigh', severity: 'critical', message: 'disk', atMs: 5000 } });
  const again = step(plan, due.state, [{ kind: 'tick' }], T0 + 6000);
  assert.equal(kinds(again.actions).includes('publish:alert.fired'), false);
});

test('a scripted alert waits until the faults due by its time have struck', () => {
  const plan = planOf({ alerts: [{ name: 'DiskHigh', severity: 'critical', firedAtMs: 0, message: 'disk' }] });
  const first = step(plan, running(plan), [{ kind: 'tick' }], T0 + 100);
  assert.equal(kinds(first.actions).includes('publish:alert.fired'), false, 'the fault is still being applied');
  const applied = step(plan, first.state, [{ kind: 'fault-applied', key: 'f1@app-0' }], T0 + 400);
  assert.ok(kinds(applied.actions).indexOf('publish:fault.applied') < kinds(applied.actions).indexOf('publish:alert.fired'));
});

test('the time limit expires the run, and the fleet goes only after its faults are reverted', () => {
  const plan = planOf({ timeLimitMs: 60_000 });
  const s = running(plan, { 'f1@app-0': 'active' });
  const r = step(plan, s, [{ kind: 'tick' }], T0 + 60_000);
  assert.equal(r.state.state, 'expired');
  assert.equal(r.state.endedAtMs, T0 + 60_000);
  assert.deepEqual(kinds(r.actions), ['publish:run.expired', 'finished', 'revert-fault']);
  const reverted = step(plan, r.state, [{ kind: 'fault-reverted', key: 'f1@app-0', why: 'run expired' }], T0 + 61_000);
  assert.deepEqual(kinds(reverted.actions), ['publish:fault.reverted', 'destroy-fleet']);
  const gone = step(plan, reverted.state, [{ kind: 'fleet-destroyed' }], T0 + 62_000);
  assert.equal(gone.state.tornDown, true);
});

test('a teardown whose revert fails still destroys the fleet', () => {
  const plan = planOf();
  const s = step(plan, running(plan, { 'f1@app-0': 'active' }), [{ kind: 'abort', reason: 'x' }], T0 + 1000).state;
  const r = step(plan, s, [{ kind: 'fault-revert-failed', key: 'f1@app-0', error: { code: 'AGENT_UNREACHABLE', message: 'gone' } }], T0 + 2000);
  assert.deepEqual(kinds(r.actions), ['publish:fault.revert-failed', 'destroy-fleet']);
});

test('passing objectives before every fault has struck are not a fix', () => {
  const plan = planOf({ faults: [fault(), fault({ id: 'f2', atMs: 60_000 })] });
  let s = running(plan, { 'f1@app-0': 'active' });
  for (let i = 1; i <= 3; i++) s = step(plan, s, [checks(T0 + i * 300, false)], T0 + i * 300).state;
  s = step(plan, s, [checks(T0 + 2000, true)], T0 + 2000).state;
  assert.equal(s.state, 'running');
  assert.equal(s.incidentSeen, false);
});

test('an incident is seen only when an objective fails in two rounds running', () => {
  const plan = planOf();
  let s = running(plan, { 'f1@app-0': 'active' });
  for (const [i, pass] of [false, true, false, true].entries()) s = step(plan, s, [checks(T0 + i * 300, pass)], T0 + i * 300).state;
  assert.equal(s.incidentSeen, false);
  assert.equal(s.state, 'running');
  s = step(plan, s, [checks(T0 + 1500, false)], T0 + 1500).state;
  s = step(plan, s, [checks(T0 + 1800, false)], T0 + 1800).state;
  assert.equal(s.incidentSeen, true);
});

test('a run resolves when every objective passes after the incident, timed when the fix was seen', () => {
  const plan = planOf();
  let s = running(plan, { 'f1@app-0': 'active' });
  s = step(plan, s, [checks(T0 + 300, false), checks(T0 + 600, false)], T0 + 600).state;
  const r = step(plan, s, [checks(T0 + 90_000, true)], T0 + 90_200);
  assert.equal(r.state.state, 'resolved');
  assert.equal(r.state.resolvedAtMs, 90_000);
  const ev = r.actions.find((a) => a.kind === 'publish' && a.event === 'run.resolved');
  // 100 − 0.1 × (90 − 60) s = 97
  assert.deepEqual(ev?.kind === 'publish' && ev.data, { elapsedMs: 90_200, resolvedAtMs: 90_000, score: 97, timePenalty: 3, hintPenalty: 0, actionPenalty: 0 });
  assert.deepEqual(kinds(r.actions).slice(-3), ['publish:run.resolved', 'finished', 'revert-fault']);
});

test('a run does not resolve while any objective still fails', () => {
  const plan = planOf({
    objectives: [
      { id: 'o1', description: 'a', check: { type: 'process-running', service: 'nginx' }, vms: ['app-0'] },
      { id: 'o2', description: 'b', check: { type: 'http', path: '/healthz', expectedStatus: 200, port: 80 }, vms: ['app-0'] },
    ],
  });
  let s = running(plan, { 'f1@app-0': 'active' });
  const bad = { o1: { passing: false, detail: 'x' }, o2: { passing: false, detail: 'x' } };
  s = step(plan, s, [{ kind: 'checks', atMs: T0 + 300, results: bad }, { kind: 'checks', atMs: T0 + 600, results: bad }], T0 + 600).state;
  const half = step(plan, s, [{ kind: 'checks', atMs: T0 + 900, results: { o1: { passing: true, detail: 'ok' }, o2: { passing: false, detail: '503' } } }], T0 + 900);
  assert.equal(half.state.state, 'running');
});

test('a run whose faults all ran their course before the fix expires with that reason', () => {
  const plan = planOf();
  const s = running(plan, { 'f1@app-0': 'reverted' });
  const r = step(plan, s, [checks(T0 + 1000, true)], T0 + 1000);
  assert.equal(r.state.state, 'expired');
  assert.equal(r.state.error, 'every fault ran its course before the objectives were met');
});

test('a scenario without objectives never resolves by itself', () => {
  const plan = planOf({ objectives: [] });
  let s = running(plan, { 'f1@app-0': 'active' });
  for (let i = 0; i < 4; i++) s = step(plan, s, [{ kind: 'checks', atMs: T0 + i, results: {} }], T0 + i).state;
  assert.equal(s.state, 'running');
});

test('objective.passed and objective.failing are published only when the result changes', () => {
  const plan = planOf();
  let s = running(plan, { 'f1@app-0': 'active' });
  const r1 = step(plan, s, [checks(T0 + 300, false)], T0 + 300);
  assert.deepEqual(kinds(r1.actions), ['publish:objective.failing']);
  s = r1.state;
  const r2 = step(plan, s, [checks(T0 + 600, false)], T0 + 600);
  assert.equal(kinds(r2.actions).includes('publish:objective.failing'), false);
});

test('check results that arrive after the run ended change nothing', () => {
  const plan = planOf();
  const s = step(plan, running(plan, { 'f1@app-0': 'active' }), [{ kind: 'abort', reason: 'x' }], T0 + 100).state;
  const r = step(plan, s, [checks(T0 + 300, true)], T0 + 300);
  assert.deepEqual(r.actions, []);
  assert.deepEqual(r.state, s);
});

test('hints are given in order, charged once each, and refused past the last', () => {
  const plan = planOf();
  let s = running(plan);
  const h1 = step(plan, s, [{ kind: 'hint-requested' }], T0 + 1000);
  assert.deepEqual(h1.actions.at(-1), { kind: 'hint', index: 0, text: 'h1', penalty: 10 });
  assert.ok(kinds(h1.actions).includes('publish:hint.taken'));
  s = step(plan, h1.state, [{ kind: 'hint-requested' }], T0 + 2000).state;
  assert.equal(s.hintsUsed, 2);
  const h3 = step(plan, s, [{ kind: 'hint-requested' }], T0 + 3000);
  assert.deepEqual(h3.actions, [{ kind: 'refuse', code: 'HINTS_EXHAUSTED', message: 'all 2 hints were already given' }]);
  assert.equal(h3.state.hintsUsed, 2);
});

test('a hint on an ended run is refused with RUN_NOT_ACTIVE', () => {
  const plan = planOf();
  const s = step(plan, running(plan), [{ kind: 'abort', reason: 'x' }], T0).state;
  const r = step(plan, s, [{ kind: 'hint-requested' }], T0 + 1);
  assert.deepEqual(r.actions, [{ kind: 'refuse', code: 'RUN_NOT_ACTIVE', message: 'run r1 is aborted' }]);
});

test('an abort ends the run with its reason and reverts the active faults; a second abort is refused', () => {
  const plan = planOf();
  const r = step(plan, running(plan, { 'f1@app-0': 'active' }), [{ kind: 'abort', reason: 'aborted by admin' }], T0 + 5000);
  assert.equal(r.state.state, 'aborted');
  assert.equal(r.state.error, 'aborted by admin');
  assert.deepEqual(kinds(r.actions), ['publish:run.aborted', 'finished', 'revert-fault']);
  const again = step(plan, r.state, [{ kind: 'abort', reason: 'again' }], T0 + 6000);
  assert.equal(again.actions[0]?.kind, 'refuse');
});

test('after a restart the agents are asked first; a fault they lost is re-applied, one they hold is kept', () => {
  const plan = planOf({ vms: [], faults: [fault(), fault({ id: 'f2', vm: 'app-1' })] });
  let s = running(plan, { 'f1@app-0': 'active', 'f2@app-1': 'active' });
  s = step(plan, s, [{ kind: 'resumed' }], T0 + 10_000).state;
  const ask = step(plan, s, [{ kind: 'tick' }], T0 + 10_000);
  assert.deepEqual(ask.actions, [{ kind: 'list-agent-faults', vms: ['app-0', 'app-1'] }]);
  const r = step(plan, ask.state, [{ kind: 'agent-faults', reports: [
    { vm: 'app-0', faults: [{ id: 'r1.f1', state: 'active' }] },
    { vm: 'app-1', faults: [{ id: 'r1.f2', state: 'expired', reason: 'deadman' }] },
  ] }], T0 + 10_100);
  assert.equal(r.state.faults['f1@app-0']!.state, 'active');
  assert.equal(r.state.faults['f2@app-1']!.state, 'pending');
  assert.deepEqual(kinds(r.actions), ['publish:fault.lost', 'publish:run.resumed']);
  const next = step(plan, r.state, [{ kind: 'tick' }], T0 + 10_200);
  assert.deepEqual(next.actions.filter((a) => a.kind === 'apply-fault').map((a) => a.kind === 'apply-fault' && a.key), ['f2@app-1']);
});

test('after a restart an agent that does not answer is taken to hold nothing', () => {
  const plan = planOf();
  const s = step(plan, running(plan, { 'f1@app-0': 'active' }), [{ kind: 'resumed' }], T0).state;
  const r = step(plan, s, [{ kind: 'agent-faults', reports: [{ vm: 'app-0', faults: null, error: { code: 'AGENT_UNREACHABLE', message: 'x' } }] }], T0 + 100);
  assert.equal(r.state.faults['f1@app-0']!.state, 'pending');
});

test('after a restart a lost fault whose window is over is not re-applied', () => {
  const plan = planOf({ faults: [fault({ durationMs: 5000 })] });
  const s = step(plan, running(plan, { 'f1@app-0': 'active' }), [{ kind: 'resumed' }], T0).state;
  const r = step(plan, s, [{ kind: 'agent-faults', reports: [{ vm: 'app-0', faults: [] }] }], T0 + 6000);
  assert.equal(r.state.faults['f1@app-0']!.state, 'active');
  assert.ok(step(plan, r.state, [{ kind: 'tick' }], T0 + 6100).actions.some((a) => a.kind === 'revert-fault'));
});

test('a restart in the middle of a teardown finishes it', () => {
  const plan = planOf();
  const s = step(plan, running(plan, { 'f1@app-0': 'active' }), [{ kind: 'abort', reason: 'x' }], T0).state;
  const r = step(plan, s, [{ kind: 'resumed' }], T0 + 60_000);
  assert.deepEqual(kinds(r.actions), ['revert-fault']);
});

test('a lost fleet makes every active fault pending again, for the replacement fleet', () => {
  const plan = planOf();
  const r = step(plan, running(plan, { 'f1@app-0': 'active' }), [{ kind: 'fleet-lost' }], T0);
  assert.equal(r.state.fleetId, null);
  assert.equal(r.state.faults['f1@app-0']!.state, 'pending');
  assert.deepEqual(step(plan, r.state, [{ kind: 'tick' }], T0 + 1000).actions, [], 'nothing is injected while no fleet exists');
  const back = step(plan, r.state, [{ kind: 'fleet-ready', fleetId: 'fl2' }], T0 + 30_000);
  assert.equal(back.state.startedAtMs, T0, 'a replacement fleet does not restart the clock');
  assert.ok(step(plan, back.state, [{ kind: 'tick' }], T0 + 30_100).actions.some((a) => a.kind === 'apply-fault'));
});

test('a run that ends while an apply is in flight reverts that fault before the fleet goes', () => {
  const plan = planOf({ faults: [fault(), fault({ id: 'f2' })] });
  const s = running(plan);
  const r = step(plan, s, [
    { kind: 'fault-apply-failed', key: 'f1@app-0', error: { code: 'FAULT_INVALID', message: 'bad' } },
    { kind: 'fault-applied', key: 'f2@app-0' },
  ], T0 + 100);
  assert.equal(r.state.state, 'failed');
  assert.equal(kinds(r.actions).includes('destroy-fleet'), false);
  assert.deepEqual(r.actions.filter((a) => a.kind === 'revert-fault').map((a) => a.kind === 'revert-fault' && a.key), ['f2@app-0']);
  const done = step(plan, r.state, [{ kind: 'fault-discarded', key: 'f1@app-0' }, { kind: 'fault-reverted', key: 'f2@app-0', why: 'run failed' }], T0 + 200);
  assert.deepEqual(kinds(done.actions).filter((k) => k === 'destroy-fleet'), ['destroy-fleet']);
});

test('heartbeats go out every HEARTBEAT_MS and evaluations every EVAL_INTERVAL_MS, without a store write', () => {
  const plan = planOf({ faults: [fault({ atMs: 600_000 })] });
  const s = running(plan);
  const first = step(plan, s, [{ kind: 'tick' }], T0 + 10);
  assert.deepEqual(kinds(first.actions), ['heartbeat', 'sample-host', 'evaluate']);
  assert.equal(first.persist, false);
  const soon = step(plan, first.state, [{ kind: 'tick' }], T0 + 10 + EVAL_INTERVAL_MS - 1);
  assert.deepEqual(soon.actions, []);
  const ev = step(plan, first.state, [{ kind: 'tick' }], T0 + 10 + EVAL_INTERVAL_MS);
  assert.deepEqual(kinds(ev.actions), ['evaluate']);
  const hb = step(plan, first.state, [{ kind: 'tick' }], T0 + 10 + HEARTBEAT_MS);
  assert.deepEqual(kinds(hb.actions), ['heartbeat', 'sample-host', 'evaluate']);
});

test('step never changes the progress it was given', () => {
  const plan = planOf();
  const s = running(plan, { 'f1@app-0': 'active' });
  const before = structuredClone(s);
  step(plan, s, [checks(T0, false), { kind: 'hint-requested' }, { kind: 'abort', reason: 'x' }], T0 + 1);
  assert.deepEqual(s, before);
});

test('a progress stored by an older server (no cadence or teardown fields) reads back with defaults', () => {
  const old = { state: 'running', fleetId: 'x', startedAtMs: 1, endedAtMs: null, resolvedAtMs: null, alertsFired: [], faults: { 'f1@a': { state: 'active', error: null } }, objectives: {}, hintsUsed: 0, error: null, tornDown: false };
  const p = RunProgressSchema.parse(old);
  assert.equal(p.faults['f1@a']!.attempts, 0);
  assert.equal(p.incidentSeen, false);
  assert.deepEqual(p.reverting, []);
  assert.equal(RunProgressSchema.safeParse({ ...old, state: 'exploded' }).success, false);
});

test('halt-all ends a live run halted with its reason and reverts its faults; an ended run is left alone', () => {
  const plan = planOf();
  const r = step(plan, running(plan, { 'f1@app-0': 'active' }), [{ kind: 'halt', reason: 'db incident in prod' }], T0 + 5000);
  assert.equal(r.state.state, 'halted');
  assert.equal(r.state.error, 'halted: db incident in prod');
  assert.deepEqual(kinds(r.actions), ['publish:run.halted', 'finished', 'revert-fault']);
  const provisioning = step(plan, newRunProgress(plan.compiled), [{ kind: 'halt', reason: 'x' }], T0);
  assert.equal(provisioning.state.state, 'halted');
  const again = step(plan, r.state, [{ kind: 'halt', reason: 'again' }], T0 + 6000);
  assert.deepEqual(again.actions, []);
  assert.equal(again.persist, false);
});
