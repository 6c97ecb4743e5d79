// Each fault: apply → effect measured from outside → stop → baseline measured again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentClient } from '@pudu/agent';
import type { FaultType } from '@pudu/schema';
import { createAgentSandbox, type AgentSandbox } from './support/sandbox.ts';
import { readFileSync } from 'node:fs';
import { cpuPct, eventually, httpMs, memUsedMb, ping, PROBES, sleep, unitState } from './support/probes.ts';

let sb: AgentSandbox;
let agent: AgentClient;

before(async () => {
  sb = await createAgentSandbox(201);
  agent = sb.client();
});
after(async () => {
  await sb?.destroy();
});

for (const type of Object.keys(PROBES) as FaultType[]) {
  test(`a ${type} fault shows its effect from outside and stopping it brings the VM back to baseline`, async () => {
    const probe = PROBES[type];
    assert.ok(await eventually(() => probe.baseline(sb)), 'baseline before the fault');
    const rec = await agent.startFault({ id: `f-${type}`, type, params: { ...probe.params, duration: '60s' } });
    assert.equal(rec.state, 'active');
    assert.ok(await eventually(() => probe.applied(sb), 10_000), `${type} effect not observed`);
    const stopped = await agent.stopFault(`f-${type}`);
    assert.equal(stopped.state, 'reverted');
    assert.equal(stopped.reason, 'stop');
    assert.ok(await eventually(() => probe.baseline(sb), 10_000), `${type} baseline not restored`);
  });
}

test('the agent reports the VM’s own cpu share and memory while a cpu fault runs', async () => {
  await agent.startFault({ id: 'm-cpu', type: 'cpu', params: { load: '80%', duration: '30s' } });
  try {
    await sleep(1500);
    // The agent samples over 1 s; compare with the cgroup measured from outside over the same second.
    const [outside, m] = await Promise.all([cpuPct(sb, 1000), sleep(1000).then(() => agent.metrics())]);
    assert.equal(m.mem_total_mb, 512);
    assert.ok(m.cpu_pct > 20, `cpu_pct ${m.cpu_pct}`);
    assert.ok(Math.abs(m.cpu_pct - outside) < 15, `agent says ${m.cpu_pct}%, the cgroup says ${outside.toFixed(1)}%`);
    assert.ok(m.disk_total_mb < 300, `disk_total_mb ${m.disk_total_mb} is the VM's disk`);
  } finally {
    await agent.stopFault('m-cpu');
  }
  const prom = await agent.metricsPrometheus();
  assert.match(prom, /^pudu_vm_cpu_usage_ratio \d/m);
  assert.match(prom, /^pudu_agent_faults\{state="reverted"\} \d+/m);
});

test('a network loss of 20% drops about a fifth of pings and corrupt damages packets', async () => {
  await agent.startFault({ id: 'n-loss', type: 'network', params: { action: 'loss', packet_loss: '20%', duration: '60s' } });
  // 500 packets: σ ≈ 1.8 points at 20 %, so 14–26 % is ±3σ (200 packets failed once at 26 %).
  const lossy = await ping(sb, 500, 0.01);
  await agent.stopFault('n-loss');
  assert.ok(lossy.lossPct >= 14 && lossy.lossPct <= 26, `loss ${lossy.lossPct}%`);
  await agent.startFault({ id: 'n-corrupt', type: 'network', params: { action: 'corrupt', corrupt: '50%', duration: '60s' } });
  const corrupt = await ping(sb, 200, 0.01);
  await agent.stopFault('n-corrupt');
  assert.ok(corrupt.lossPct >= 30 && corrupt.lossPct <= 70, `corrupted ${corrupt.lossPct}%`);
  const clean = await ping(sb, 50, 0.01);
  assert.equal(clean.lossPct, 0);
});

test('a process restart fault crash-loops the service until stopped', async () => {
  const startsBefore = Number((await sb.exec('systemctl', 'show', '-p', 'NRestarts', '--value', 'nginx')).stdout.trim());
  await agent.startFault({ id: 'p-restart', type: 'process', params: { service: 'nginx', action: 'restart', duration: '60s' } });
  assert.ok(
    await eventually(async () => Number((await sb.exec('systemctl', 'show', '-p', 'NRestarts', '--value', 'nginx')).stdout.trim()) >= startsBefore + 2, 15_000),
    'nginx did not crash and restart twice',
  );
  await agent.stopFault('p-restart');
  assert.ok(await eventually(async () => (await unitState(sb, 'nginx')) === 'active'));
  await sleep(3000);
  assert.equal(await unitState(sb, 'nginx'), 'active', 'nginx keeps running after the crash loop is reverted');
});

