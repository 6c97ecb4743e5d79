/**
 * The seed's check types end to end: http checks from the host and process-running checks
 * through the agent, on the library's crashed-app-server incident with the seed's objectives in
 * place of the library's (e2e, unit-healthy): a bad config push crash-loops the app-server →
 * nginx 502 → the trainee fixes the line and restarts it → resolved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { sandboxSkipReason, startSandboxServer } from './sandbox-server.ts';
import { sshExec, waitFor } from './vm-shell.ts';

const SEED_OBJECTIVES = [
  { id: 'app-healthy', description: 'app-0 answers 200 on /healthz', check: { type: 'http', target: { vm: 'app-0' }, path: '/healthz', expected_status: 200 } },
  { id: 'app-server-running', description: 'the app-server unit is active on app-0', check: { type: 'process-running', target: { vm: 'app-0' }, service: 'app-server' } },
];

function withSeedObjectives(file: string): string {
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  // Penalties and state alerts of the library name its own objectives' checks; keep the incident only.
  for (const k of ['penalties', 'root_cause', 'traffic']) delete doc[k];
  const signals = doc.signals as { alerts?: Array<Record<string, unknown>> } | undefined;
  if (signals?.alerts) signals.alerts = signals.alerts.filter((a) => a.when === undefined);
  return stringify({ ...doc, objectives: SEED_OBJECTIVES });
}

test('a library incident with the seed\'s http and process-running objectives resolves when the trainee fixes the config and restarts the service', { skip: sandboxSkipReason(), timeout: 180_000 }, async (t) => {
  const s = await startSandboxServer(t);
  const admin = s.client();
  const { run, traineeToken } = await admin.runScenario({ yaml: withSeedObjectives('scenarios/monolith/crashed-app-server.yaml'), file: 'crashed-app-server-seed-checks.yaml' });
  s.defer(() => admin.abortRun(run.id));
  const live = await waitFor('the incident to be live and seen', async () => {
    const r = await admin.getRun(run.id);
    assert.notEqual(r.state, 'failed', r.error ?? '');
    return r.state === 'running' && r.faults.every((f) => f.state === 'active') && r.objectives.every((o) => o.checkedAt !== null) ? r : undefined;
  }, 90_000);
  const byId = Object.fromEntries(live.objectives.map((o) => [o.id, o]));
  assert.equal(byId['app-healthy']?.passing, false);
  assert.match(byId['app-healthy']!.detail, /GET \/healthz → 502/);
  // app-server-running flaps while the unit crash-loops (active for a moment after each start).
  assert.ok(byId['app-server-running'], 'the process-running objective is checked');
  const vm = live.vms[0]!;
  const fix = await sshExec(vm.guestIp, vm.hostLink, `sed -i 's/^\\(APP_DB_POOL_MAX=[0-9]*\\).*/\\1/' /etc/default/app-server && systemctl restart app-server && systemctl is-active app-server`);
  assert.equal(fix.stdout.trim(), 'active', fix.stderr);
  const fixedAt = Date.now();
  const done = await waitFor('resolved', async () => {
    const r = await s.client(traineeToken).getRun(run.id);
    return r.state === 'resolved' ? r : undefined;
  }, 10_000, 50);
  t.diagnostic(`resolved visible ${Date.now() - fixedAt} ms after systemctl restart returned`);
  assert.ok(done.objectives.every((o) => o.passing));
  assert.match(done.objectives.find((o) => o.id === 'app-healthy')!.detail, /→ 200/);
});
