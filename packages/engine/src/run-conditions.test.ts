import { test } from 'node:test';
import { startedRun, testPlan } from './run-test-support.ts';
import assert from 'node:assert/strict';
import type { z } from 'zod';
import type { CompiledScenarioSchema } from './compiled-scenario.ts';
import { step } from './run-step.ts';
import { type Action, type CheckOutcome, type RunPlan, type RunProgress } from './run-state.ts';
import { alertKey, penaltyKey, scoreOfProgress } from './run-conditions.ts';

const T0 = 1_700_000_000_000;
const http = { type: 'http' as const, path: '/healthz', expectedStatus: 200, port: 80 };

const planOf = (over: Partial<z.input<typeof CompiledScenarioSchema>> = {}): RunPlan => testPlan({
  difficulty: 'expert',
  objectives: [{ id: 'o1', description: 'users get answers', check: http, vms: ['app-0'], forMs: 20_000 }],
  scoring: { base: 100, timePenaltyPerSecond: 0, hintPenalty: 10, perfectWindowMs: 0 },
  ...over,
});

function running(plan: RunPlan, faultState: 'pending' | 'active' = 'active'): RunProgress {
  const s = startedRun(plan, T0);
  for (const p of Object.values(s.faults)) p.state = faultState;
  return s;
}

const events = (actions: Action[]): string[] => actions.flatMap((a) => (a.kind === 'publish' ? [a.event] : []));

/** Feeds one check round per entry, `everyMs` apart from `fromMs` (run clock), and returns the last state with every action. */
function rounds(plan: RunPlan, s: RunProgress, fromMs: number, everyMs: number, results: Record<string, CheckOutcome>[]): { state: RunProgress; actions: Action[] } {
  const actions: Action[] = [];
  results.forEach((r, i) => {
    const at = T0 + fromMs + i * everyMs;
    const out = step(plan, s, [{ kind: 'checks', atMs: at, results: r }], at);
    s = out.state;
    actions.push(...out.actions);
  });
  return { state: s, actions };
}

const ok = (extra: Record<string, CheckOutcome> = {}): Record<string, CheckOutcome> => ({ o1: { passing: true, detail: 'app-0: GET /healthz → 200' }, ...extra });
const down = (extra: Record<string, CheckOutcome> = {}): Record<string, CheckOutcome> => ({ o1: { passing: false, detail: 'app-0: GET /healthz → 503', staffDetail: 'app crash-loops' }, ...extra });

test('an objective with for: 20s resolves the run only after passing 20 s without a break', () => {
  const plan = planOf();
  let { state } = rounds(plan, running(plan), 1000, 1000, [down(), down()]);
  assert.equal(state.incidentSeen, true);
  // Passes 15 s, breaks once (a flap), then passes again: the window starts over.
  ({ state } = rounds(plan, state, 3000, 1000, Array.from({ length: 16 }, () => ok())));
  ({ state } = rounds(plan, state, 19_000, 1000, [down()]));
  ({ state } = rounds(plan, state, 20_000, 1000, Array.from({ length: 20 }, () => ok())));
  assert.equal(state.state, 'running', 'held 19 s since the flap');
  ({ state } = rounds(plan, state, 40_000, 1000, [ok()]));
  assert.equal(state.state, 'resolved');
  assert.equal(state.resolvedAtMs, 40_000);
});

test('objectives are not recorded (nor shown passing) before every fault has struck', () => {
  const plan = planOf();
  const r = rounds(plan, running(plan, 'pending'), 1000, 1000, [ok(), ok()]);
  assert.deepEqual(r.state.objectives, {});
  assert.deepEqual(events(r.actions), []);
});

