/**
 * The host budget and parallel fleet creation through the real API on the sandbox driver.
 * This file keeps its sandbox state (device template, disk skeleton, id-map shims, lxcfs)
 * in a directory of its own, so it starts from a host Pudu has never run on — as after
 * `pudu cleanup` — without touching anyone else's VMs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDriver } from '@pudu/drivers';
import { PuduApiError } from '@pudu/client';
import { stopLxcfs } from '../../packages/drivers/src/sandbox/lxcfs.ts';
import { startTestServer } from './harness.ts';
import { sandboxSkipReason } from './sandbox-server.ts';
import { waitFor } from './vm-shell.ts';

const skip = sandboxSkipReason();
const PARALLEL = 8;
const INDEXES = { minIndex: 40, maxIndex: 99 };

// Before any sandbox code runs: every path under it comes from this variable.
const stateDir = mkdtempSync(join(tmpdir(), 'pudu-capacity-state-'));
// The VMs' root is an unprivileged host id: it must be able to search the state dir.
chmodSync(stateDir, 0o711);
process.env.PUDU_STATE_DIR = stateDir;

test.after(async () => {
  await stopLxcfs();
  rmSync(stateDir, { recursive: true, force: true });
});

test(`${PARALLEL} parallel fleet creations on a host Pudu never ran on all answer 201, and 8 parallel deletes leave nothing`, { skip, timeout: 600_000 }, async (t) => {
  const driver = await createDriver('sandbox', { ...INDEXES, log: () => undefined });
  const log: string[] = [];
  const srv = await startTestServer(t, { driver, log: (m) => log.push(m) });
  t.after(() => { if (log.some((l) => l.startsWith('error '))) t.diagnostic(log.join('\n')); });
  const api = srv.client();
  const started = performance.now();
  const results = await Promise.allSettled(Array.from({ length: PARALLEL }, () => api.createFleet({ count: 1 })));
  const ms = Math.round(performance.now() - started);
  const fleets = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  for (const f of fleets) srv.defer(() => api.deleteFleet(f.id));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [`${(r.reason as PuduApiError).status} ${(r.reason as PuduApiError).code}: ${(r.reason as Error).message}`] : []));
  assert.deepEqual(failures, [], 'every creation succeeds');
  assert.equal(fleets.length, PARALLEL);
  assert.ok(fleets.every((f) => f.state === 'ready' && f.vms.length === 1 && f.vms[0]!.state === 'ready'));
  assert.equal(new Set(fleets.map((f) => f.vms[0]!.index)).size, PARALLEL, 'distinct VM indexes');
  t.diagnostic(`${PARALLEL} fleets created in parallel in ${ms} ms`);
  const deleted = await Promise.all(fleets.map((f) => api.deleteFleet(f.id)));
  assert.ok(deleted.every((f) => f.state === 'deleted'));
  assert.deepEqual(await driver.listVms(), []);
});

test('a fleet past the host budget gets 429 CAPACITY_EXHAUSTED with the budget and what is free; a freed budget takes it', { skip, timeout: 300_000 }, async (t) => {
  const driver = await createDriver('sandbox', { ...INDEXES, log: () => undefined });
  const srv = await startTestServer(t, { driver, capacity: { vms: 2, vcpus: 4, memMb: 4096 } });
  const api = srv.client();
  const refused = async (body: { count: number }) => {
    const e = await api.createFleet(body).then(() => undefined, (x: unknown) => x as PuduApiError);
    assert.ok(e instanceof PuduApiError, 'refused');
    assert.equal(e.status, 429);
    assert.equal(e.code, 'CAPACITY_EXHAUSTED');
    return e.problem!;
  };
  const tooBig = await refused({ count: 3 });
  assert.deepEqual(tooBig.capacity, {
    budget: { vms: 2, vcpus: 4, memMb: 4096 }, used: { vms: 0, vcpus: 0, memMb: 0 }, free: { vms: 2, vcpus: 4, memMb: 4096 },
    queued: 0, requested: { vms: 3, vcpus: 3, memMb: 1536 },
  });
  assert.match(tooBig.detail, /free: 2 VM\(s\), 4 vCPU\(s\), 4096 MB/);
  const fleet = await api.createFleet({ count: 2 });
  srv.defer(() => api.deleteFleet(fleet.id));
  const full = await refused({ count: 1 });
  assert.deepEqual(full.capacity?.free, { vms: 0, vcpus: 2, memMb: 3072 });
  const health = await api.health();
  assert.deepEqual(health.capacity.used, { vms: 2, vcpus: 2, memMb: 1024 });
  assert.equal(health.isolation.boundary, 'user-namespace');
  await api.deleteFleet(fleet.id);
  const next = await api.createFleet({ count: 1 });
  srv.defer(() => api.deleteFleet(next.id));
  assert.equal(next.state, 'ready');
});

test('a run past the host budget waits queued (status and events say so) and starts when a run ends', { skip, timeout: 300_000 }, async (t) => {
  const driver = await createDriver('sandbox', { ...INDEXES, log: () => undefined });
  const srv = await startTestServer(t, { driver, capacity: { vms: 1 } });
  const api = srv.client();
  const live = (id: string) => waitFor(`run ${id} to be running`, async () => ((await api.getRun(id)).state === 'running' ? true : undefined), 120_000, 100);
  const first = (await api.runScenario({ name: 'monolith/disk-full' })).run;
  srv.defer(() => api.abortRun(first.id));
  await live(first.id);
  const second = (await api.runScenario({ name: 'monolith/disk-full' })).run;
  srv.defer(() => api.abortRun(second.id));
  await waitFor('the second run to be queued', async () => ((await api.getRun(second.id)).state === 'queued' ? true : undefined), 30_000, 100);
  const queued = (await api.listRunEvents(second.id)).find((e) => e.kind === 'run.queued');
  const { budget } = (await api.health()).capacity;
  // disk-full's one VM holds 1 vCPU and 512 MB of a budget of one VM.
  assert.deepEqual((queued?.data as { capacity: { free: unknown } }).capacity.free, { vms: 0, vcpus: budget.vcpus - 1, memMb: budget.memMb - 512 });
  assert.equal((await api.health()).capacity.queued, 1);
  // Still queued a moment later: it does not fail, and its clock has not started.
  await new Promise((r) => setTimeout(r, 1500));
  const still = await api.getRun(second.id);
  assert.equal(still.state, 'queued');
  assert.equal(still.startedAt, null);
  await api.abortRun(first.id);
  await live(second.id);
  const kinds = (await api.listRunEvents(second.id)).map((e) => e.kind);
  assert.deepEqual(kinds.filter((k) => ['run.queued', 'run.admitted', 'fleet.ready', 'run.started'].includes(k)), ['run.queued', 'run.admitted', 'fleet.ready', 'run.started']);
});
