// Access control, shutdown and the measured accuracy of the userspace network path.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateAgentKeyPair, privateKeyFromPem, signAgentRequest, type AgentClient } from '@pudu/agent';
import { AGENT_DEFAULT_PORT, AGENT_ROUTES, agentPath, type AgentRoute } from '@pudu/schema';
import { createAgentSandbox, sh, type AgentSandbox } from './support/sandbox.ts';
import { appendFileSync } from 'node:fs';
import { Journal } from '../../packages/agent/src/journal.ts';
import { eventually, ping, resolve } from './support/probes.ts';

let sb: AgentSandbox;
let agent: AgentClient;

before(async () => {
  sb = await createAgentSandbox(200, { channel: 'tcp' });
  agent = sb.client();
});
after(async () => {
  await sb?.destroy();
});

test('/health answers unsigned, every other route needs a request signed with the fleet key', async () => {
  const health = await fetch(`${sb.baseUrl}${agentPath('health')}`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { status: string }).status, 'ok');
  const signed = Object.values(AGENT_ROUTES).filter((r: AgentRoute) => !r.unsigned);
  assert.ok(signed.length >= 8);
  for (const { method, path } of signed) {
    const r = await fetch(`${sb.baseUrl}${path}`, { method });
    assert.equal(r.status, 401, `${method} ${path} unsigned`);
    assert.equal(r.headers.get('content-type'), 'application/problem+json', 'agent errors are RFC 9457 problems');
    const problem = (await r.json()) as { code: string; status: number; type: string; detail: string };
    assert.deepEqual([problem.code, problem.status, problem.type], ['UNAUTHORIZED', 401, 'urn:pudu:problem:unauthorized']);
  }
  const stranger = generateAgentKeyPair().privateKeyPem;
  await assert.rejects(sb.client({ signingKey: stranger }).listFaults(), (e: Error & { code?: string }) => e.code === 'AGENT_AUTH');
  await assert.rejects(sb.client({ audience: 'agent-test/another-vm' }).listFaults(), (e: Error & { code?: string }) => e.code === 'AGENT_AUTH');
});

test('requests from inside the VM are refused even when signed, and the refusal is kept for the server', async () => {
  const key = privateKeyFromPem(sb.signingKey);
  const h = signAgentRequest(key, { method: 'GET', path: agentPath('listFaults'), audience: sb.audience, body: '' });
  for (const url of [`http://127.0.0.1:${AGENT_DEFAULT_PORT}${agentPath('listFaults')}`, `http://${sb.vmIp}:${AGENT_DEFAULT_PORT}${agentPath('listFaults')}`]) {
    const r = await sb.exec('curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', `x-pudu-time: ${h.time}`, '-H', `x-pudu-nonce: ${h.nonce}`, '-H', `x-pudu-signature: ${h.signature}`, url);
    assert.equal(r.stdout, '403', url);
  }
  const log = await agent.log();
  assert.ok(log.entries.some((e) => e.msg === 'refused request from a disallowed source'));
  const journal = await sb.exec('journalctl', '-u', 'pudu-agent', '--no-pager', '-o', 'cat');
  assert.doesNotMatch(journal.stdout, /refused|fault/i);
});

test('a captured request played again is refused, and the guest holds only the public key', async () => {
  const key = privateKeyFromPem(sb.signingKey);
  const h = signAgentRequest(key, { method: 'GET', path: agentPath('listFaults'), audience: sb.audience, body: '' });
  const headers = { 'x-pudu-time': h.time, 'x-pudu-nonce': h.nonce, 'x-pudu-signature': h.signature };
  assert.equal((await fetch(`${sb.baseUrl}${agentPath('listFaults')}`, { headers })).status, 200);
  const again = await fetch(`${sb.baseUrl}${agentPath('listFaults')}`, { headers });
  assert.equal(again.status, 401);
  assert.match(await again.text(), /replayed/);
  const file = (await sb.exec('cat', '/etc/pudu/agent.pub')).stdout.trim();
  assert.match(file, /^[A-Za-z0-9_-]{43}$/);
  const secret = sb.signingKey.split('\n')[1]!.slice(20, 44);
  const found = (await sb.exec('sh', '-c', `grep -rlF -- '${secret}' /etc /var/lib /run 2>/dev/null || true`)).stdout.trim();
  assert.equal(found, '', 'the fleet\'s private key is nowhere in the guest');
});

test('a 300 ms delay measures 300 ms ± 10 % RTT while the agent’s own port stays fast', async () => {
  await agent.startFault({ id: 'delay300', type: 'network', params: { action: 'delay', latency: '300ms', duration: '60s' } });
  try {
    const p = await ping(sb, 20, 0.1);
    assert.equal(p.received, 20);
    assert.ok(p.avgMs >= 270 && p.avgMs <= 330, `RTT ${p.avgMs} ms`);
    const t = performance.now();
    await agent.health();
    assert.ok(performance.now() - t < 150, 'control traffic is not delayed');
  } finally {
    await agent.stopFault('delay300');
  }
  assert.ok((await ping(sb, 5, 0.1)).avgMs < 50);
});

