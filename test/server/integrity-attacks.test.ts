/**
 * Issue 11, acceptance 1: the trainee who wants the points, as root in the VM of a live
 * disk-full run, attacks the agent. For each attack: the run does not resolve, the fault is
 * back within 2 s, an integrity.* event appears for staff (never for the trainee), the score
 * is unchanged — and the real fix afterwards still resolves the run.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RunStatus } from '@pudu/schema';
import type { TestServer } from './harness.ts';
import { REPO_ROOT } from './harness.ts';
import { sandboxSkipReason, startSandboxServer } from './sandbox-server.ts';
import { sshExec, waitFor } from './vm-shell.ts';

const execP = promisify(execFile);
const PUDUC = ['--import', 'tsx', join(REPO_ROOT, 'packages/cli/src/main.ts')];
const skip = sandboxSkipReason();
const BACK_WITHIN_MS = 2000;
const FILL = '/var/log/app/debug.log';

type Vm = RunStatus['vms'][number];

interface LiveRun {
  id: string;
  vm: Vm;
  trainee: ReturnType<TestServer['client']>;
}

async function startRun(s: TestServer): Promise<LiveRun> {
  const r = await execP(process.execPath, [...PUDUC, 'scenario', 'run', 'scenarios/monolith/disk-full.yaml', '--json'], { env: { ...process.env, PUDU_SERVER: s.url, PUDU_TOKEN: s.adminToken }, cwd: REPO_ROOT });
  const { run, traineeToken } = JSON.parse(r.stdout) as { run: RunStatus; traineeToken: string };
  s.defer(() => s.client().abortRun(run.id).catch(() => undefined));
  const live = await waitFor('the disk fault to strike and the incident to show', async () => {
    const st = await s.client().getRun(run.id);
    assert.notEqual(st.state, 'failed', st.error ?? '');
    return st.state === 'running' && st.faults.every((f) => f.state === 'active') && st.objectives.every((o) => !o.passing) ? st : undefined;
  }, 60_000);
  // Two failing rounds make the incident "seen" (run rules): give them time.
  await new Promise((r) => setTimeout(r, 1000));
  return { id: run.id, vm: live.vms[0]!, trainee: s.client(traineeToken) };
}

const sh = (vm: Vm, cmd: string) => sshExec(vm.guestIp, vm.hostLink, cmd);

async function diskFull(vm: Vm): Promise<boolean> {
  const df = await sh(vm, 'df --output=pcent / | tail -1');
  return Number(df.stdout.trim().replace('%', '')) >= 95;
}

async function integrityKinds(s: TestServer, run: LiveRun): Promise<string[]> {
  return (await s.client().listRunEvents(run.id)).map((e) => e.kind).filter((k) => k.startsWith('integrity.'));
}

/** Watches the run for `ms`: it must stay running (no resolution, no score) the whole time. */
async function staysUnresolved(s: TestServer, run: LiveRun, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const st = await s.client().getRun(run.id);
    assert.equal(st.state, 'running', `the run ${st.state} during the attack`);
    assert.equal(st.resolvedAtMs, null);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Waits until Pudu holds the fault again and returns how long after `since` that was, by the
 * server's own clock on the re-injection event (polling adds nothing); the effect is checked too.
 */
async function faultBack(t: TestContext, s: TestServer, run: LiveRun, since: number): Promise<number> {
  const ev = await waitFor('the fault to be injected again', async () => (await s.client().listRunEvents(run.id)).find((e) => e.kind === 'integrity.fault_reinjected'), 10_000, 50);
  assert.ok(await diskFull(run.vm), 'the disk is full again');
  const events = (await s.client().listRunEvents(run.id)).filter((e) => e.kind.startsWith('integrity.') || e.kind === 'fault.applied');
  t.diagnostic(events.map((e) => `${e.kind} +${Date.parse(e.at) - since} ms`).join('; '));
  return Date.parse(ev.at) - since;
}

/** The trainee's real fix, then the run resolves; integrity events stay staff-only. */
async function realFixResolves(t: TestContext, s: TestServer, run: LiveRun): Promise<void> {
  const rm = await sh(run.vm, `rm -f ${FILL}`);
  assert.equal(rm.code, 0, rm.stderr);
  const resolved = await waitFor('the real fix to resolve the run', async () => {
    const st = await s.client().getRun(run.id);
    return st.state === 'resolved' ? st : undefined;
  }, 10_000, 100);
  assert.ok(resolved.score !== null && resolved.score > 0);
  const traineeKinds = (await run.trainee.listRunEvents(run.id)).map((e) => e.kind);
  assert.deepEqual(traineeKinds.filter((k) => k.startsWith('integrity.')), [], 'integrity events are for staff only');
  assert.ok(resolved.integrity.length > 0, 'the run\'s result lists what happened for staff');
  assert.deepEqual((await run.trainee.getRun(run.id)).integrity, [], 'and not for the trainee');
  t.diagnostic(`staff saw: ${(await integrityKinds(s, run)).join(', ')}`);
}

/** The disk stays full for `ms` (sampled): the fault never left. */
async function staysFull(run: LiveRun, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) assert.ok(await diskFull(run.vm), 'the disk was freed: the fault left');
}

