/**
 * The fault matrix: every fault type × one way of ending it, each case ending at the
 * measured baseline with the right final state, and nothing of the fault left in the VM.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentClient } from '@pudu/agent';
import type { AgentFaultEndReason, AgentFaultState, FaultType } from '@pudu/schema';
import { createAgentSandbox, type AgentSandbox } from './sandbox.ts';
import { eventually, PROBES, sleep } from './probes.ts';

export type Ending = 'stop' | 'duration' | 'restart' | 'deadman' | 'trainee';

const EXPECTED: Record<Ending, { state: AgentFaultState; reason: AgentFaultEndReason }> = {
  stop: { state: 'reverted', reason: 'stop' },
  duration: { state: 'expired', reason: 'ttl' },
  // A killed agent keeps what it had applied (adopted on start); the stop afterwards ends it.
  restart: { state: 'reverted', reason: 'stop' },
  deadman: { state: 'reverted', reason: 'deadman' },
  trainee: { state: 'fixed-by-trainee', reason: 'trainee' },
};
const DEADMAN_S = 5;
const TTL_S = 4;

/** What the agent could leave behind, looked for from outside: helpers, chains, files, drop-ins, hosts lines. */
export async function leftovers(sb: AgentSandbox): Promise<string[]> {
  const found: string[] = [];
  const ps = await sb.exec('ps', '-eo', 'args');
  for (const name of ['report-generator', 'cache-warmer', 'report-export', 'net-shaper']) if (ps.stdout.includes(name)) found.push(`process ${name}`);
  const ipt = await sb.exec('iptables', '-S');
  if (/QOS-|NFQUEUE|statistic/.test(ipt.stdout)) found.push(`iptables: ${ipt.stdout.trim()}`);
  if ((await sb.exec('test', '-e', '/var/log/app/debug.log')).code === 0) found.push('file /var/log/app/debug.log');
  if ((await sb.exec('test', '-e', '/run/systemd/system/nginx.service.d/50-tuning.conf')).code === 0) found.push('nginx drop-in');
  if ((await sb.exec('grep', '-q', 'worker_processes many', '/etc/nginx/nginx.conf')).code === 0) found.push('nginx.conf edit');
  const hosts = await sb.exec('cat', '/etc/hosts');
  if (hosts.stdout.includes('10.9.9.9')) found.push('hosts entry');
  const stopped = await sb.exec('ps', '-eo', 'stat,comm');
  if (/^T\S*\s+nginx/m.test(stopped.stdout)) found.push('nginx left SIGSTOPped');
  return found;
}

/** Registers the six cases of one matrix row (one ending) on their own sandbox. */
export function defineMatrixRow(ending: Ending, index: number): void {
  let sb: AgentSandbox;
  let agent: AgentClient;
  before(async () => {
    sb = await createAgentSandbox(index, { agentOpts: ending === 'deadman' ? `--deadman ${DEADMAN_S}s` : '--deadman 120s' });
    agent = sb.client();
  });
  after(async () => {
    await sb?.destroy();
  });

  for (const type of Object.keys(PROBES) as FaultType[]) {
    test(`a ${type} fault ended by ${ending} returns the VM to baseline and reports ${EXPECTED[ending].state}`, async () => {
      const probe = PROBES[type];
      const id = `${type}-${ending}`;
      assert.ok(await eventually(() => probe.baseline(sb)), 'baseline before the fault');
      const duration = ending === 'duration' ? `${TTL_S}s` : '60s';
      await agent.startFault({ id, type, params: { ...probe.params, duration } });
      assert.ok(await eventually(() => probe.applied(sb), 10_000), 'effect observed');

      if (ending === 'stop') {
        const rec = await agent.stopFault(id);
        assert.equal(rec.state, 'reverted');
      } else if (ending === 'restart') {
        const pid = await sb.agentPid();
        process.kill(pid, 'SIGKILL');
        assert.ok(
          await eventually(async () => (await agent.health()).uptime_s >= 0 && (await sb.agentPid()) !== pid, 15_000),
          'systemd restarted the agent',
        );
        assert.ok(await probe.applied(sb), 'the restarted agent kept the fault: still in effect');
        assert.equal((await agent.listFaults()).faults.find((f) => f.id === id)?.state, 'active');
        assert.equal(agent.lastIdentity()?.adopted, 1);
        await agent.stopFault(id);
      } else if (ending === 'trainee') {
        await probe.traineeFix(sb);
        assert.ok(
          await eventually(async () => (await agent.listFaults()).faults.find((f) => f.id === id)?.state === 'fixed-by-trainee', 8000),
          'the agent noticed the fix',
        );
        const again = await agent.stopFault(id);
        assert.equal(again.state, 'fixed-by-trainee', 'stop after a fix is a no-op');
      }
      // duration and deadman: say nothing to the agent, watch from outside only.
      const limit = ending === 'duration' ? TTL_S * 1000 + 8000 : ending === 'deadman' ? DEADMAN_S * 1000 + 8000 : 10_000;
      assert.ok(await eventually(() => probe.baseline(sb), limit), 'baseline after the fault ended');
      if (ending === 'deadman' || ending === 'duration') await sleep(300);
      const rec = (await agent.listFaults()).faults.find((f) => f.id === id);
      assert.equal(rec?.state, EXPECTED[ending].state);
      assert.equal(rec?.reason, EXPECTED[ending].reason);
      assert.ok(rec?.ended_at, 'ended_at recorded');
      assert.deepEqual(await leftovers(sb), [], 'nothing of the fault is left in the VM');
    });
  }
}
