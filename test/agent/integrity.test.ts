// What a root trainee can do to the agent's channel, played as root in a real sandbox VM:
// every attempt is either refused or shows up in what the server sees (identity, reasons).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { rmSync } from 'node:fs';
import type { AgentClient } from '@pudu/agent';
import { createAgentSandbox, type AgentSandbox } from './support/sandbox.ts';
import { eventually, resolve } from './support/probes.ts';

let sb: AgentSandbox;
let agent: AgentClient;

before(async () => {
  sb = await createAgentSandbox(202);
  agent = sb.client();
});
after(async () => {
  await sb?.destroy();
});

async function restartAgentHard(): Promise<void> {
  const r = await sb.exec('systemctl', 'kill', '--signal=SIGKILL', 'pudu-agent');
  assert.equal(r.code, 0, r.stderr);
}

test('the agent has no network port: the host reaches it only through its socket, and every reply names the instance', async () => {
  const listening = await sb.exec('ss', '-Htlnu');
  assert.doesNotMatch(listening.stdout, /:7777\b/);
  await agent.heartbeat();
  const id = agent.lastIdentity();
  assert.ok(id);
  assert.match(id.instance_id, /^[0-9a-f]{32}$/);
  assert.match(id.boot_id, /^[0-9a-f-]{36}$/);
  assert.ok(id.uptime_ms >= 0);
});

test('kill -9 of the agent: the new instance has another id and keeps the fault it found applied', async () => {
  await agent.startFault({ id: 'r1.dns', type: 'dns', params: { record: 'db.internal', resolve_to: '10.9.9.9', duration: '60s' } });
  const before = agent.lastIdentity()!.instance_id;
  await restartAgentHard();
  assert.ok(await eventually(async () => (await agent.heartbeat().then(() => true, () => false)) && agent.lastIdentity()!.instance_id !== before, 10_000));
  const id = agent.lastIdentity()!;
  assert.deepEqual([id.adopted, id.recovered, id.journal], [1, 0, 'intact']);
  const f = (await agent.listFaults()).faults.find((x) => x.id === 'r1.dns');
  assert.equal(f?.state, 'active');
  assert.equal(await resolve(sb, 'db.internal'), '10.9.9.9', 'the fault never left');
  await agent.stopFault('r1.dns');
});

test('a journal emptied before the kill shows as lost in the next instance\'s identity', async () => {
  await agent.startFault({ id: 'r2.dns', type: 'dns', params: { record: 'db.internal', resolve_to: '10.9.9.8', duration: '60s' } });
  const before = agent.lastIdentity()!.instance_id;
  const z = await sb.exec('sh', '-c', 'for f in /var/lib/pudu-agent/*; do dd if=/dev/zero of="$f" bs=64k count=8 conv=notrunc status=none; done');
  assert.equal(z.code, 0, z.stderr);
  await restartAgentHard();
  assert.ok(await eventually(async () => (await agent.heartbeat().then(() => true, () => false)) && agent.lastIdentity()!.instance_id !== before, 10_000));
  assert.equal(agent.lastIdentity()!.journal, 'lost');
  assert.equal((await agent.listFaults()).faults.some((x) => x.id === 'r2.dns'), false, 'the new instance knows nothing of the fault');
  // The fault's effect is still there: only the server's view (it started r2.dns) can put things right.
  await sb.exec('sed', '-i', '/10.9.9.8/d', '/etc/hosts');
});

test('a fake agent answering in its place is caught: its replies fail authentication', async () => {
  await sb.exec('systemctl', 'stop', 'pudu-agent');
  // Root in the VM serves "healthy" answers on the agent's socket.
  const fake = `require('http').createServer((q, s) => { s.setHeader('content-type', 'application/json'); s.end(JSON.stringify({ status: 'ok', deadman_ms: 60000, active_faults: 0, faults: [] })); }).listen('/run/pudu-agent/agent.sock')`;
  const started = await sb.exec('systemd-run', '--unit=fake-agent', '/usr/local/bin/node', '-e', fake);
  assert.equal(started.code, 0, started.stderr);
  try {
    assert.ok(await eventually(async () => (await sb.exec('test', '-S', '/run/pudu-agent/agent.sock')).code === 0, 5000));
    await assert.rejects(agent.heartbeat(), { code: 'AGENT_REPLY_UNAUTHENTICATED' });
    await assert.rejects(agent.listFaults(), { code: 'AGENT_REPLY_UNAUTHENTICATED' });
  } finally {
    await sb.exec('systemctl', 'stop', 'fake-agent');
    await sb.exec('systemctl', 'start', 'pudu-agent');
  }
  assert.ok(await eventually(async () => agent.heartbeat().then(() => true, () => false), 10_000));
});