test('attack 1: kill -9 of the agent does not resolve and the fault never leaves; stop + start brings it back within 2 s', { skip, timeout: 240_000 }, async (t) => {
  const s = await startSandboxServer(t);
  // kill -9: systemd restarts the agent, which keeps what its journal says it applied.
  const killed = await startRun(s);
  const k = await sh(killed.vm, 'systemctl kill --signal=SIGKILL pudu-agent');
  assert.equal(k.code, 0, k.stderr);
  await Promise.all([staysFull(killed, 3000), staysUnresolved(s, killed, 3000)]);
  await waitFor('the restart to show for staff', async () => ((await integrityKinds(s, killed)).includes('integrity.agent_restarted') ? true : undefined), 10_000);
  assert.ok(!(await integrityKinds(s, killed)).includes('integrity.fault_lost'), 'the restarted agent kept the fault');
  await realFixResolves(t, s, killed);
  // stop (SIGTERM reverts everything) then start: Pudu sees the new instance without the fault and injects it again.
  const stopped = await startRun(s);
  const r = await sh(stopped.vm, 'systemctl stop pudu-agent && sleep 1 && systemctl start pudu-agent');
  assert.equal(r.code, 0, r.stderr);
  const back = await faultBack(t, s, stopped, Date.now());
  t.diagnostic(`stop + start: fault back ${back} ms after the agent was started again`);
  assert.ok(back <= BACK_WITHIN_MS, `fault back after ${back} ms`);
  await staysUnresolved(s, stopped, 1500);
  const kinds = await integrityKinds(s, stopped);
  for (const kind of ['integrity.agent_restarted', 'integrity.fault_lost', 'integrity.fault_reinjected']) assert.ok(kinds.includes(kind), `${kind} in ${kinds.join(',')}`);
  const audit = await s.client().listAudit(200);
  assert.ok(audit.some((a) => a.action === 'integrity.fault_lost' && a.target.includes(stopped.id)), 'audited');
  await realFixResolves(t, s, stopped);
  assert.match(await s.client().metricsText(), /pudu_run_events_total\{kind="integrity\.fault_lost"\} [1-9]/);
});

test('attack 2: something else answering in the agent\'s place fails authentication and never resolves the run', { skip, timeout: 180_000 }, async (t) => {
  const s = await startSandboxServer(t);
  const run = await startRun(s);
  // Root stops the agent and serves "all healthy" on its socket.
  const fake = `require('http').createServer((q, r) => { r.setHeader('content-type', 'application/json'); r.end(JSON.stringify({ status: 'ok', deadman_ms: 60000, active_faults: 0, faults: [], cpu_pct: 1, mem_used_pct: 10, mem_used_mb: 50, mem_total_mb: 512, disk_used_pct: 3, disk_free_mb: 900, disk_total_mb: 1000, load_avg_1: 0, cpus: 1, source: { cpu: 'proc', memory: 'proc' }, sampled_at: new Date().toISOString() })); }).listen('/run/pudu-agent/agent.sock')`;
  const r = await sh(run.vm, `systemctl stop pudu-agent && rm -f /run/pudu-agent/agent.sock && systemd-run --unit=fake-agent /usr/local/bin/node -e "${fake.replace(/"/g, '\\"')}"`);
  assert.equal(r.code, 0, r.stderr);
  await staysUnresolved(s, run, 3000);
  assert.ok((await integrityKinds(s, run)).includes('integrity.reply_unauthenticated'));
  // The real agent comes back: Pudu notices the new instance and injects the fault again.
  const t0 = Date.now();
  await sh(run.vm, 'systemctl stop fake-agent; rm -f /run/pudu-agent/agent.sock; systemctl start pudu-agent');
  const back = await faultBack(t, s, run, t0);
  t.diagnostic(`fault back ${back} ms after the real agent was started again`);
  assert.ok(back <= BACK_WITHIN_MS, `fault back after ${back} ms`);
  await staysUnresolved(s, run, 1000);
  await realFixResolves(t, s, run);
});

