/**
 * `--warm-pool`: a run takes a booted fleet instead of booting one, and the pool refills.
 * The attack: someone plants a fault in a waiting warm fleet (a trainee of an earlier run
 * cannot reach it, but a fleet must never be trusted because it sat in a pool) — the check
 * before hand-out finds it, the fleet is destroyed and the run gets a clean one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxSkipReason, startSandboxServer } from './sandbox-server.ts';
import { waitFor } from './vm-shell.ts';
import { agentClientFactory } from '../../packages/server/src/runner/agent-port.ts';
import type { TestServer } from './harness.ts';

const SCENARIO = 'monolith/disk-full';

async function readyWarmFleet(s: TestServer): Promise<string> {
  await waitFor('a warm fleet', async () => (s.server.ctx.warmPool?.state()[0]?.ready ? true : undefined), 240_000, 50);
  const fleets = await s.server.ctx.store.listFleets();
  const free = fleets.filter((f) => f.state === 'ready' && f.runId === null);
  assert.equal(free.length, 1, 'exactly the pool\'s one fleet is free');
  return free[0]!.id;
}

async function liveRun(s: TestServer): Promise<{ id: string; fleetId: string }> {
  const { run } = await s.client().runScenario({ name: SCENARIO });
  s.defer(() => s.client().abortRun(run.id));
  const live = await waitFor('incident live', async () => {
    const r = await s.client().getRun(run.id);
    return r.state === 'running' && r.faults.some((f) => f.state === 'active') ? r : undefined;
  }, 240_000, 20);
  assert.ok(live.fleetId);
  return { id: run.id, fleetId: live.fleetId };
}

test('a run takes the warm fleet, which is then its own, and the pool boots the next one', { skip: sandboxSkipReason(), timeout: 600_000 }, async (t) => {
  const s = await startSandboxServer(t, { warmPool: `${SCENARIO}:1` });
  t.after(() => s.server.ctx.warmPool?.close());
  const warm = await readyWarmFleet(s);
  const run = await liveRun(s);
  assert.equal(run.fleetId, warm, 'the run got the pool\'s fleet');
  assert.equal((await s.server.ctx.store.getFleet(warm))!.runId, run.id, 'claimed for the run');
  const next = await readyWarmFleet(s);
  assert.notEqual(next, warm);
  const keys = await Promise.all([warm, next].map(async (id) => (await s.server.ctx.fleets.vmsOf(id)).agentKey));
  assert.notEqual(keys[0], keys[1], 'every fleet has its own agent key: a warm fleet carries no credential another run knew');
});

test('a warm fleet holding a fault is destroyed at hand-out and the run gets a clean one', { skip: sandboxSkipReason(), timeout: 600_000 }, async (t) => {
  const s = await startSandboxServer(t, { warmPool: `${SCENARIO}:1` });
  t.after(() => s.server.ctx.warmPool?.close());
  const tampered = await readyWarmFleet(s);
  const { vms, agentKey } = await s.server.ctx.fleets.vmsOf(tampered);
  const vm = vms[0]!;
  await agentClientFactory({ vmName: vm.name, guestIp: vm.guestIp, agentPort: vm.agentPort, agentSocket: vm.agentSocket, hostLink: vm.hostLink, agentKey, audience: `${tampered}/${vm.name}` })
    .startFault({ id: 'planted', type: 'cpu', params: { load: '50%' }, durationMs: 600_000 });
  const run = await liveRun(s);
  assert.notEqual(run.fleetId, tampered, 'the planted fleet was not handed out');
  assert.equal((await s.server.ctx.store.getFleet(tampered))!.state, 'deleted');
});
