import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunDoc } from './runner/run-doc.ts';
import { countOverdueFaults, OVERDUE_GRACE_MS } from './overdue-faults.ts';

const T0 = 1_800_000_000_000;

function run(faults: { id: string; vm: string; atMs: number; durationMs: number | null; state: 'pending' | 'active' | 'reverted' | 'failed' }[], over: Partial<RunDoc> = {}): RunDoc {
  return {
    fleetId: 'f1', startedAtMs: T0, endedAtMs: null,
    compiled: { faults: faults.map(({ id, vm, atMs, durationMs }) => ({ id, vm, atMs, durationMs })) },
    faults: Object.fromEntries(faults.map((f) => [`${f.id}@${f.vm}`, { state: f.state, error: null, attempts: 0, retryAtMs: null }])),
    ...over,
  } as unknown as RunDoc;
}

test('an active fault counts only once its window and the grace period are over', () => {
  const d = run([{ id: 'cpu', vm: 'db-0', atMs: 0, durationMs: 180_000, state: 'active' }]);
  assert.equal(countOverdueFaults([d], T0 + 180_000 + OVERDUE_GRACE_MS), 0);
  assert.equal(countOverdueFaults([d], T0 + 180_000 + OVERDUE_GRACE_MS + 1), 1);
});

test('reverted, pending and failed faults, runs without a fleet and open-ended faults of a live run are not overdue', () => {
  const late = T0 + 3_600_000;
  assert.equal(countOverdueFaults([run([
    { id: 'a', vm: 'x', atMs: 0, durationMs: 1000, state: 'reverted' },
    { id: 'b', vm: 'x', atMs: 0, durationMs: 1000, state: 'pending' },
    { id: 'c', vm: 'x', atMs: 0, durationMs: 1000, state: 'failed' },
    { id: 'd', vm: 'x', atMs: 0, durationMs: null, state: 'active' },
  ])], late), 0);
  assert.equal(countOverdueFaults([run([{ id: 'a', vm: 'x', atMs: 0, durationMs: 1000, state: 'active' }], { fleetId: null })], late), 0);
});

test('an open-ended fault still held after its run ended is overdue', () => {
  const d = run([{ id: 'disk', vm: 'app-0', atMs: 0, durationMs: null, state: 'active' }], { endedAtMs: T0 + 600_000 });
  assert.equal(countOverdueFaults([d], T0 + 600_000 + OVERDUE_GRACE_MS + 1), 1);
});
