/**
 * Halt-all on real VMs (issue 12, acceptance 5): with five live runs, one call reverts
 * every fault (checked inside each VM), ends the runs `halted`, refuses new runs with 423
 * until an admin releases it, survives a server restart, shows in the gauge and the audit log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PuduApiError } from '@pudu/client';
import type { RunStatus } from '@pudu/schema';
import { REPO_ROOT } from './harness.ts';
import { sandboxSkipReason, startSandboxServer } from './sandbox-server.ts';
import { sshExec, waitFor } from './vm-shell.ts';

const RUNS = 5;
/** A light fault whose presence is one command inside the VM: a hijacked hosts entry. */
const SCENARIO = `scenario:
  id: halt-probe
  title: Halt probe
  difficulty: easy
  time_limit: 10m
environment:
  tiers:
    - name: app
      services: [nginx]
faults:
  - id: hijack
    type: dns
    target: { tier: app }
    params: { record: api.internal, resolve_to: 10.0.0.66 }
objectives:
  - id: cleared
    description: the hosts entry is gone
    check: { type: fault-cleared, target: { tier: app }, fault: hijack }
`;

const is423 = (e: PuduApiError) => e.status === 423 && e.code === 'HALTED';

async function puduc(url: string, token: string, args: string[]): Promise<{ stdout: string; code: number }> {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'packages/cli/src/main.ts'), ...args], { env: { ...process.env, PUDU_SERVER: url, PUDU_TOKEN: token }, cwd: REPO_ROOT }).then(
    (r) => ({ stdout: r.stdout, code: 0 }),
    (e: { stdout: string; code: number }) => ({ stdout: e.stdout, code: e.code }),
  );
}

test(`halt-all with ${RUNS} live runs reverts every fault inside the VMs, refuses new runs until released, and survives a restart`, { skip: sandboxSkipReason(), timeout: 300_000 }, async (t) => {
  const s = await startSandboxServer(t);
  const admin = s.client();
  const ids: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { run } = await admin.runScenario({ yaml: SCENARIO, file: `halt-${i}.yaml`, keepFleet: true });
    ids.push(run.id);
    s.defer(async () => {
      const r = await admin.getRun(run.id);
      if (r.fleetId) await admin.deleteFleet(r.fleetId).catch(() => undefined);
    });
    s.defer(() => admin.abortRun(run.id));
  }
  s.defer(() => admin.call('releaseHalt', {}).catch(() => undefined));
  const live = await Promise.all(ids.map((id) => waitFor(`run ${id} to hold its fault`, async () => {
    const r = await admin.getRun(id);
    assert.ok(r.state === 'provisioning' || r.state === 'preflight' || r.state === 'running', `run ${id} is ${r.state}: ${r.error ?? ''}`);
    return r.state === 'running' && r.faults.every((f) => f.state === 'active') ? r : undefined;
  }, 120_000, 250)));
  const resolves = async (r: RunStatus) => (await sshExec(r.vms[0]!.guestIp, r.vms[0]!.hostLink, 'getent hosts api.internal || true')).stdout.trim();
  for (const r of live) assert.match(await resolves(r), /^10\.0\.0\.66\s/, `run ${r.id}: the fault is not in place before the halt`);

  const halted = await admin.call('haltAll', { body: { reason: 'game day over, stop everything' } });
  t.diagnostic(`halt: ${halted.runs.length} runs, ${halted.faultsReverted} faults reverted, ${halted.agentsReached} agents swept, ${halted.elapsedMs} ms`);
  assert.equal(halted.engaged, true);
  assert.deepEqual([...halted.runs].sort(), [...ids].sort());
  assert.ok(halted.faultsReverted >= RUNS, `only ${halted.faultsReverted} faults reverted`);
  assert.deepEqual(halted.agentErrors, []);
  for (const id of ids) {
    const r = await admin.getRun(id);
    assert.equal(r.state, 'halted');
    assert.match(r.error ?? '', /game day over/);
    assert.ok(r.faults.every((f) => f.state === 'reverted'), `run ${id}: ${JSON.stringify(r.faults)}`);
    assert.ok((await admin.listRunEvents(id)).some((e) => e.kind === 'run.halted'));
  }
  for (const r of live) assert.equal(await resolves(r), '', `run ${r.id}: the hosts entry survived the halt`);

  await assert.rejects(admin.runScenario({ yaml: SCENARIO, file: 'late.yaml' }), is423);
  const again = await admin.call('haltAll', { body: { reason: 'a second press' } });
  assert.equal(again.reason, 'game day over, stop everything', 'halt while halted keeps the first reason');
  assert.deepEqual(again.runs, []);
  assert.match(await admin.metricsText(), /^pudu_halt_engaged 1$/m);
  const cli = await puduc(s.url, s.adminToken, ['halt', 'status']);
  assert.match(cli.stdout, /halt-all ENGAGED .*game day over/);
  const refusedCli = await puduc(s.url, s.adminToken, ['scenario', 'run', 'scenarios/monolith/disk-full.yaml']);
  assert.equal(refusedCli.code, 1, 'a refused run is exit 1');

  await s.restart();
  const after = s.client();
  // The first call may meet a keep-alive socket of the server that just closed.
  const status = await waitFor('the restarted server', () => after.call('getHalt', {}).catch(() => undefined), 10_000);
  assert.equal(status.engaged, true, 'the halt survives a restart');
  await assert.rejects(after.runScenario({ yaml: SCENARIO, file: 'after-restart.yaml' }), is423);

  const released = await after.call('releaseHalt', {});
  assert.equal(released.engaged, false);
  await assert.rejects(after.call('releaseHalt', {}), (e: PuduApiError) => e.status === 409 && e.code === 'NOT_HALTED');
  assert.match(await after.metricsText(), /^pudu_halt_engaged 0$/m);
  const actions = (await after.listAudit(200)).map((a) => `${a.action} ${a.result}`);
  assert.ok(actions.some((a) => /halt/.test(a)), `no halt in the audit log: ${actions.join(', ')}`);
});
