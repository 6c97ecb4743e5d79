import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoute, routeHash } from './router.ts';

test('every linked route survives a round trip through its hash', () => {
  for (const r of [
    { name: 'dashboard' }, { name: 'instructor' }, { name: 'room', runId: 'r 1', readOnly: false },
    { name: 'room', runId: 'r1', readOnly: true }, { name: 'result', runId: 'r1' },
  ] as const) {
    assert.deepEqual(parseRoute(routeHash(r)), r);
  }
});

test('a trainee link carries the run and the token in the fragment', () => {
  assert.deepEqual(parseRoute('#/join/r42?token=pudu_abc'), { name: 'join', runId: 'r42', token: 'pudu_abc' });
});

test('an unknown path is reported as not found instead of falling back silently', () => {
  assert.deepEqual(parseRoute('#/nope/x'), { name: 'notfound', path: '/nope/x' });
});