test('a symlink planted at the socket path never makes the host connect to a host socket', async () => {
  const hostSock = `/tmp/pudu-agt-decoy-${process.pid}.sock`;
  let connections = 0;
  const decoy: Server = createServer((c) => {
    connections++;
    c.destroy();
  });
  await new Promise<void>((r) => decoy.listen(hostSock, r));
  try {
    await sb.exec('systemctl', 'kill', '--signal=SIGSTOP', 'pudu-agent');
    const ln = await sb.exec('ln', '-sfn', hostSock, '/run/pudu-agent/agent.sock');
    assert.equal(ln.code, 0, ln.stderr);
    await assert.rejects(agent.heartbeat(), { code: 'AGENT_UNREACHABLE' });
    assert.equal(connections, 0, 'the host connected to its own socket through the guest\'s symlink');
  } finally {
    decoy.close();
    rmSync(hostSock, { force: true });
    await sb.exec('rm', '-f', '/run/pudu-agent/agent.sock');
    await sb.exec('systemctl', 'kill', '--signal=SIGCONT', 'pudu-agent');
    await sb.exec('systemctl', 'restart', 'pudu-agent');
  }
  assert.ok(await eventually(async () => agent.heartbeat().then(() => true, () => false), 10_000));
});

test('nothing about faults reaches the guest journal; the server reads the agent log over the channel', async () => {
  await agent.startFault({ id: 'r3.disk-full', type: 'disk', params: { path: '/', duration: '60s' } });
  await agent.stopFault('r3.disk-full');
  const journal = await sb.exec('journalctl', '--no-pager', '-o', 'cat');
  assert.doesNotMatch(journal.stdout, /r3\.disk-full|"type":"disk"|fallocate|mechanism/);
  const log = await agent.log();
  assert.ok(log.entries.some((e) => e.msg === 'fault started' && e.fields.id === 'r3.disk-full'));
});

test('injected processes live in units of their own under PID 1, and nothing in the guest names a fault', async () => {
  const ids = ['r4.noisy-neighbour', 'r4.slow-link', 'r4.leak'];
  await agent.startFault({ id: ids[0]!, type: 'cpu', params: { load: '30%', duration: '60s' } });
  await agent.startFault({ id: ids[1]!, type: 'network', params: { action: 'delay', latency: '50ms', duration: '60s' } });
  await agent.startFault({ id: ids[2]!, type: 'memory', params: { rate: '600mb/min', ceiling: '30%', duration: '60s' } });
  try {
    const agentPid = (await sb.exec('systemctl', 'show', '-p', 'MainPID', '--value', 'pudu-agent')).stdout.trim();
    for (const name of ['report-generator', 'net-shaper', 'cache-warmer']) {
      const pid = (await sb.exec('systemctl', 'show', '-p', 'MainPID', '--value', `${name}.service`)).stdout.trim();
      assert.notEqual(pid, '0', `${name} runs`);
      const ppid = (await sb.exec('ps', '-o', 'ppid=', '-p', pid)).stdout.trim();
      assert.equal(ppid, '1', `${name} is a child of PID 1, not of the agent (${agentPid})`);
      const cg = (await sb.exec('cat', `/proc/${pid}/cgroup`)).stdout;
      assert.match(cg, new RegExp(`/system\\.slice/${name}\\.service`), `${name} has its own unit's cgroup`);
    }
    // Fault ids, type labels, the agent's mechanism names and its helpers' old markers. The
    // injected state itself (a queue rule, a busy process) is the incident: that may be found.
    const machinery = /r4\.|noisy-neighbour|slow-link|"type"|iptables-(statistic|nfqueue)|tc-netem|busy-threads|leaking-process|pudu-nfq|PUDU_HELPER|--delay-ms|fault/i;
    const views: Record<string, string> = {
      journal: (await sb.exec('journalctl', '--no-pager', '-o', 'cat')).stdout,
      etc: (await sb.exec('sh', '-c', 'grep -rIl -E "r4\\.|noisy-neighbour|slow-link|busy-threads|leaking-process" /etc /run 2>/dev/null || true')).stdout,
      processes: (await sb.exec('sh', '-c', 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; tr "\\0" "\\n" < $p/environ | grep -i pudu; cat $p/cgroup; done 2>/dev/null')).stdout,
      units: (await sb.exec('sh', '-c', 'cat /run/systemd/transient/*.service 2>/dev/null')).stdout,
      firewall: (await sb.exec('iptables', '-S')).stdout,
    };
    for (const [where, text] of Object.entries(views)) {
      const hit = text.split('\n').find((l) => machinery.test(l) && !/pudu-agent/.test(l));
      assert.equal(hit, undefined, `${where} names the fault machinery: ${hit}`);
    }
    assert.doesNotMatch(views.firewall!, /--sport 7777|RETURN/, 'no exemption for the control channel');
  } finally {
    for (const id of ids) await agent.stopFault(id);
  }
});
