/**
 * Acceptance: a run survives `kill -9` of the server mid-incident. The server is a real
 * child process on the sandbox driver; its VMs outlive it and the restarted server adopts
 * them — the same VMs (same agent process and instance id, the trainee's shell history
 * still there) — the run's clock has kept going, the incident is live, and the trainee's
 * fix resolves it with the right score.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupHost } from '@pudu/drivers';
import { agentPath } from '@pudu/schema';
import { PuduClient } from '@pudu/client';
import { compileScenario, parseScenario, scoreRun } from '@pudu/engine';
import { REPO_ROOT } from './harness.ts';
import { serverOwner } from '../../packages/server/src/fleets/server-owner.ts';
import { OpenApiChecker } from './openapi-check.ts';
import { sandboxSkipReason } from './sandbox-server.ts';
import { FatalWait, sshExec, waitFor } from './vm-shell.ts';

const DISK_FULL = join(REPO_ROOT, 'scenarios/monolith/disk-full.yaml');

interface Proc { child: ChildProcess; out: () => string; url: Promise<string> }

/** The agent's main PID, its instance id (from the identity on its /health reply) and the last line the trainee typed. */
const AGENT_AND_HISTORY = [
  'systemctl show -p MainPID pudu-agent',
  `curl -s -D - -o /dev/null --unix-socket /run/pudu-agent/agent.sock http://agent${agentPath('health')} | tr -d '\\r' | sed -n 's/^x-pudu-agent: //Ip' | base64 -d 2>/dev/null | jq -r .instance_id`,
  'tail -1 /dev/shm/trainee-history',
].join('; ');

function startServerProcess(dataDir: string, port: number): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'packages/server/src/main.ts'), 'server',
    '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir, '--driver', 'sandbox', '--library', join(REPO_ROOT, 'scenarios')], { cwd: REPO_ROOT });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = waitFor('the server to listen', async () => {
    if (child.exitCode !== null) throw new FatalWait(`the server exited with ${child.exitCode}`);
    return /serving on (http:\/\/\S+)/.exec(out)?.[1];
  }, 300_000, 100).catch((e: Error) => {
    throw new Error(`${e.message}\n${out}`);
  });
  return { child, out: () => out, url };
}

/**
 * A server on a fresh data directory, its URL and admin token; `restart()` starts another on
 * the same directory and port. After the test every server is killed, the VMs they left
 * (waiting for a server on this database) are removed, and the directory goes.
 */
async function firstServer(t: TestContext): Promise<{ first: Proc; url: string; adminToken: string; restart: () => Proc }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pudu-kill9-'));
  const procs: ChildProcess[] = [];
  t.after(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await cleanupHost({ orphansOnly: true, ownerId: serverOwner(join(dataDir, 'pudu.db')).id });
    rmSync(dataDir, { recursive: true, force: true });
  });
  const start = (port: number): Proc => {
    const p = startServerProcess(dataDir, port);
    procs.push(p.child);
    return p;
  };
  const first = start(0);
  const url = await first.url;
  const adminToken = /admin token \(shown once; store it now\): (\S+)/.exec(first.out())?.[1];
  assert.ok(adminToken, first.out());
  return { first, url, adminToken, restart: () => start(Number(new URL(url).port)) };
}

async function fixDisk(vm: { guestIp: string; hostLink: string }): Promise<void> {
  const found = await sshExec(vm.guestIp, vm.hostLink, 'find / -xdev -type f -size +50M -printf "%s %p\\n" 2>/dev/null | sort -rn | head -1 | cut -d" " -f2-');
  const culprit = found.stdout.trim();
  assert.ok(culprit.startsWith('/'), `no culprit: ${found.stdout}`);
  const rm = await sshExec(vm.guestIp, vm.hostLink, `rm -f '${culprit}'`);
  // -1: the session ended without an exit status — the fix resolved the run and its teardown took
  // the VM before the status came back. The caller's wait for `resolved` checks the fix.
  assert.ok(rm.code === 0 || rm.code === -1, `rm ${culprit}: exit ${rm.code} ${rm.stdout} ${rm.stderr}`);
}