test('a process degrade fault makes the service answer slowly until stopped', async () => {
  // Requests start at a fixed pace whatever the answers do, like real clients; sequential
  // requests would line up with the thawed windows and hide the slowness.
  const sample = async (n: number): Promise<number[]> => {
    const xs = await Promise.all(Array.from({ length: n }, (_, i) => sleep(i * 53).then(() => httpMs(sb))));
    return xs.sort((a, b) => a - b);
  };
  const median = (xs: number[]): number => xs[Math.floor(xs.length / 2)] as number;
  const base = await sample(9);
  await agent.startFault({ id: 'p-degrade', type: 'process', params: { service: 'nginx', action: 'degrade', duration: '60s' } });
  const slow = await sample(15);
  await agent.stopFault('p-degrade');
  const after_ = await sample(9);
  // Frozen 400 ms of every 500 ms: most requests wait, on average ≈160 ms more.
  assert.ok(median(slow) > median(base) + 60, `degraded median ${median(slow).toFixed(0)} ms vs baseline ${median(base).toFixed(0)} ms`);
  assert.ok(slow[slow.length - 1]! > 250, `slowest degraded request ${slow[slow.length - 1]!.toFixed(0)} ms`);
  assert.ok(median(after_) < median(base) + 30, `after revert ${median(after_).toFixed(0)} ms`);
});

test('bad params are rejected with a code and change nothing', async () => {
  const before_ = (await agent.listFaults()).faults.length;
  await assert.rejects(agent.startFault({ id: 'bad', type: 'cpu', params: { load: '180%' } }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'FAULT_INVALID');
    assert.match(e.message, /params\.load/);
    return true;
  });
  await assert.rejects(agent.startFault({ id: 'bad2', type: 'network', params: { action: 'delay' } }), /params\.latency: action "delay" needs "latency"/);
  await assert.rejects(agent.startFault({ id: 'bad3', type: 'process', params: { service: 'no-such-thing', action: 'stop' } }), /not installed/);
  await assert.rejects(agent.startFault({ id: 'bad4', type: 'disk', params: { path: '/nope' } }), /does not exist/);
  assert.equal((await agent.listFaults()).faults.length, before_);
});

test('a memory fault reaches an 85% ceiling and holds there without anything being OOM-killed', async () => {
  const oomKills = (): number => Number(/^oom_kill (\d+)/m.exec(readFileSync(`${sb.cgroups.memory}/memory.oom_control`, 'utf8'))?.[1] ?? 0);
  const killsBefore = oomKills();
  await agent.startFault({ id: 'mem-85', type: 'memory', params: { rate: '12000mb/min', ceiling: '85%', duration: '60s' } });
  try {
    assert.ok(await eventually(() => memUsedMb(sb) > 512 * 0.8, 15_000), `reached ${memUsedMb(sb).toFixed(0)} MiB`);
    await sleep(3000);
    const used = memUsedMb(sb);
    assert.ok(used > 512 * 0.78 && used < 512 * 0.9, `holding at ${used.toFixed(0)} MiB`);
    const m = await agent.metrics();
    assert.ok(Math.abs(m.mem_used_pct - (used / 512) * 100) < 5, `agent ${m.mem_used_pct}% vs cgroup ${((used / 512) * 100).toFixed(1)}%`);
    assert.equal((await agent.listFaults()).faults.find((f) => f.id === 'mem-85')?.state, 'active', 'the leaker is still alive');
    assert.equal(oomKills(), killsBefore, 'no OOM kill in the VM');
  } finally {
    await agent.stopFault('mem-85');
  }
  assert.ok(await eventually(() => PROBES.memory.baseline(sb)));
});

test('a degraded service stays degraded when the agent is killed with SIGKILL, and is thawed when the fault stops', async () => {
  await agent.startFault({ id: 'deg-kill', type: 'process', params: { service: 'nginx', action: 'degrade', duration: '60s' } });
  await sleep(700);
  const before = agent.lastIdentity()!.instance_id;
  process.kill(await sb.agentPid(), 'SIGKILL');
  assert.ok(await eventually(async () => (await agent.heartbeat()) && agent.lastIdentity()!.instance_id !== before, 15_000));
  assert.equal(agent.lastIdentity()!.adopted, 1, 'the new instance kept the fault');
  assert.equal((await agent.listFaults()).faults.find((f) => f.id === 'deg-kill')?.state, 'active');
  const slow: number[] = [];
  for (let i = 0; i < 5; i++) slow.push(await httpMs(sb));
  assert.ok(Math.max(...slow) > 150, `still slow after the restart: ${slow.map((t) => t.toFixed(0)).join(', ')} ms`);
  await agent.stopFault('deg-kill');
  const stat = await sb.exec('ps', '-C', 'nginx', '-o', 'stat=');
  assert.ok(!/T/.test(stat.stdout), `nginx states after recovery: ${stat.stdout.trim()}`);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push(await httpMs(sb));
  assert.ok(Math.max(...times) < 100, `answers at ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
});
