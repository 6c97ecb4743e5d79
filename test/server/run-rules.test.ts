/**
 * Run rules on real VMs: a trainee token sees only its run (403 elsewhere, REST and /ws),
 * hints are given in order and charged once, time_limit expires a run, and
 * `puduc scenario run --wait` exits non-zero when the run is aborted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { PuduApiError } from '@pudu/client';
import { apiPath, type RunStatus } from '@pudu/schema';
import { REPO_ROOT } from './harness.ts';
import { sandboxSkipReason, startSandboxServer } from './sandbox-server.ts';
import { waitFor } from './vm-shell.ts';

const DISK_FULL = readFileSync(join(REPO_ROOT, 'scenarios/monolith/disk-full.yaml'), 'utf8');
const SHORT = DISK_FULL.replace('time_limit: 30m', 'time_limit: 15s').replace(/\n\s+duration: 10m/, '');

function wsStatus(url: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, [`pudu.token.${token}`]);
    ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('error', () => undefined);
  });
}

const isCode = (status: number, code?: string) => (e: PuduApiError) => e.status === status && (code === undefined || e.code === code);

test('a trainee token reaches only its own run; hints are charged once; time_limit expires the run; --wait exits 1 on abort', { skip: sandboxSkipReason(), timeout: 180_000 }, async (t) => {
  const s = await startSandboxServer(t);
  const admin = s.client();
  const a = await admin.runScenario({ yaml: SHORT, file: 'short.yaml' });
  s.defer(() => admin.abortRun(a.run.id));
  // Run B through puduc --wait, as a CI pipeline would.
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'packages/cli/src/main.ts'), 'scenario', 'run', 'scenarios/monolith/disk-full.yaml', '--wait', '--json'], {
    cwd: REPO_ROOT, env: { ...process.env, PUDU_SERVER: s.url, PUDU_TOKEN: s.adminToken },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  t.after(() => child.kill('SIGKILL'));
  const bId = await waitFor('run B to exist', async () => (await admin.listRuns()).find((r) => r.id !== a.run.id)?.id, 30_000);
  s.defer(() => admin.abortRun(bId));

  const ready = async (id: string): Promise<RunStatus> => waitFor(`run ${id} live`, async () => {
    const r = await admin.getRun(id);
    assert.notEqual(r.state, 'failed', r.error ?? '');
    return r.state === 'running' && r.faults.every((f) => f.state === 'active') ? r : undefined;
  }, 60_000);
  const [liveA, liveB] = await Promise.all([ready(a.run.id), ready(bId)]);

  const trainee = s.client(a.traineeToken);
  await assert.rejects(trainee.getRun(bId), isCode(403, 'FORBIDDEN'));
  await assert.rejects(trainee.takeHint(bId), isCode(403));
  await assert.rejects(trainee.listRunEvents(bId), isCode(403));
  await assert.rejects(trainee.getRunMetrics(bId), isCode(403));
  await assert.rejects(trainee.abortRun(a.run.id), isCode(403));
  await assert.rejects(trainee.listFleets(), isCode(403));
  assert.deepEqual((await trainee.listRuns()).map((r) => r.id), [a.run.id]);
  const wsBase = `${s.url.replace('http', 'ws')}${apiPath('terminal')}?vm=`;
  assert.equal(await wsStatus(wsBase + liveB.vms[0]!.index, a.traineeToken), 403);
  assert.equal(await wsStatus(wsBase + liveA.vms[0]!.index, a.traineeToken), 101);
  const observer = await admin.createToken({ role: 'observer' });
  assert.equal(await wsStatus(wsBase + liveA.vms[0]!.index, observer.token), 403);
  assert.equal(await wsStatus(`${wsBase}${liveA.vms[0]!.index}&mode=readonly`, observer.token), 101);
  const m = await trainee.getRunMetrics(a.run.id);
  assert.ok((m.vms[0]?.metrics?.diskUsedPct ?? 0) > 90, JSON.stringify(m));

  // Hints: in order, charged once; past the last one nothing is charged.
  const texts: string[] = [];
  for (let i = 0; i < liveA.hintsTotal; i++) texts.push((await trainee.takeHint(a.run.id)).text);
  await assert.rejects(trainee.takeHint(a.run.id), isCode(409, 'HINTS_EXHAUSTED'));
  const afterHints = await trainee.getRun(a.run.id);
  assert.deepEqual(afterHints.hints, texts);
  // The list shows each run's progress without a call per run.
  const listed = (await admin.listRuns()).find((r) => r.id === a.run.id);
  assert.deepEqual([listed?.hintsUsed, listed?.hintsTotal], [liveA.hintsTotal, liveA.hintsTotal]);
  assert.equal(listed?.objectivesTotal, afterHints.objectives.length);
  assert.equal(listed?.objectivesPassing, afterHints.objectives.filter((o) => o.passing).length);
  assert.equal(afterHints.hintsUsed, liveA.hintsTotal);
  assert.equal(afterHints.scoreDetail.hintPenalty, 10 * liveA.hintsTotal);

  // Nobody fixes run A: time_limit expires it and tears it down.
  const expired = await waitFor('run A to expire', async () => {
    const r = await admin.getRun(a.run.id);
    return r.state === 'expired' ? r : undefined;
  }, 30_000, 100);
  assert.ok(expired.elapsedMs >= 15_000 && expired.elapsedMs <= 16_500, `expired at ${expired.elapsedMs} ms`);
  assert.equal(expired.score, 0);
  await waitFor('A\'s fleet to be destroyed', async () => ((await admin.getFleet(expired.fleetId!)).state === 'deleted' ? true : undefined), 15_000);
  await assert.rejects(trainee.takeHint(a.run.id), isCode(409, 'RUN_NOT_ACTIVE'));
  const audit = await admin.listAudit();
  assert.ok(audit.some((e) => e.actor === 'pudu-runner' && e.action === 'run.expired' && e.target === `run ${a.run.id}`), 'the expiry is not in the audit log');

  await admin.abortRun(bId);
  const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 20_000))]);
  assert.equal(code, 1, `puduc --wait exit ${String(code)}: ${out}`);
  assert.equal((JSON.parse(out) as { run: RunStatus }).run.state, 'aborted');
});
