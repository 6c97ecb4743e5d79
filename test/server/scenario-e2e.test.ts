/**
 * Acceptance, end to end on real components: server, SQLite, sandbox VMs with systemd,
 * sshd and the agent; puduc as a process; a scripted trainee over SSH.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compileScenario, parseScenario, scoreRun } from '@pudu/engine';
import { apiRoute, fastifyPath, type RunStatus } from '@pudu/schema';
import { REPO_ROOT } from './harness.ts';
import { sandboxSkipReason, startSandboxServer } from './sandbox-server.ts';
import { sshExec, waitFor } from './vm-shell.ts';

const run = promisify(execFile);
const DISK_FULL = join(REPO_ROOT, 'scenarios/monolith/disk-full.yaml');
const PUDUC = ['--import', 'tsx', join(REPO_ROOT, 'packages/cli/src/main.ts')];
const skip = sandboxSkipReason();

async function puduc(url: string, token: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return run(process.execPath, [...PUDUC, ...args], { env: { ...process.env, PUDU_SERVER: url, PUDU_TOKEN: token }, cwd: REPO_ROOT }).then(
    (r) => ({ ...r, code: 0 }),
    (e: { stdout: string; stderr: string; code: number }) => ({ stdout: e.stdout, stderr: e.stderr, code: e.code }),
  );
}

/** The culprit as a trainee finds it: the biggest file on the root filesystem. */
async function findAndRemoveCulprit(vm: { guestIp: string; hostLink: string }): Promise<string> {
  const df = await sshExec(vm.guestIp, vm.hostLink, 'df --output=pcent / | tail -1');
  assert.match(df.stdout.trim(), /^(9\d|100)%$/, `disk not full before the fix: ${df.stdout}`);
  const found = await sshExec(vm.guestIp, vm.hostLink, 'find / -xdev -type f -size +50M -printf "%s %p\\n" 2>/dev/null | sort -rn | head -1 | cut -d" " -f2-');
  const culprit = found.stdout.trim();
  assert.ok(culprit.startsWith('/'), `no culprit found: ${found.stdout} ${found.stderr}`);
  const rm = await sshExec(vm.guestIp, vm.hostLink, `rm -f '${culprit}' && sync`);
  assert.equal(rm.code, 0, rm.stderr);
  return culprit;
}