test('the run says when it has seen the incident, once', () => {
  const plan = planOf({ objectives: [{ id: 'o1', description: 'x', check: http, vms: ['app-0'] }] });
  const r = rounds(plan, running(plan), 1000, 300, [down(), down(), down()]);
  assert.deepEqual(events(r.actions).filter((e) => e === 'incident.seen'), ['incident.seen']);
  assert.equal(r.state.objectives.o1!.staffDetail, 'app crash-loops');
});

test('a state-driven alert fires only after its check failed for its window, and resolves when it passes', () => {
  const plan = planOf({ alerts: [{ name: 'ApiDown', severity: 'critical', firedAtMs: null, message: 'api 5xx', when: { check: http, vms: ['app-0'], forMs: 3000 } }] });
  const bad = { [alertKey('ApiDown')]: { passing: false, detail: '503' } };
  const good = { [alertKey('ApiDown')]: { passing: true, detail: '200' } };
  // A tick never fires it by time.
  const ticked = step(plan, running(plan), [{ kind: 'tick' }], T0 + 100_000);
  assert.equal(events(ticked.actions).includes('alert.fired'), false);
  let r = rounds(plan, running(plan), 1000, 1000, [down(bad), down(bad), down(bad)]);
  assert.equal(events(r.actions).includes('alert.fired'), false, 'failing for 2 s of 3');
  r = rounds(plan, r.state, 4000, 1000, [down(bad)]);
  assert.deepEqual(events(r.actions).filter((e) => e.startsWith('alert.')), ['alert.fired']);
  assert.deepEqual(r.state.alertsFired, ['ApiDown']);
  r = rounds(plan, r.state, 5000, 1000, [down(bad), ok(good)]);
  assert.deepEqual(events(r.actions).filter((e) => e.startsWith('alert.')), ['alert.resolved']);
  assert.equal(r.state.alerts.ApiDown!.firing, false);
});

test('a penalty is charged once when its check fails after the incident began, and comes off the score', () => {
  const plan = planOf({ penalties: [{ id: 'killed-neighbour', description: 'killed the busy process', when: { check: http, vms: ['app-0'], forMs: 2000 }, points: 30, fail: false }] });
  const gone = { [penaltyKey('killed-neighbour')]: { passing: false, detail: 'cpu 3 %' } };
  const busy = { [penaltyKey('killed-neighbour')]: { passing: true, detail: 'cpu 70 %' } };
  // Failing before the faults struck: the platform's doing, never charged.
  let r = rounds(plan, running(plan, 'pending'), 1000, 1000, [down(gone), down(gone), down(gone), down(gone)]);
  assert.deepEqual(r.state.penalties, []);
  r = rounds(plan, running(plan), 1000, 1000, [down(busy), down(gone), down(gone), down(gone), down(gone)]);
  assert.deepEqual(r.state.penalties, ['killed-neighbour']);
  assert.deepEqual(events(r.actions).filter((e) => e === 'penalty.charged'), ['penalty.charged']);
  assert.equal(scoreOfProgress(plan.compiled, r.state, T0 + 10_000).score, 70);
});

test('a check that could not answer never charges a penalty, nor breaks its window', () => {
  const plan = planOf({ penalties: [{ id: 'restarted-db', description: 'restarted the database', when: { check: http, vms: ['app-0'], forMs: 2000 }, points: 20, fail: false }] });
  const key = penaltyKey('restarted-db');
  const noAnswer = { [key]: { passing: false, detail: 'db-0: no answer in time', inconclusive: true } };
  let r = rounds(plan, running(plan), 1000, 1000, Array.from({ length: 5 }, () => down(noAnswer)));
  assert.deepEqual(r.state.penalties, []);
  const restarted = { [key]: { passing: false, detail: 'db-0: postgresql up 0.2 s' } };
  r = rounds(plan, r.state, 6000, 1000, [down(restarted), down(noAnswer), down(restarted), down(restarted)]);
  assert.deepEqual(r.state.penalties, ['restarted-db']);
});

