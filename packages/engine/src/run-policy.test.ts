import { test } from 'node:test';
import { startedRun, testPlan } from './run-test-support.ts';
import assert from 'node:assert/strict';
import type { CompiledFault } from './compiled-scenario.ts';
import { step } from './run-step.ts';
import { type Action, type RunPlan } from './run-state.ts';

const T0 = 1_700_000_000_000;
const fault = (over: Partial<CompiledFault>): CompiledFault => ({ id: 'f1', type: 'disk', vm: 'app-0', params: {}, atMs: 0, durationMs: null, ...over });

const plan = (): RunPlan => testPlan({ faults: [fault({ id: 'f1' }), fault({ id: 'f2', type: 'cpu', atMs: 5000 })], scoring: { base: 100, timePenaltyPerSecond: 0, hintPenalty: 0, perfectWindowMs: 0 } });

const published = (actions: Action[]): Record<string, unknown>[] =>
  actions.flatMap((a) => (a.kind === 'publish' ? [{ event: a.event, ...a.data }] : []));

test('a fault the policy denies just before it is applied is not applied: the run records why and ends aborted, reverting the others', () => {
  const p = plan();
  let s = startedRun(p, T0);
  s = step(p, s, [{ kind: 'fault-applied', key: 'f1@app-0' }], T0 + 100).state;
  s.faults['f1@app-0']!.state = 'active';
  const due = step(p, s, [{ kind: 'tick' }], T0 + 5000);
  const apply = due.actions.find((a) => a.kind === 'apply-fault');
  assert.ok(apply && apply.kind === 'apply-fault' && apply.key === 'f2@app-0');
  const r = step(p, due.state, [{ kind: 'fault-denied', key: 'f2@app-0', reason: 'rule no-cpu denies it', rule: 'no-cpu' }], T0 + 5001);
  assert.equal(r.state.faults['f2@app-0']!.state, 'failed');
  assert.equal(r.state.faults['f2@app-0']!.error, 'denied by policy: rule no-cpu denies it');
  assert.equal(r.state.state, 'aborted');
  assert.match(r.state.error ?? '', /the policy denied fault f2 on app-0 before it was applied: rule no-cpu denies it/);
  const events = published(r.actions);
  assert.deepEqual(events[0], { event: 'fault.denied', id: 'f2', type: 'cpu', vm: 'app-0', rule: 'no-cpu', reason: 'rule no-cpu denies it' });
  assert.ok(events.some((e) => e.event === 'run.aborted'));
  assert.ok(r.actions.some((a) => a.kind === 'revert-fault' && a.key === 'f1@app-0'), 'the fault already in place is reverted');
  assert.ok(!r.actions.some((a) => a.kind === 'apply-fault'), 'nothing more is applied');
});