test('a run survives kill -9 of the server and a restart mid-incident, then resolves with a correct score', { skip: sandboxSkipReason(), timeout: 600_000 }, async (t) => {
  const { first, url, adminToken, restart } = await firstServer(t);
  const openapi = await OpenApiChecker.load(url);
  const admin = new PuduClient({ baseUrl: url, token: adminToken, fetch: openapi.fetch() });

  const { run, traineeToken } = await admin.runScenario({ yaml: readFileSync(DISK_FULL, 'utf8'), file: 'disk-full.yaml' });
  const trainee = new PuduClient({ baseUrl: url, token: traineeToken, fetch: openapi.fetch() });
  await waitFor('the incident to be live', async () => {
    const r = await admin.getRun(run.id);
    return r.state === 'running' && r.faults.every((f) => f.state === 'active') ? r : undefined;
  }, 60_000);
  await trainee.takeHint(run.id);
  const before = await trainee.getRun(run.id);
  const vm0 = before.vms[0]!;
  // What only the same VM can show: the agent process with its instance id, and what the trainee typed
  // (in memory, tmpfs: the disk is full, and a VM booted afresh would not have it).
  await sshExec(vm0.guestIp, vm0.hostLink, 'echo "du -sh /var/log  # typed before the crash" >> /dev/shm/trainee-history');
  const sameVm = async (vm: { guestIp: string; hostLink: string }) => (await sshExec(vm.guestIp, vm.hostLink, AGENT_AND_HISTORY)).stdout.trim();
  const fingerprint = await sameVm(vm0);
  assert.match(fingerprint, /^MainPID=\d+\n[A-Za-z0-9_-]+\ndu -sh \/var\/log/, fingerprint);

  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  const downMs = 2000;
  await new Promise((r) => setTimeout(r, downMs));

  const second = restart();
  await second.url;
  assert.doesNotMatch(second.out(), /admin token/, 'a restart must not mint a new admin token');
  const live = await waitFor('the incident to be live again', async () => {
    const r = await admin.getRun(run.id);
    assert.equal(r.state, 'running', `${r.state}: ${r.error ?? ''}`);
    return r.faults.every((f) => f.state === 'active') && r.vms.length === 1 ? r : undefined;
  }, 90_000, 200);
  assert.equal(live.startedAt, before.startedAt, 'the clock was restarted');
  assert.ok(live.elapsedMs >= before.elapsedMs + downMs, `elapsed ${live.elapsedMs} did not keep counting from ${before.elapsedMs}`);
  assert.equal(live.hintsUsed, 1, 'the hint taken before the crash was lost');
  assert.deepEqual(live.vms.map((v) => [v.name, v.index]), before.vms.map((v) => [v.name, v.index]), 'the same VMs');
  assert.equal(await sameVm(live.vms[0]!), fingerprint, 'the same agent process and instance, and what the trainee typed is still there');
  const df = await sshExec(live.vms[0]!.guestIp, live.vms[0]!.hostLink, 'df --output=pcent / | tail -1');
  assert.match(df.stdout.trim(), /^(9\d|100)%$/, 'the incident is not live in the VM after the restart');

  await fixDisk(live.vms[0]!);
  const fixedAt = Date.now();
  const done = await waitFor('resolved', async () => {
    const r = await trainee.getRun(run.id);
    return r.state === 'resolved' ? r : undefined;
  }, 5000, 50);
  assert.ok(Date.now() - fixedAt <= 1000);
  const parsed = parseScenario(readFileSync(DISK_FULL, 'utf8'), DISK_FULL);
  assert.ok(parsed.ok);
  const expected = scoreRun({ scoring: compileScenario(parsed.spec).scoring, resolvedAtMs: done.resolvedAtMs!, hintsTaken: 1 });
  assert.equal(done.scoreDetail.score, expected.score);
  const measured = fixedAt - Date.parse(done.startedAt!);
  assert.ok(Math.abs(done.resolvedAtMs! - measured) <= 1000, `resolvedAtMs ${done.resolvedAtMs} vs measured ${measured}`);
  const runEvents = await admin.listRunEvents(run.id);
  const kinds = runEvents.map((e) => e.kind);
  assert.ok(kinds.includes('run.resumed'), kinds.join(','));
  assert.deepEqual(runEvents.find((e) => e.kind === 'fleet.adopted')?.data.replaced, [], 'adopted with nothing replaced');
  assert.ok(!kinds.includes('fleet.lost'), `the VMs were adopted, not replaced: ${kinds.join(',')}`);
  assert.match(second.out(), /fleet f[0-9a-f]+: adopted \(1 VM\(s\) still running\)/);
  t.diagnostic(`elapsed before kill ${before.elapsedMs} ms, after restart ${live.elapsedMs} ms; score ${done.scoreDetail.score}; events ${kinds.join(',')}`);
  second.child.kill('SIGTERM');
  await new Promise((r) => second.child.once('exit', r));
});

