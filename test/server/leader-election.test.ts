/**
 * Issue 15: several `pudu server` replicas on one PostgreSQL. Two real server processes
 * (sandbox driver, data dirs of their own) share a real PostgreSQL. The first leads: it alone
 * opens the driver, reconciles and runs the run loops; the second is a follower that never
 * opens the driver and forwards the API to the leader. The leader is killed with -9
 * mid-incident: the follower wins the election, adopts the VMs, resumes the run, and the
 * trainee's fix — through the former follower — resolves it with the formula's score. While
 * no replica can answer, calls get 503 LEADER_UNAVAILABLE with Retry-After, never a wrong answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupHost } from '@pudu/drivers';
import { PuduClient } from '@pudu/client';
import { compileScenario, parseScenario, scoreRun } from '@pudu/engine';
import { apiPath } from '@pudu/schema';
import { REPO_ROOT } from './harness.ts';
import { serverOwner } from '../../packages/server/src/fleets/server-owner.ts';
import { sandboxSkipReason } from './sandbox-server.ts';
import { postgresSkipReason, startPostgres } from './postgres-instance.ts';
import { FatalWait, sshExec, waitFor } from './vm-shell.ts';
import { openTerminal } from './terminal-ws-client.ts';

const DISK_FULL = join(REPO_ROOT, 'scenarios/monolith/disk-full.yaml');
const LEADS = /resumed the runs and leads/;
/** What the sandbox driver logs when it is opened (a follower never opens it). */
const DRIVER_OPENED = /"msg":"isolation: /;

interface Replica { child: ChildProcess; out: () => string; url: Promise<string> }

function startReplica(database: string, dataDir: string): Replica {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'packages/server/src/main.ts'), 'server',
    '--port', '0', '--bind', '127.0.0.1', '--data-dir', dataDir, '--database', database, '--driver', 'sandbox', '--library', join(REPO_ROOT, 'scenarios')], { cwd: REPO_ROOT });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = waitFor('the replica to listen', async () => {
    if (child.exitCode !== null) throw new FatalWait(`the replica exited with ${child.exitCode}`);
    return /serving on (http:\/\/\S+)/.exec(out)?.[1];
  }, 300_000, 100).catch((e: Error) => {
    throw new Error(`${e.message}\n${out}`);
  });
  return { child, out: () => out, url };
}

const reason = sandboxSkipReason() ?? postgresSkipReason();

