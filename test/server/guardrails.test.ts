/**
 * A training run's containment guardrail on real VMs (issue 12, acceptance 3): a memory fault
 * whose ceiling is above the VM's guardrail (vm_mem) is stopped — the run aborts naming the
 * guardrail and the value seen, and every fault is reverted (the agent holds none, the VM's
 * memory comes back down).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunStatus } from '@pudu/schema';
import { sandboxSkipReason, startSandboxServer } from './sandbox-server.ts';
import { sshExec, waitFor } from './vm-shell.ts';

const SCENARIO = `scenario:
  id: leak-past-guardrail
  title: A leak the lab must contain
  difficulty: easy
  time_limit: 10m
environment:
  tiers:
    - name: app
      services: [nginx, app-server]
faults:
  - id: leak
    type: memory
    target: { vm: app-0 }
    params: { rate: 600mb/min, ceiling: "90%" }
objectives:
  - id: web-up
    description: the app answers
    check: { type: http, target: { vm: app-0 }, path: /healthz }
guardrails:
  vm_mem: 60%
  for: 2s
`;

const usedPct = async (vm: RunStatus['vms'][number]): Promise<number> => {
  const out = (await sshExec(vm.guestIp, vm.hostLink, "free -m | awk '/^Mem:/ {print $2, $7}'")).stdout.trim().split(/\s+/).map(Number);
  return 100 * (1 - out[1]! / out[0]!);
};

test('a memory fault growing past the VM\'s vm_mem guardrail aborts the training run with that reason and reverts everything', { skip: sandboxSkipReason(), timeout: 240_000 }, async (t) => {
  const s = await startSandboxServer(t);
  const admin = s.client();
  const { run } = await admin.runScenario({ yaml: SCENARIO, file: 'leak.yaml', keepFleet: true });
  s.defer(async () => {
    const r = await admin.getRun(run.id);
    if (r.fleetId) await admin.deleteFleet(r.fleetId).catch(() => undefined);
  });
  s.defer(() => admin.abortRun(run.id).catch(() => undefined));
  const live = await waitFor('the leak in place', async () => {
    const r = await admin.getRun(run.id);
    assert.ok(['provisioning', 'preflight', 'running'].includes(r.state), `${r.state}: ${r.error ?? ''}`);
    return r.state === 'running' && r.faults.every((f) => f.state === 'active') ? r : undefined;
  }, 120_000);
  const startedAt = Date.now();
  const ended = await waitFor('the guardrail to stop the run', async () => {
    const r = await admin.getRun(run.id);
    return r.state === 'running' ? undefined : r;
  }, 90_000, 250);
  t.diagnostic(`ended ${ended.state} ${Date.now() - startedAt} ms after the leak was in place: ${ended.error}`);
  assert.equal(ended.state, 'aborted');
  assert.match(ended.error ?? '', /^guardrail vm_mem: app-0 memory (6\d|[7-9]\d)(\.\d)? % > 60 % for [2-9] s$/);
  const events = await admin.listRunEvents(run.id);
  const breach = events.find((e) => e.kind === 'guardrail.breached');
  assert.equal(breach?.data.guardrail, 'vm_mem');
  const done = await waitFor('every fault reverted', async () => {
    const r = await admin.getRun(run.id);
    return r.faults.every((f) => f.state === 'reverted') ? r : undefined;
  }, 30_000);
  assert.ok(done.faults.length > 0);
  const vm = live.vms[0]!;
  const after = await waitFor('the VM\'s memory back below the guardrail', async () => {
    const pct = await usedPct(vm);
    return pct < 60 ? pct : undefined;
  }, 30_000, 500);
  t.diagnostic(`VM memory after the revert: ${after.toFixed(1)} %`);
});
