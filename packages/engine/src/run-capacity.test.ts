import { test } from 'node:test';
import { preflightPassing, startedRun, testPlan } from './run-test-support.ts';
import assert from 'node:assert/strict';
import { step } from './run-step.ts';
import { newRunProgress, type Action, type RunPlan } from './run-state.ts';

const T0 = 1_700_000_000_000;
const CAPACITY = { budget: { vms: 2, vcpus: 4, memMb: 2048 }, used: { vms: 2, vcpus: 2, memMb: 1024 }, free: { vms: 0, vcpus: 2, memMb: 1024 }, queued: 1, requested: { vms: 1, vcpus: 1, memMb: 256 } };

const planOf = (): RunPlan => testPlan();

const events = (actions: Action[]): string[] => actions.flatMap((a) => (a.kind === 'publish' ? [a.event] : []));

test('a run the host budget cannot take yet waits queued, and its clock starts only when its fleet is ready', () => {
  const plan = planOf();
  const queued = step(plan, newRunProgress(plan.compiled), [{ kind: 'fleet-queued', capacity: CAPACITY }], T0);
  assert.equal(queued.state.state, 'queued');
  assert.deepEqual(events(queued.actions), ['run.queued']);
  assert.ok(queued.persist);
  const ticked = step(plan, queued.state, [{ kind: 'tick' }], T0 + 3_600_000);
  assert.equal(ticked.state.state, 'queued', 'a queued run never expires: its time limit has not begun');
  assert.deepEqual(ticked.actions, []);
  const admitted = step(plan, ticked.state, [{ kind: 'fleet-admitted' }], T0 + 3_600_000);
  assert.equal(admitted.state.state, 'provisioning');
  const ready = step(plan, admitted.state, [{ kind: 'fleet-ready', fleetId: 'fl1' }, ...preflightPassing(plan, T0 + 3_700_000)], T0 + 3_700_000);
  assert.equal(ready.state.state, 'running');
  assert.equal(ready.state.startedAtMs, T0 + 3_700_000);
});

test('a queued run can be aborted; telling it it is queued again changes nothing', () => {
  const plan = planOf();
  const queued = step(plan, newRunProgress(plan.compiled), [{ kind: 'fleet-queued', capacity: CAPACITY }], T0).state;
  assert.deepEqual(step(plan, queued, [{ kind: 'fleet-queued', capacity: CAPACITY }], T0).actions, []);
  const aborted = step(plan, queued, [{ kind: 'abort', reason: 'no time' }], T0 + 1000);
  assert.equal(aborted.state.state, 'aborted');
});

test('after a restart, VMs Pudu had to boot afresh are named, and their new agent is not an agent restart', () => {
  const plan = planOf();
  const s = startedRun(plan, T0);
  s.agents['app-0'] = { instanceId: 'old', bootId: 'b', refused: 0 };
  const r = step(plan, s, [{ kind: 'resumed' }, { kind: 'fleet-adopted', fleetId: 'fl1', replaced: ['app-0'] }], T0 + 5000);
  assert.deepEqual(events(r.actions), ['fleet.adopted']);
  assert.deepEqual(r.actions.find((a) => a.kind === 'publish')!, { kind: 'publish', event: 'fleet.adopted', data: { fleetId: 'fl1', replaced: ['app-0'] } });
  assert.equal(r.state.agents['app-0'], undefined);
});
