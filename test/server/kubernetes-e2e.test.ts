/**
 * Issue 15: a run on a Kubernetes fleet, end to end through the same runner. The server's
 * kubernetes driver talks to the strict stand-in API server (no cluster can run here)
 * through @kubernetes/client-node; the stand-in's kubelet makes each Pod a real sandbox
 * VM from the Pod's own config tar, and runs every exec inside it. So the agent's signed
 * channel (exec → `nc -U` to the agent socket), the http check (exec → `nc` to the port)
 * and the trainee's terminal (exec with a tty) all cross the exec protocol into a real
 * guest; nothing connects to a Pod IP (the VMs have no host link to check a route through).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDriver } from '@pudu/drivers';
import { compileScenario, parseScenario, scoreRun } from '@pudu/engine';
import { apiPath } from '@pudu/schema';
import { KubernetesDriver } from '../../packages/drivers/src/kubernetes/kubernetes-driver.ts';
import { standInKubeConfig, startFakeApiServer } from '../drivers/kubernetes/fake-apiserver.ts';
import { sandboxKubelet } from '../drivers/kubernetes/fake-kubelet.ts';
import { REPO_ROOT, startTestServer } from './harness.ts';
import { sandboxSkipReason } from './sandbox-server.ts';
import { openTerminal } from './terminal-ws-client.ts';
import { waitFor } from './vm-shell.ts';

const SCENARIO = join(REPO_ROOT, 'scenarios/monolith/crashed-app-server.yaml');

test('a run on a kubernetes fleet: agent, e2e check and terminal go through exec; the trainee\'s fix resolves it with the formula\'s score', { skip: sandboxSkipReason(), timeout: 480_000 }, async (t) => {
  const sandbox = await createDriver('sandbox', { log: () => undefined });
  const api = await startFakeApiServer({ kubelet: sandboxKubelet(sandbox) });
  t.after(() => api.close());
  const driver = new KubernetesDriver({ namespace: 'pudu-labs', image: 'registry.example.org/pudu/guest:test', runtimeClassName: 'kata-fc', kubeConfig: standInKubeConfig(api.url), bootTimeoutMs: 120_000 });
  const s = await startTestServer(t, { driver });
  const admin = s.client();
  const startedAt = Date.now();
  const { run, traineeToken } = await admin.runScenario({ yaml: readFileSync(SCENARIO, 'utf8'), file: 'crashed-app-server.yaml' });
  s.defer(() => admin.abortRun(run.id));
  const live = await waitFor('the incident to be live and checked', async () => {
    const r = await admin.getRun(run.id);
    assert.notEqual(r.state, 'failed', r.error ?? '');
    return r.state === 'running' && r.faults.every((f) => f.state === 'active') && r.objectives.every((o) => o.checkedAt !== null) ? r : undefined;
  }, 180_000, 200);
  const liveMs = Date.now() - startedAt;
  const serves = live.objectives.find((o) => o.id === 'shop-serves-users')!;
  assert.equal(serves.passing, false);
  assert.match(serves.detail, /POST \/api\/items → 502/, 'the e2e check reached nginx in the VM, through exec');

  const vm = live.vms[0]!;
  const term = await openTerminal(s.url.replace('http', 'ws') + apiPath('terminal', {}, { vm: vm.index, cols: 100, rows: 30 }), traineeToken);
  t.after(() => term.close());
  term.type('stty size; hostname\n');
  await term.seen('30 100');
  await term.seen('app-0');
  term.type(`sed -i 's/^\\(APP_DB_POOL_MAX=[0-9]*\\).*/\\1/' /etc/default/app-server && systemctl restart app-server && echo FIXED-$(systemctl is-active app-server)\n`);
  const fixedAt = await term.seen('FIXED-active', 30_000);
  const done = await waitFor('resolved', async () => {
    const r = await s.client(traineeToken).getRun(run.id);
    assert.notEqual(r.state, 'failed', r.error ?? '');
    return r.state === 'resolved' ? r : undefined;
  }, 240_000, 100);
  const resolvedSeenAt = Date.now();
  const parsed = parseScenario(readFileSync(SCENARIO, 'utf8'), SCENARIO);
  assert.ok(parsed.ok);
  const expected = scoreRun({ scoring: compileScenario(parsed.spec).scoring, resolvedAtMs: done.resolvedAtMs!, hintsTaken: 0 });
  assert.equal(done.scoreDetail.score, expected.score);
  assert.match(done.objectives.find((o) => o.id === 'shop-serves-users')!.detail, /write and read through \/api\/items OK/);

  const commands = api.exec.execs.map((e) => `${e.request.tty ? 'tty ' : ''}${e.request.command.join(' ')}`);
  assert.ok(commands.includes('nc -N -U /run/pudu-agent/agent.sock'), 'the agent through exec');
  assert.ok(commands.includes('nc -N 127.0.0.1 80'), 'the e2e check through exec');
  assert.ok(commands.includes('tty /usr/bin/env TERM=xterm-256color HOME=/root /bin/bash -l'), 'the terminal through exec');
  assert.deepEqual(api.exec.protocolErrors, []);
  const byKind = new Map<string, number>();
  for (const c of commands) byKind.set(c, (byKind.get(c) ?? 0) + 1);
  t.diagnostic(`start → live ${liveMs} ms; fix seen → resolved seen ${resolvedSeenAt - fixedAt} ms; score ${done.scoreDetail.score}; execs ${JSON.stringify(Object.fromEntries(byKind))}`);
  await term.close();
  // The fleet stays for the review window after the fix; deleting it must leave nothing in the cluster.
  assert.ok(done.reviewUntil, 'a review window after the fix');
  await admin.deleteFleet(done.fleetId!);
  await waitFor('the fleet to be gone', async () => (api.objects.size === 0 ? true : undefined), 30_000, 200);
});