test('a penalty may be charged when its check passes (the harmless process is gone)', () => {
  const plan = planOf({ penalties: [{ id: 'killed-busy', description: 'killed the busy process', when: { check: { type: 'fault-cleared', fault: 'noise' }, vms: ['app-0'] }, chargeOn: 'passing', points: 30, fail: false }] });
  const key = penaltyKey('killed-busy');
  let r = rounds(plan, running(plan), 1000, 1000, [down({ [key]: { passing: false, detail: 'still affected' } })]);
  assert.deepEqual(r.state.penalties, []);
  r = rounds(plan, r.state, 2000, 1000, [down({ [key]: { passing: true, detail: 'recovered' } })]);
  assert.deepEqual(r.state.penalties, ['killed-busy']);
});

test('a penalty that fails the run ends it at once', () => {
  const plan = planOf({ penalties: [{ id: 'dropped-db', description: 'dropped the database', when: { check: http, vms: ['app-0'] }, points: 0, fail: true }] });
  const r = rounds(plan, running(plan), 1000, 1000, [down({ [penaltyKey('dropped-db')]: { passing: false, detail: 'gone' } })]);
  assert.equal(r.state.state, 'failed');
  assert.match(r.state.error ?? '', /penalty: dropped the database/);
});

const rootCause = { question: 'What made api fail?', choices: ['CPU', 'a stale hosts entry'], answer: 1, points: 20 };

function resolvedWithReview(plan: RunPlan): RunProgress {
  let { state } = rounds(plan, running(plan), 1000, 1000, [down(), down()]);
  ({ state } = rounds(plan, state, 3000, 1000, Array.from({ length: 21 }, () => ok())));
  assert.equal(state.state, 'resolved');
  return state;
}

test('after the fix the faults go but the fleet stays for the review, which ends by time', () => {
  const plan = planOf({ reviewMs: 120_000 });
  const out = step(plan, running(plan), [], T0);
  assert.equal(out.state.reviewUntilMs, null);
  let { state } = rounds(plan, running(plan), 1000, 1000, [down(), down()]);
  const fixed = rounds(plan, state, 3000, 1000, Array.from({ length: 21 }, () => ok()));
  state = fixed.state;
  assert.ok(fixed.actions.some((a) => a.kind === 'revert-fault'));
  assert.equal(state.reviewUntilMs, T0 + 23_000 + 120_000);
  const reverted = step(plan, state, [{ kind: 'fault-reverted', key: 'f1@app-0', why: 'run resolved' }], T0 + 24_000);
  assert.equal(reverted.actions.some((a) => a.kind === 'destroy-fleet'), false, 'the fleet stays for review');
  const during = step(plan, reverted.state, [{ kind: 'tick' }], T0 + 60_000);
  assert.deepEqual(during.actions.map((a) => a.kind), ['evaluate']);
  const over = step(plan, during.state, [{ kind: 'tick' }], T0 + 143_000);
  assert.deepEqual(over.actions.map((a) => (a.kind === 'publish' ? a.event : a.kind)), ['review.ended', 'destroy-fleet']);
  assert.equal(over.state.reviewUntilMs, null);
});

test('the trainee can end the review early; ending it twice is harmless', () => {
  const plan = planOf({ reviewMs: 300_000 });
  let s = step(plan, resolvedWithReview(plan), [{ kind: 'fault-reverted', key: 'f1@app-0', why: 'x' }], T0 + 25_000).state;
  const ended = step(plan, s, [{ kind: 'end-review' }], T0 + 30_000);
  assert.ok(ended.actions.some((a) => a.kind === 'destroy-fleet'));
  s = ended.state;
  assert.deepEqual(step(plan, s, [{ kind: 'end-review' }], T0 + 31_000).actions, []);
});

