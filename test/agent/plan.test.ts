// POST /fault/plan (pre-flight): proves a fault could be applied and reverted here, changing nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentClient } from '@pudu/agent';
import { isPuduError, type FaultType } from '@pudu/schema';
import { createAgentSandbox, type AgentSandbox } from './support/sandbox.ts';
import { PROBES } from './support/probes.ts';

let sb: AgentSandbox;
let agent: AgentClient;

before(async () => {
  sb = await createAgentSandbox(215);
  agent = sb.client();
});
after(async () => {
  await sb?.destroy();
});

/** What a fault could change, read from inside the VM: files, units, firewall, qdiscs. */
async function guestState(): Promise<string> {
  const parts = await Promise.all([
    sb.exec('sh', '-c', 'cat /etc/hosts /etc/nginx/nginx.conf; ls -la /var/log /var/log/app 2>&1; df -k /'),
    // Unit names (a helper unit would be new) and the one the probes' process fault would touch.
    sb.exec('sh', '-c', "systemctl list-units --all --no-legend --plain --type=service | cut -d' ' -f1; systemctl is-active nginx"),
    sb.exec('sh', '-c', 'iptables -S 2>&1; iptables-legacy -S 2>&1; tc qdisc show 2>&1'),
  ]);
  // df's used column moves with the journal: keep the filesystem, not its fill. iptables-nft
  // warns once legacy tables exist (this probe's own iptables-legacy call loads them).
  return parts.map((p) => p.stdout.replace(/^(\S+)\s+\d+\s+\d+\s+\d+.*$/gm, '$1').replace(/^# Warning: iptables-legacy.*\n/m, '')).join('\n');
}

test('every fault type plans on a healthy VM: what was verified is listed, nothing in the guest changed, nothing is journaled', async () => {
  const before = await guestState();
  for (const type of Object.keys(PROBES) as FaultType[]) {
    if (type === 'db-connections') continue; // needs a database listening: its own test below
    const plan = await agent.planFault({ id: `plan-${type}`, type, params: { ...PROBES[type].params, duration: '60s' } });
    assert.equal(plan.type, type);
    assert.equal(plan.ttl_ms, 60_000);
    assert.ok(plan.verified.length > 0, `${type}: nothing verified`);
  }
  assert.equal(await guestState(), before, 'planning changed the guest');
  assert.deepEqual((await agent.listFaults()).faults, [], 'a plan was journaled as a fault');
});

test('a fault that could not be applied is refused by plan with the reason, as start would refuse it', async () => {
  const refused = async (type: FaultType, params: Record<string, unknown>, code: string, match: RegExp): Promise<void> => {
    await assert.rejects(agent.planFault({ id: `bad-${type}`, type, params }), (e: unknown) => {
      assert.ok(isPuduError(e), String(e));
      assert.equal(e.code, code, e.message);
      assert.match(e.message, match);
      return true;
    });
  };
  await refused('process', { service: 'no-such-unit', action: 'stop' }, 'FAULT_INVALID', /not installed/);
  await refused('disk', { path: '/no/such/dir' }, 'FAULT_INVALID', /does not exist/);
  await refused('network', { action: 'delay' }, 'FAULT_INVALID', /latency/);
  // Nothing listens on 5999 in this VM: the connections could never be taken.
  await refused('db-connections', { connections: 'all', port: 5999 }, 'FAULT_APPLY_FAILED', /127\.0\.0\.1:5999/);
});

test('a fault that conflicts with one in effect is refused by plan (FAULT_CONFLICT), and planned again once it is gone', async () => {
  await agent.startFault({ id: 'held-cpu', type: 'cpu', params: { load: '20%', duration: '60s' } });
  try {
    await assert.rejects(agent.planFault({ id: 'plan-cpu-2', type: 'cpu', params: { load: '50%' } }), (e: unknown) => isPuduError(e, 'FAULT_CONFLICT'));
  } finally {
    await agent.stopFault('held-cpu');
  }
  const plan = await agent.planFault({ id: 'plan-cpu-2', type: 'cpu', params: { load: '50%' } });
  assert.ok(plan.verified.some((v) => /systemd-run/.test(v)), plan.verified.join('; '));
});

test('a missing program the revert needs fails the plan: without tc and iptables a network fault cannot be shaped or undone', async () => {
  // Hide the programs from the agent's PATH the way a trimmed image would lack them.
  const hide = ['tc', 'iptables', 'iptables-legacy'];
  const moved: string[] = [];
  for (const bin of hide) {
    const where = (await sb.exec('sh', '-c', `command -v ${bin} || true`)).stdout.trim();
    if (!where) continue;
    await sb.exec('mv', where, `${where}.hidden`);
    moved.push(where);
  }
  try {
    await assert.rejects(agent.planFault({ id: 'plan-net', type: 'network', params: { action: 'loss', packet_loss: '10%' } }), (e: unknown) => {
      assert.ok(isPuduError(e, 'FAULT_APPLY_FAILED'), String(e));
      assert.match(e.message, /no way to shape/);
      return true;
    });
  } finally {
    for (const where of moved) await sb.exec('mv', `${where}.hidden`, where);
  }
  await agent.planFault({ id: 'plan-net', type: 'network', params: { action: 'loss', packet_loss: '10%' } });
});