test('disk-full end to end: puduc starts it, a trainee fixes it over SSH, status shows resolved within 1 s with the formula score', { skip }, async (t) => {
  const s = await startSandboxServer(t);
  const started = await puduc(s.url, s.adminToken, ['scenario', 'run', 'scenarios/monolith/disk-full.yaml', '--json']);
  assert.equal(started.code, 0, started.stderr);
  const { run: created, traineeToken } = JSON.parse(started.stdout) as { run: RunStatus; traineeToken: string };
  s.defer(() => s.client().abortRun(created.id));
  const trainee = s.client(traineeToken);
  // Follow the run live over SSE the whole time, like the web UI does.
  const streamed: string[] = [];
  const sse = new AbortController();
  const following = trainee.streamRunEvents(created.id, (e) => streamed.push(e.kind), { signal: sse.signal });
  const live = await waitFor('the disk fault to strike', async () => {
    const r = await s.client().getRun(created.id);
    assert.notEqual(r.state, 'failed', r.error ?? '');
    return r.state === 'running' && r.faults.every((f) => f.state === 'active') ? r : undefined;
  }, 60_000);
  assert.equal(live.objectives[0]?.passing, false);
  assert.ok(live.alerts.every((a) => a.fired));

  const hint = await trainee.takeHint(created.id);
  assert.equal(hint.index, 0);
  const vm = live.vms[0]!;
  const culprit = await findAndRemoveCulprit(vm);
  const fixedAt = Date.now();

  const resolved = await waitFor('status to show resolved', async () => {
    const r = await trainee.getRun(created.id);
    return r.state === 'resolved' ? r : undefined;
  }, 5000, 50);
  const seenAfterMs = Date.now() - fixedAt;
  t.diagnostic(`culprit ${culprit}; resolved visible ${seenAfterMs} ms after the fix; resolvedAtMs ${resolved.resolvedAtMs}`);
  assert.ok(seenAfterMs <= 1000, `resolved showed ${seenAfterMs} ms after the fix`);
  const startedAtMs = Date.parse(resolved.startedAt!);
  const measured = fixedAt - startedAtMs;
  assert.ok(resolved.resolvedAtMs! >= measured - 1000 && resolved.resolvedAtMs! <= measured + 1000, `resolvedAtMs ${resolved.resolvedAtMs} vs measured ${measured}`);
  const parsed = parseScenario(await readFile(DISK_FULL, 'utf8'), DISK_FULL);
  assert.ok(parsed.ok);
  const expected = scoreRun({ scoring: compileScenario(parsed.spec).scoring, resolvedAtMs: resolved.resolvedAtMs!, hintsTaken: 1 });
  assert.equal(resolved.scoreDetail.score, expected.score);
  assert.equal(resolved.scoreDetail.hintPenalty, 10);
  assert.equal(resolved.hintsUsed, 1);

  // The fleet stays for the review after the fix; the trainee ends it, then it tears down.
  assert.ok(resolved.reviewUntil, 'a review window after the fix');
  assert.equal((await s.client().getFleet(resolved.fleetId!)).state, 'ready');
  const done = await puduc(s.url, traineeToken, ['scenario', 'done', created.id]);
  assert.equal(done.code, 0, done.stderr);
  await waitFor('the fleet to be destroyed', async () => ((await s.client().getFleet(resolved.fleetId!)).state === 'deleted' ? true : undefined), 15_000);
  const kinds = (await s.client().listRunEvents(created.id)).map((e) => e.kind);
  for (const k of ['run.created', 'fleet.ready', 'run.started', 'alert.fired', 'fault.applied', 'hint.taken', 'objective.passed', 'run.resolved', 'review.ended', 'fleet.destroyed']) {
    assert.ok(kinds.includes(k), `no ${k} in ${kinds.join(',')}`);
  }
  assert.ok(kinds.indexOf('run.resolved') < kinds.indexOf('fleet.destroyed'));
  const st = await puduc(s.url, traineeToken, ['scenario', 'status', created.id]);
  assert.equal(st.code, 0, st.stderr);
  assert.match(st.stdout, /state +resolved/);
  assert.match(st.stdout, /✓ disk-recovered/);
  assert.ok(s.openapi.checked > 10);

  await waitFor('the SSE stream to deliver the resolution', async () => (streamed.includes('fleet.destroyed') ? true : undefined), 5000);
  sse.abort();
  await following;
  // The trainee's stream is the stored events minus fault.* (which would name the cause).
  assert.deepEqual(streamed, kinds.filter((k) => !k.startsWith('fault.')), 'the live stream and the stored events differ');
  assert.deepEqual(resolved.faults, [], 'a trainee sees the fault list');

  const text = await s.client().metricsText();
  const getRunRoute = fastifyPath(apiRoute('getRun')).replaceAll('/', '\\/');
  for (const re of [/^pudu_runs\{state="resolved"\} 1$/m, /^pudu_fault_injections_total\{type="disk",result="applied"\} 1$/m, /^pudu_time_to_fix_seconds_count\{scenario="monolith-disk-full-001"\} 1$/m,
    /^pudu_fleet_boot_seconds_count\{driver="sandbox"\} 1$/m, new RegExp(`^pudu_api_request_duration_seconds_count\\{method="GET",route="${getRunRoute}",status="200"\\} \\d+$`, 'm'), /^pudu_hints_taken_total\{scenario="monolith-disk-full-001"\} 1$/m]) {
    assert.match(text, re);
  }
  await assert.rejects(trainee.metricsText(), (e: { status: number }) => e.status === 403);
});