test('the root-cause answer is taken once, during the review, and changes the score', () => {
  const plan = planOf({ reviewMs: 300_000, rootCause });
  const early = step(plan, running(plan), [{ kind: 'root-cause-answer', answer: 1 }], T0 + 1000);
  assert.equal(early.actions[0]?.kind === 'refuse' && early.actions[0].code, 'RUN_NOT_ACTIVE');
  const s = resolvedWithReview(plan);
  assert.equal(scoreOfProgress(plan.compiled, s, T0 + 30_000).rootCause, 'pending');
  assert.equal(scoreOfProgress(plan.compiled, s, T0 + 30_000).score, 100);
  const right = step(plan, s, [{ kind: 'root-cause-answer', answer: 1 }], T0 + 30_000);
  assert.deepEqual(right.actions.at(-1), { kind: 'answered', correct: true, points: 0 });
  assert.equal(scoreOfProgress(plan.compiled, right.state, T0 + 30_000).score, 100);
  const wrong = step(plan, s, [{ kind: 'root-cause-answer', answer: 'CPU' }], T0 + 30_000);
  assert.deepEqual(wrong.actions.at(-1), { kind: 'answered', correct: false, points: 20 });
  assert.equal(scoreOfProgress(plan.compiled, wrong.state, T0 + 30_000).score, 80);
  const again = step(plan, wrong.state, [{ kind: 'root-cause-answer', answer: 1 }], T0 + 31_000);
  assert.equal(again.actions[0]?.kind === 'refuse' && again.actions[0].code, 'CONFLICT');
  // Never answered before the review ended: charged as wrong.
  const ended = step(plan, s, [{ kind: 'end-review' }], T0 + 40_000).state;
  assert.equal(scoreOfProgress(plan.compiled, ended, T0 + 40_000).score, 80);
});

test('free-text answers are checked against the accepted patterns, case-insensitively', () => {
  const plan = planOf({ reviewMs: 300_000, rootCause: { question: 'Why?', choices: null, answer: ['stale .*(hosts|db-0)', 'hosts file'], points: 20 } });
  const s = resolvedWithReview(plan);
  assert.equal(step(plan, s, [{ kind: 'root-cause-answer', answer: 'A STALE entry for db-0' }], T0 + 30_000).state.rootCause?.correct, true);
  assert.equal(step(plan, s, [{ kind: 'root-cause-answer', answer: 'cpu' }], T0 + 30_000).state.rootCause?.correct, false);
});

test('during the review, a firing alert still resolves from its check', () => {
  const plan = planOf({ reviewMs: 300_000, alerts: [{ name: 'Busy', severity: 'warning', firedAtMs: null, message: 'cpu', when: { check: http, vms: ['app-0'], forMs: 0 } }] });
  const bad = { [alertKey('Busy')]: { passing: false, detail: 'cpu 99' } };
  let { state } = rounds(plan, running(plan), 1000, 1000, [down(bad), down(bad)]);
  ({ state } = rounds(plan, state, 3000, 1000, Array.from({ length: 21 }, () => ok(bad))));
  assert.equal(state.state, 'resolved');
  assert.equal(state.alerts.Busy!.firing, true);
  const r = rounds(plan, state, 30_000, 1000, [ok({ [alertKey('Busy')]: { passing: true, detail: 'cpu 3' } })]);
  assert.equal(r.state.alerts.Busy!.firing, false);
  assert.deepEqual(events(r.actions), ['alert.resolved']);
});

test('halt-all during the review ends it: the fleet goes', () => {
  const plan = planOf({ reviewMs: 300_000 });
  const s = step(plan, resolvedWithReview(plan), [{ kind: 'fault-reverted', key: 'f1@app-0', why: 'x' }], T0 + 25_000).state;
  const halted = step(plan, s, [{ kind: 'halt', reason: 'game day over' }], T0 + 26_000);
  assert.ok(halted.actions.some((a) => a.kind === 'destroy-fleet'));
  assert.equal(halted.state.reviewUntilMs, null);
  assert.equal(halted.state.state, 'resolved', 'the fix stays a fix');
});
