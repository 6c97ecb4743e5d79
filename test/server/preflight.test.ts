/**
 * Pre-flight on real VMs (issue 12, acceptance 6): a scenario written in the seed's example
 * shape (one tier, services [nginx, app-server], no database, an http objective on /healthz)
 * passes pre-flight — the demo app-server is healthy without a database — and resolves when
 * fixed; a scenario whose objective can never pass is refused `preflight-failed`, naming the
 * check, with no fault ever applied and its fleet destroyed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'test-results-parser';
import type { RunStatus } from '@pudu/schema';
import { REPO_ROOT } from './harness.ts';
import { sandboxSkipReason, startSandboxServer } from './sandbox-server.ts';
import { sshExec, waitFor } from './vm-shell.ts';

/** The seed's format example with an http objective, and a process fault the trainee fixes with systemctl. */
const SEED_SHAPE = `scenario:
  id: my-scenario-001
  title: "The App That Stopped"
  difficulty: easy
  architecture: monolith
  tags: [process]
  description: |
    Narrative shown to the trainee at scenario start.
environment:
  tiers:
    - name: app
      count: 1
      vcpus: 1
      mem_mb: 512
      services: [nginx, app-server]
faults:
  - id: app-down
    type: process
    target:
      tier: app
    params:
      service: app-server
      action: stop
    at: 0s
    duration: 10m
signals:
  alerts:
    - name: AppDown
      severity: critical
      fired_at: 0s
      message: "app-server is down"
  symptoms:
    - "nginx returns 502 Bad Gateway"
objectives:
  - id: api-healthy
    description: GET /healthz answers 200 on app-0
    check:
      type: http
      target:
        vm: app-0
      path: /healthz
hints:
  - text: "systemctl status app-server"
scoring:
  base: 100
`;

/** The same, with an objective that no healthy system passes. */
const NEVER = SEED_SHAPE.replace('id: my-scenario-001', 'id: never-passes').replace('      path: /healthz\n', '      path: /healthz\n      expected_status: 418\n');

const eventKinds = async (c: ReturnType<Awaited<ReturnType<typeof startSandboxServer>>['client']>, id: string): Promise<string[]> => (await c.listRunEvents(id)).map((e) => e.kind);

test('a scenario in the seed\'s example shape passes pre-flight (app-server healthy with no database) and resolves when fixed; one whose objective never passes is refused naming it, nothing applied, fleet gone', { skip: sandboxSkipReason(), timeout: 240_000 }, async (t) => {
  const s = await startSandboxServer(t);
  const admin = s.client();
  // The refused one goes through puduc as a CI step would: --wait --junit, exit 6.
  const dir = mkdtempSync(join(tmpdir(), 'pudu-preflight-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const neverFile = join(dir, 'never.yaml');
  writeFileSync(neverFile, NEVER);
  const junitFile = join(dir, 'out.xml');
  const cli = promisify(execFile)(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'packages/cli/src/main.ts'), 'scenario', 'run', neverFile, '--wait', '--json', '--junit', junitFile], {
    cwd: REPO_ROOT, env: { ...process.env, PUDU_SERVER: s.url, PUDU_TOKEN: s.adminToken }, timeout: 200_000,
  }).then(() => 0, (e: { code: number }) => e.code);
  const good = await admin.runScenario({ yaml: SEED_SHAPE, file: 'seed-shape.yaml' });
  s.defer(() => admin.abortRun(good.run.id).catch(() => undefined));
  const bad = { run: await waitFor('the puduc run to exist', async () => (await admin.listRuns()).find((r) => r.scenarioId === 'never-passes'), 30_000) };
  s.defer(() => admin.abortRun(bad.run.id).catch(() => undefined));

  const live = await waitFor('the seed-shape run running with its fault in place', async () => {
    const r = await admin.getRun(good.run.id);
    assert.ok(r.state !== 'preflight-failed' && r.state !== 'failed', `${r.state}: ${r.error ?? ''}`);
    return r.state === 'running' && r.faults.every((f) => f.state === 'active') ? r : undefined;
  }, 120_000);
  const kinds = await eventKinds(admin, good.run.id);
  // Pre-flight came between the fleet and the clock, and passed before any fault.
  const order = ['run.preflight', 'preflight.planned', 'preflight.passed', 'run.started', 'fault.applied'].map((k) => kinds.indexOf(k));
  assert.ok(order.every((i, n) => i >= 0 && (n === 0 || i > order[n - 1]!)), `events out of order: ${kinds.join(', ')}`);

  const vm = live.vms[0]!;
  await waitFor('the objective failing with the app down', async () => ((await admin.getRun(good.run.id)).objectives[0]?.state === 'failing' ? true : undefined), 30_000);
  const fix = await sshExec(vm.guestIp, vm.hostLink, 'systemctl start app-server && systemctl is-active app-server');
  assert.equal(fix.stdout.trim(), 'active', fix.stderr);
  const done: RunStatus = await waitFor('the seed-shape run resolved', async () => {
    const r = await admin.getRun(good.run.id);
    return r.state === 'resolved' ? r : undefined;
  }, 60_000);
  assert.ok((done.score ?? 0) > 0);

  const refused = await waitFor('the never-passing run refused', async () => {
    const r = await admin.getRun(bad.run.id);
    assert.notEqual(r.state, 'running', 'a scenario whose objective never passes must not reach a trainee');
    return r.state === 'preflight-failed' ? r : undefined;
  }, 120_000);
  assert.match(refused.error ?? '', /pre-flight failed: objective api-healthy: never passed before any fault \(app-0: GET \/healthz → 200 \(want 418\)\)/);
  assert.equal(refused.startedAt, null, 'the clock never started');
  const badKinds = await eventKinds(admin, bad.run.id);
  assert.ok(badKinds.includes('preflight.failed'));
  assert.ok(!badKinds.includes('fault.applied'), `a fault was applied: ${badKinds.join(', ')}`);
  assert.ok(refused.faults.every((f) => f.state === 'pending'));
  const fleetId = refused.fleetId!;
  await waitFor('the refused run\'s fleet destroyed', async () => ((await admin.getFleet(fleetId)).state === 'deleted' ? true : undefined), 30_000);
  assert.ok((await eventKinds(admin, bad.run.id)).includes('fleet.destroyed'));

  assert.equal(await cli, 6, 'puduc scenario run --wait exits 6 when pre-flight failed');
  const junit = parse({ type: 'junit', files: [junitFile] });
  const pre = junit.suites[0]!.cases.find((c) => c.name === 'pre-flight');
  assert.equal(pre?.status, 'FAIL');
  assert.match(pre?.failure ?? '', /objective api-healthy: never passed before any fault/);
});