test('abort reverts every fault (checked inside the VM) and destroys the fleet', { skip }, async (t) => {
  const s = await startSandboxServer(t);
  const yaml = await readFile(DISK_FULL, 'utf8');
  const admin = s.client();
  // Kept fleet: look inside the VM after the abort.
  const kept = (await admin.runScenario({ yaml, file: 'disk-full.yaml', keepFleet: true })).run;
  s.defer(async () => {
    const f = (await admin.getRun(kept.id)).fleetId;
    if (f) await admin.deleteFleet(f);
  });
  const live = await waitFor('the fault to strike', async () => {
    const r = await admin.getRun(kept.id);
    return r.state === 'running' && r.faults.every((f) => f.state === 'active') ? r : undefined;
  }, 60_000);
  const vm = live.vms[0]!;
  const before = await sshExec(vm.guestIp, vm.hostLink, 'df --output=pcent / | tail -1');
  assert.match(before.stdout.trim(), /^(9\d|100)%$/);
  const aborted = await admin.abortRun(kept.id);
  assert.equal(aborted.state, 'aborted');
  assert.ok(aborted.faults.every((f) => f.state === 'reverted'), JSON.stringify(aborted.faults));
  const after = await sshExec(vm.guestIp, vm.hostLink, 'df --output=pcent / | tail -1; ls /var/log/app 2>/dev/null | wc -l');
  const [pcent] = after.stdout.trim().split('\n');
  assert.ok(Number(pcent!.replace('%', '')) < 50, `disk still full after abort: ${after.stdout}`);

  // Default: the fleet goes too, and its network namespace with it.
  const gone = (await admin.runScenario({ yaml, file: 'disk-full.yaml' })).run;
  s.defer(() => admin.abortRun(gone.id));
  const live2 = await waitFor('the fault to strike', async () => {
    const r = await admin.getRun(gone.id);
    return r.state === 'running' && r.faults.every((f) => f.state === 'active') ? r : undefined;
  }, 60_000);
  const idx = live2.vms[0]!.index;
  const a2 = await admin.abortRun(gone.id);
  assert.equal(a2.state, 'aborted');
  assert.equal((await admin.getFleet(a2.fleetId!)).state, 'deleted');
  const netns = await run('ip', ['netns', 'list']);
  assert.doesNotMatch(netns.stdout, new RegExp(`\\bpudu-vm${idx}\\b`));
  await assert.rejects(admin.takeHint(gone.id), (e: { code: string }) => e.code === 'RUN_NOT_ACTIVE');

  // Aborted while its fleet is still booting: the fleet that finishes booting is destroyed too.
  const early = (await admin.runScenario({ yaml, file: 'disk-full.yaml' })).run;
  const a3 = await admin.abortRun(early.id);
  assert.equal(a3.state, 'aborted');
  await waitFor('the late fleet to be destroyed', async () => {
    const fleets = (await admin.listFleets()).filter((f) => f.runId === early.id);
    return fleets.length > 0 && fleets.every((f) => f.state === 'deleted') ? true : undefined;
  }, 60_000, 200);
  assert.equal((await admin.getRun(early.id)).state, 'aborted');
  const audit = await admin.listAudit();
  assert.ok(audit.some((e) => e.action === `POST ${fastifyPath(apiRoute('abortRun'))}` && e.target === `run ${gone.id}` && e.result === 'ok'));
});

test('puduc terminal N driven through a pty runs hostname and shows the VM name', { skip }, async (t) => {
  const s = await startSandboxServer(t);
  const fleet = await s.client().createFleet({ count: 1 });
  s.defer(() => s.client().deleteFleet(fleet.id));
  const vm = fleet.vms[0]!;
  // script(1) gives puduc a real pty; puduc puts it in raw mode and bridges it.
  const child = spawn('script', ['-qfec', `${process.execPath} ${PUDUC.join(' ')} terminal ${vm.index}`, '/dev/null'], {
    env: { ...process.env, PUDU_SERVER: s.url, PUDU_TOKEN: s.adminToken },
    cwd: REPO_ROOT,
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', res));
  t.after(() => child.kill('SIGKILL'));
  await waitFor('the shell prompt', async () => (/root@vm-0/.test(out) ? true : undefined), 20_000);
  child.stdin.write('hostname; echo DONE$((40+2))\r');
  await waitFor('hostname output', async () => (/DONE42/.test(out) ? true : undefined), 10_000);
  child.stdin.write('exit\r');
  const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 10_000))]);
  assert.equal(code, 0, `puduc terminal did not exit cleanly: ${String(code)}\n${out}`);
  const lines = out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split(/\r?\n/);
  assert.ok(lines.some((l) => l.trim() === 'vm-0'), `hostname not shown:\n${out}`);
});