test('attack 3: requests captured on the agent\'s socket and played again (or re-aimed at /fault/stop) are refused', { skip, timeout: 180_000 }, async (t) => {
  const s = await startSandboxServer(t);
  const run = await startRun(s);
  // Root moves the agent's socket aside and puts a recording proxy in its place (captures in
  // /dev/shm: the disk is full).
  const proxy = `const net = require('net'), fs = require('fs'); let n = 0; net.createServer((c) => { const f = '/dev/shm/cap.' + (n++); const u = net.connect('/run/pudu-agent/.real.sock'); c.on('data', (d) => fs.appendFileSync(f, d)); c.pipe(u); u.pipe(c); c.on('error', () => {}); u.on('error', () => {}); }).listen('/run/pudu-agent/agent.sock')`;
  const p = await sh(run.vm, `mv /run/pudu-agent/agent.sock /run/pudu-agent/.real.sock && systemd-run --unit=cap-proxy /usr/local/bin/node -e "${proxy.replace(/"/g, '\\"')}"`);
  assert.equal(p.code, 0, p.stderr);
  await new Promise((r) => setTimeout(r, 2000));
  const replay = `const net = require('net'), fs = require('fs');
    const caps = fs.readdirSync('/dev/shm').filter((f) => f.startsWith('cap.')).map((f) => fs.readFileSync('/dev/shm/' + f, 'latin1'));
    const stop = caps.map((c) => c.replace(/^(GET|POST) \\S+/, 'POST /fault/stop').replace(/content-length: \\d+/i, 'content-length: 0'));
    const send = (raw) => new Promise((res) => { const s = net.connect('/run/pudu-agent/.real.sock'); let out = ''; s.on('data', (d) => out += d); s.on('close', () => res(out.split(' ')[1])); s.on('error', () => res('err')); s.end(raw); });
    (async () => { const codes = []; for (const raw of [...caps.slice(0, 5), ...stop.slice(0, 5)]) codes.push(await send(raw)); console.log(caps.length + ' ' + codes.join(',')); })();`;
  const out = await sh(run.vm, `/usr/local/bin/node -e "${replay.replace(/"/g, '\\"').replace(/\n/g, ' ')}"`);
  assert.equal(out.code, 0, out.stderr);
  const [captured, codes] = out.stdout.trim().split(' ');
  t.diagnostic(`captured ${captured} requests; replayed answers ${codes}`);
  assert.ok(Number(captured) > 0, 'the proxy saw the server\'s requests');
  assert.ok(codes!.split(',').every((c) => c === '401'), `every replayed or re-aimed request refused: ${codes}`);
  assert.ok(await diskFull(run.vm), 'the fault still holds');
  await waitFor('the refusals to show for staff', async () => ((await integrityKinds(s, run)).includes('integrity.requests_refused') ? true : undefined), 5000);
  await staysUnresolved(s, run, 1000);
  await sh(run.vm, 'systemctl stop cap-proxy; mv /run/pudu-agent/.real.sock /run/pudu-agent/agent.sock');
  await realFixResolves(t, s, run);
});

test('attack 4: an emptied journal and a killed agent: the fault never leaves and Pudu holds it again', { skip, timeout: 180_000 }, async (t) => {
  const s = await startSandboxServer(t);
  const run = await startRun(s);
  const t0 = Date.now();
  const r = await sh(run.vm, 'for f in /var/lib/pudu-agent/*; do dd if=/dev/zero of="$f" bs=64k count=8 conv=notrunc status=none; done; systemctl kill --signal=SIGKILL pudu-agent');
  assert.equal(r.code, 0, r.stderr);
  await Promise.all([staysFull(run, 2500), staysUnresolved(s, run, 2500)]);
  // The new instance knows nothing of it; the server injects it again (the leftover fill is adopted).
  const held = await faultBack(t, s, run, t0);
  t.diagnostic(`the agent holds the fault again ${held} ms after the attack (the disk never emptied)`);
  await staysUnresolved(s, run, 1000);
  const restarted = (await s.client().listRunEvents(run.id)).find((e) => e.kind === 'integrity.agent_restarted');
  assert.equal((restarted?.data as { journal?: string } | undefined)?.journal, 'lost');
  await realFixResolves(t, s, run);
});
