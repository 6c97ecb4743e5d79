import { test } from 'node:test';
import { startedRun, testPlan } from './run-test-support.ts';
import assert from 'node:assert/strict';
import type { CompiledScenarioSchema} from './compiled-scenario.ts';
import { type CompiledFault } from './compiled-scenario.ts';
import type { z } from 'zod';
import { step } from './run-step.ts';
import { type Action, type AgentReport, type Observation, type RunPlan, type RunProgress } from './run-state.ts';

const T0 = 1_700_000_000_000;
const fault = (over: Partial<CompiledFault> = {}): CompiledFault => ({ id: 'f1', type: 'disk', vm: 'app-0', params: {}, atMs: 0, durationMs: null, ...over });
const id = (instanceId: string, over: Partial<NonNullable<AgentReport['identity']>> = {}): AgentReport['identity'] => ({ instanceId, bootId: 'b1', journal: 'intact', recovered: 0, ...over });

const planOf = (over: Partial<z.input<typeof CompiledScenarioSchema>> = {}): RunPlan => testPlan({ faults: [fault()], ...over });

/** A running run whose fault f1 was applied through agent instance i1 and whose incident was seen. */
function applied(plan: RunPlan): RunProgress {
  let s = startedRun(plan, T0);
  s = step(plan, s, [{ kind: 'fault-applied', key: 'f1@app-0', identity: id('i1') }], T0 + 100).state;
  s = step(plan, s, [round('active', id('i1'), false)[0]!, round('active', id('i1'), false)[1]!], T0 + 1000).state;
  s = step(plan, s, round('active', id('i1'), false), T0 + 2000).state;
  assert.equal(s.incidentSeen, true);
  return s;
}

/** One evaluation round as the shell sends it: the agents' answer, then the checks. */
function round(state: 'active' | 'reverted' | 'fixed-by-trainee' | null, identity: AgentReport['identity'], passing: boolean, reason?: string): Observation[] {
  const faults = state === null ? [] : [{ id: 'r1.f1', state, ...(reason ? { reason: reason as never } : {}) }];
  return [
    { kind: 'agent-faults', reports: [{ vm: 'app-0', faults, identity }] },
    { kind: 'checks', atMs: Date.now(), results: { o1: { passing, detail: passing ? 'ok' : 'down' } } },
  ];
}

const events = (actions: Action[]): string[] => actions.flatMap((a) => (a.kind === 'publish' ? [a.event] : []));

test('a fault the restarted agent reverted on start is lost, not fixed: no resolution, back to pending, integrity events', () => {
  const plan = planOf();
  const r = step(plan, applied(plan), round('reverted', id('i2', { recovered: 1 }), true, 'recovered'), T0 + 3000);
  assert.equal(r.state.state, 'running');
  assert.equal(r.state.faults['f1@app-0']!.state, 'pending');
  assert.deepEqual(events(r.actions).filter((e) => e.startsWith('integrity.')), ['integrity.agent_restarted', 'integrity.fault_lost']);
  assert.equal(r.state.incidentSeen, false);
  // The next tick injects it again; once applied the re-injection is recorded.
  const t = step(plan, r.state, [{ kind: 'tick' }], T0 + 3100);
  assert.ok(t.actions.some((a) => a.kind === 'apply-fault'));
  const back = step(plan, t.state, [{ kind: 'fault-applied', key: 'f1@app-0', identity: id('i2') }], T0 + 3200);
  assert.deepEqual(events(back.actions), ['fault.applied', 'integrity.fault_reinjected']);
  assert.equal(back.state.faults['f1@app-0']!.state, 'active');
  assert.deepEqual(back.state.integrity.map((i) => i.kind), ['agent_restarted', 'fault_lost', 'fault_reinjected']);
});

test('the real fix afterwards still resolves: the incident is seen again, then the agent reports the trainee fixed it', () => {
  const plan = planOf();
  let s = step(plan, applied(plan), round(null, id('i2', { journal: 'lost' }), true), T0 + 3000).state;
  s = step(plan, s, [{ kind: 'fault-applied', key: 'f1@app-0', identity: id('i2') }], T0 + 3200).state;
  // Passing right after the re-injection is not a fix: the incident has not been seen again.
  s = step(plan, s, round('active', id('i2'), true), T0 + 4000).state;
  assert.equal(s.state, 'running');
  s = step(plan, s, round('active', id('i2'), false), T0 + 5000).state;
  s = step(plan, s, round('active', id('i2'), false), T0 + 6000).state;
  const r = step(plan, s, round('fixed-by-trainee', id('i2'), true, 'trainee'), T0 + 7000);
  assert.equal(r.state.state, 'resolved');
});

test('TTL, dead-man and shutdown endings are Pudu\'s own, never the trainee\'s fix', () => {
  for (const reason of ['ttl', 'deadman', 'shutdown']) {
    const plan = planOf();
    const r = step(plan, applied(plan), round('reverted', id('i1'), true, reason), T0 + 3000);
    assert.equal(r.state.state, 'running', reason);
    assert.equal(r.state.faults['f1@app-0']!.state, 'pending', reason);
  }
});

test('an unauthenticated or missing answer holds the round and is reported once per change', () => {
  const plan = planOf();
  const bad: Observation[] = [
    { kind: 'agent-faults', reports: [{ vm: 'app-0', faults: null, error: { code: 'AGENT_REPLY_UNAUTHENTICATED', message: 'no signature' } }] },
    { kind: 'checks', atMs: T0, results: { o1: { passing: true, detail: 'ok' } } },
  ];
  let r = step(plan, applied(plan), bad, T0 + 3000);
  assert.equal(r.state.state, 'running');
  assert.deepEqual(events(r.actions).filter((e) => e.startsWith('integrity.')), ['integrity.reply_unauthenticated']);
  r = step(plan, r.state, bad, T0 + 4000);
  assert.deepEqual(events(r.actions).filter((e) => e.startsWith('integrity.')), [], 'not again while it lasts');
  assert.equal(r.state.faults['f1@app-0']!.state, 'active', 'a fault is not re-injected through an impostor');
});

test('a claim the host contradicts holds the round', () => {
  const plan = planOf();
  const [agents, checks] = round('active', id('i1'), true);
  const r = step(plan, applied(plan), [agents!, { ...(checks as Extract<Observation, { kind: 'checks' }>), contradictions: [{ vm: 'app-0', objective: 'o1', detail: 'agent says 3, the host sees 100' }] }], T0 + 3000);
  assert.equal(r.state.state, 'running');
  assert.deepEqual(events(r.actions).filter((e) => e.startsWith('integrity.')), ['integrity.claim_contradicted']);
});

test('a fault the agent saw the trainee fix stays fixed across an agent restart', () => {
  const plan = planOf();
  const r = step(plan, applied(plan), round('fixed-by-trainee', id('i2'), true, 'trainee'), T0 + 3000);
  assert.equal(r.state.faults['f1@app-0']!.state, 'active');
  assert.deepEqual(events(r.actions).filter((e) => e.startsWith('integrity.')), ['integrity.agent_restarted']);
  assert.equal(r.state.state, 'running', 'the round with the restart itself does not resolve');
  const again = step(plan, r.state, round('fixed-by-trainee', id('i2'), true, 'trainee'), T0 + 4000);
  assert.equal(again.state.state, 'resolved', 'the next round with the same instance counts');
});