test('two replicas on one PostgreSQL: only the leader runs the loops; after kill -9 of the leader the follower takes over and the run resolves', { skip: reason, timeout: 600_000 }, async (t) => {
  const pg = await startPostgres();
  const dirs = [mkdtempSync(join(tmpdir(), 'pudu-replica-a-')), mkdtempSync(join(tmpdir(), 'pudu-replica-b-'))];
  const procs: ChildProcess[] = [];
  t.after(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await cleanupHost({ orphansOnly: true, ownerId: serverOwner(pg.url).id });
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await pg.stop();
  });

  const a = startReplica(pg.url, dirs[0]!);
  procs.push(a.child);
  await a.url;
  await waitFor('replica A to lead', async () => (LEADS.test(a.out()) ? true : undefined), 120_000);
  const adminToken = await waitFor('the admin token', async () => /admin token \(shown once; store it now\): (\S+)/.exec(a.out())?.[1], 10_000);
  const b = startReplica(pg.url, dirs[1]!);
  procs.push(b.child);
  const urlB = await b.url;
  assert.match(b.out(), /serves as a follower/);

  // Every call goes to the follower: it forwards them to the leader.
  const admin = new PuduClient({ baseUrl: urlB, token: adminToken });
  const { run, traineeToken } = await admin.runScenario({ yaml: readFileSync(DISK_FULL, 'utf8'), file: 'disk-full.yaml' });
  const trainee = new PuduClient({ baseUrl: urlB, token: traineeToken });
  const before = await waitFor('the incident to be live', async () => {
    const r = await trainee.getRun(run.id);
    assert.notEqual(r.state, 'failed', r.error ?? '');
    return r.state === 'running' && r.faults.every((f) => f.state === 'active') && r.objectives.every((o) => o.checkedAt !== null) ? r : undefined;
  }, 180_000, 200);
  assert.ok(b.out().includes(`forwarded POST ${apiPath('runScenario')} → leader: 201`), 'the follower forwarded the run\'s start');
  assert.match(a.out(), DRIVER_OPENED, 'the leader opened the driver');
  assert.doesNotMatch(b.out(), DRIVER_OPENED, 'the follower never opened the driver (it runs no loop, holds no VM)');
  assert.doesNotMatch(b.out(), LEADS);
  // The terminal WebSocket through the follower: tunnelled to the leader, which opens the shell.
  const term = await openTerminal(urlB.replace('http', 'ws') + apiPath('terminal', {}, { vm: before.vms[0]!.index }), traineeToken);
  // Keys sent before the shell's prompt can be lost (the session is wired after the upgrade): wait for it.
  await term.seen('root@app-0:~#', 30_000);
  term.type('echo through-$((40+2))\n');
  await term.seen('through-42');
  await term.close();
  const starts = (await admin.listAudit(1000)).filter((e) => e.action === `POST ${apiPath('runScenario')}`);
  assert.equal(starts.length, 1, `the run's start is audited once, by the leader: ${JSON.stringify(starts)}`);
  assert.doesNotMatch(starts[0]!.actor, /anonymous/);

  a.child.kill('SIGKILL');
  const killedAt = Date.now();
  await new Promise((r) => a.child.once('exit', r));
  // What callers see during the election and the take-over: the answer, or a 503 that says to retry.
  const seen = new Map<string, number>();
  const live = await waitFor('the follower to take over and the incident to be checked again', async () => {
    const res = await fetch(urlB + apiPath('getRun', { id: run.id }), { headers: { authorization: `Bearer ${traineeToken}` } });
    const body = await res.json() as { code?: string; state?: string; objectives?: { checkedAt: string | null }[]; faults?: { state: string }[] };
    const key = res.status === 200 ? '200' : `${res.status} ${body.code ?? '?'} retry-after=${res.headers.get('retry-after')}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    if (res.status !== 200) return undefined;
    assert.equal(body.state, 'running');
    const checkedAfterKill = (body.objectives ?? []).every((o) => o.checkedAt !== null && Date.parse(o.checkedAt) > killedAt);
    return checkedAfterKill && (body.faults ?? []).every((f) => f.state === 'active') ? body : undefined;
  }, 180_000, 100);
  const takeoverMs = Date.now() - killedAt;
  assert.ok(live);
  for (const k of seen.keys()) assert.ok(k === '200' || k === '503 LEADER_UNAVAILABLE retry-after=1', `unexpected answer during the take-over: ${k}`);
  assert.match(b.out(), LEADS);
  assert.match(b.out(), DRIVER_OPENED, 'the new leader opened the driver');
  assert.match(b.out(), /fleet f[0-9a-f]+: adopted \(1 VM\(s\) still running\)/, 'the new leader adopted the VMs the old one left');

  const vm = (await trainee.getRun(run.id)).vms[0]!;
  assert.equal(vm.index, before.vms[0]!.index, 'the same VM');
  const found = await sshExec(vm.guestIp, vm.hostLink, 'find / -xdev -type f -size +50M -printf "%s %p\\n" 2>/dev/null | sort -rn | head -1 | cut -d" " -f2-');
  const culprit = found.stdout.trim();
  assert.ok(culprit.startsWith('/'), `no culprit: ${found.stdout}`);
  const rm = await sshExec(vm.guestIp, vm.hostLink, `rm -f '${culprit}'`);
  assert.ok(rm.code === 0 || rm.code === -1, `rm ${culprit}: exit ${rm.code} ${rm.stderr}`);
  const done = await waitFor('resolved', async () => {
    const r = await trainee.getRun(run.id);
    return r.state === 'resolved' ? r : undefined;
  }, 60_000, 100);
  const parsed = parseScenario(readFileSync(DISK_FULL, 'utf8'), DISK_FULL);
  assert.ok(parsed.ok);
  const expected = scoreRun({ scoring: compileScenario(parsed.spec).scoring, resolvedAtMs: done.resolvedAtMs!, hintsTaken: 0 });
  assert.equal(done.scoreDetail.score, expected.score);
  t.diagnostic(`kill -9 of the leader → follower leads and checks again: ${takeoverMs} ms; answers meanwhile ${JSON.stringify(Object.fromEntries(seen))}; score ${done.scoreDetail.score}`);
  b.child.kill('SIGTERM');
  await new Promise((r) => b.child.once('exit', r));
});