test('a VM that died while the server was down is booted afresh at its old address, named in fleet.adopted, and its fault is back', { skip: sandboxSkipReason(), timeout: 600_000 }, async (t) => {
  const { first, url, adminToken, restart } = await firstServer(t);
  const admin = new PuduClient({ baseUrl: url, token: adminToken });
  const { run } = await admin.runScenario({ yaml: readFileSync(DISK_FULL, 'utf8'), file: 'disk-full.yaml' });
  const before = await waitFor('the incident to be live', async () => {
    const r = await admin.getRun(run.id);
    return r.state === 'running' && r.faults.every((f) => f.state === 'active') ? r : undefined;
  }, 60_000);
  const vm = before.vms[0]!;
  const bootBefore = (await sshExec(vm.guestIp, vm.hostLink, 'cat /proc/sys/kernel/random/boot_id; cat /proc/1/stat | cut -d" " -f22')).stdout;

  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  // While no server runs, the VM dies (its launcher holds its namespaces: killing it ends the VM).
  const meta = JSON.parse(readFileSync(`/var/lib/pudu/sandbox/pudu-vm${vm.index}/vm.json`, 'utf8')) as { launcherPid: number };
  process.kill(meta.launcherPid, 'SIGKILL');
  // Any other process's orphan sweep (a driver starting elsewhere) leaves its remains to its owner.
  const swept = await cleanupHost({ orphansOnly: true });
  assert.ok(!swept.removed.some((r) => r.includes(`(pudu-vm${vm.index})`)), swept.removed.join('\n'));

  const second = restart();
  await second.url;
  const live = await waitFor('the incident to be live on the replacement', async () => {
    const r = await admin.getRun(run.id);
    assert.equal(r.state, 'running', `${r.state}: ${r.error ?? ''}`);
    const events = await admin.listRunEvents(run.id);
    return events.some((e) => e.kind === 'fault.applied' && e.seq > (events.find((x) => x.kind === 'fleet.adopted')?.seq ?? Infinity)) ? r : undefined;
  }, 120_000, 200);
  assert.deepEqual(live.vms.map((v) => [v.name, v.index, v.guestIp]), before.vms.map((v) => [v.name, v.index, v.guestIp]), 'booted afresh at its old index and address');
  const events = await admin.listRunEvents(run.id);
  const adopted = events.find((e) => e.kind === 'fleet.adopted');
  assert.deepEqual(adopted?.data.replaced, [vm.name], 'the event says which VM was replaced');
  assert.ok(events.some((e) => e.kind === 'fault.lost'), events.map((e) => e.kind).join(','));
  assert.ok(!events.some((e) => e.kind.startsWith('integrity.')), 'a VM Pudu replaced is not an integrity finding');
  assert.match(second.out(), new RegExp(`replaced ${vm.name}, which were gone`));
  const bootAfter = (await sshExec(vm.guestIp, vm.hostLink, 'cat /proc/sys/kernel/random/boot_id; cat /proc/1/stat | cut -d" " -f22')).stdout;
  assert.notEqual(bootAfter, bootBefore, 'a new VM (its PID 1 started anew)');
  const df = await sshExec(vm.guestIp, vm.hostLink, 'df --output=pcent / | tail -1');
  assert.match(df.stdout.trim(), /^(9\d|100)%$/, 'the fault is back on the new VM');
  await fixDisk(vm);
  await waitFor('resolved', async () => ((await admin.getRun(run.id)).state === 'resolved' ? true : undefined), 30_000, 100);
  second.child.kill('SIGTERM');
  await new Promise((r) => second.child.once('exit', r));
});