test('a delay with jitter spreads RTTs around the latency (300 ms ± 50 ms, the seed scenario)', async () => {
  await agent.startFault({ id: 'jitter', type: 'network', params: { action: 'delay', latency: '300ms', jitter: '50ms', duration: '60s' } });
  try {
    const r = await sh('ping', ['-n', '-c', '30', '-i', '0.05', sb.vmIp], 60_000);
    const rtts = [...r.stdout.matchAll(/time=([\d.]+)/g)].map((m) => Number(m[1]));
    assert.equal(rtts.length, 30);
    const avg = rtts.reduce((a, b) => a + b, 0) / rtts.length;
    assert.ok(avg > 270 && avg < 330, `avg ${avg.toFixed(1)} ms`);
    // ±50 ms uniform, plus scheduling delay on a loaded 2-core host for the upper bound.
    assert.ok(Math.min(...rtts) >= 245 && Math.max(...rtts) <= 390, `range ${Math.min(...rtts)}–${Math.max(...rtts)} ms`);
    assert.ok(Math.max(...rtts) - Math.min(...rtts) > 20, 'RTTs vary');
  } finally {
    await agent.stopFault('jitter');
  }
});

test('SIGTERM to the agent reverts every fault before it exits', async () => {
  await agent.startFault({ id: 'term-dns', type: 'dns', params: { record: 'db.internal', resolve_to: '10.9.9.9', duration: '60s' } });
  await agent.startFault({ id: 'term-disk', type: 'disk', params: { path: '/', duration: '60s' } });
  assert.equal(await resolve(sb, 'db.internal'), '10.9.9.9');
  const r = await sb.exec('systemctl', 'stop', 'pudu-agent');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await resolve(sb, 'db.internal'), '10.0.0.5');
  assert.equal((await sb.exec('test', '-e', '/var/log/app/debug.log')).code, 1);
  await assert.rejects(sb.client({ timeoutMs: 1000 }).health(), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'AGENT_UNREACHABLE');
    assert.match(e.message, new RegExp(sb.vmIp.replace(/\./g, '\\.')));
    return true;
  });
  await sb.exec('systemctl', 'start', 'pudu-agent');
  assert.ok(await eventually(async () => (await agent.health()).status === 'ok'));
  const faults = (await agent.listFaults()).faults.filter((f) => f.id.startsWith('term-'));
  assert.deepEqual(faults.map((f) => [f.id, f.state, f.reason]), [['term-dns', 'reverted', 'shutdown'], ['term-disk', 'reverted', 'shutdown']]);
});

test('/services lists the VM’s installed units with their states', async () => {
  const { services } = await agent.services();
  const nginx = services.find((s) => s.name === 'nginx');
  assert.deepEqual([nginx?.load, nginx?.active, nginx?.sub], ['loaded', 'active', 'running']);
  assert.ok(services.some((s) => s.name === 'pudu-agent' && s.active === 'active'));
  assert.ok(!services.some((s) => s.load === 'not-found'));
});

test('a second fault on the same resource is refused with FAULT_CONFLICT and a heartbeat reports the dead-man', async () => {
  await agent.startFault({ id: 'c1', type: 'dns', params: { record: 'api.internal', resolve_to: '10.1.1.1', duration: '30s' } });
  try {
    await assert.rejects(agent.startFault({ id: 'c2', type: 'dns', params: { record: 'api.internal', resolve_to: '10.1.1.2' } }), (e: Error & { code?: string }) => e.code === 'FAULT_CONFLICT');
    await assert.rejects(agent.startFault({ id: 'c1', type: 'cpu', params: { load: '10%' } }), (e: Error & { code?: string }) => e.code === 'FAULT_CONFLICT');
    const hb = await agent.heartbeat();
    assert.equal(hb.deadman_ms, 60_000);
    assert.equal(hb.active_faults, 1);
  } finally {
    await agent.stopFault('c1');
  }
  await assert.rejects(agent.stopFault('never-started'), (e: Error & { code?: string }) => e.code === 'FAULT_NOT_FOUND');
});

test('a fault journaled as applying when the agent died is reverted at the next start', async () => {
  // Simulate a crash between "intent written" and "apply finished": the hosts line is in
  // place and the journal says only `applying`.
  const stop = await sb.exec('systemctl', 'stop', 'pudu-agent');
  assert.equal(stop.code, 0, stop.stderr);
  const root = `/proc/${sb.pid1}/root`;
  const line = '10.7.7.7\tcache.internal';
  appendFileSync(`${root}/etc/hosts`, `${line}\n`);
  const journal = new Journal(`${root}/var/lib/pudu-agent`);
  journal.load();
  const now = new Date().toISOString();
  journal.put({ id: 'crashed', type: 'dns', params: { record: 'cache.internal', resolve_to: '10.7.7.7' }, state: 'active', started_at: now, expires_at: now, phase: 'applying', undo: { file: '/etc/hosts', line } });
  assert.equal(await resolve(sb, 'cache.internal'), '10.7.7.7');
  await sb.exec('systemctl', 'start', 'pudu-agent');
  assert.ok(await eventually(async () => (await agent.health()).status === 'ok'));
  assert.equal(await resolve(sb, 'cache.internal'), '');
  const rec = (await agent.listFaults()).faults.find((f) => f.id === 'crashed');
  assert.deepEqual([rec?.state, rec?.reason], ['reverted', 'recovered']);
  assert.match((await sb.exec('cat', '/etc/hosts')).stdout, /10\.0\.0\.5\tdb\.internal/, 'the rest of /etc/hosts is intact');
});
