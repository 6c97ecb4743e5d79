/**
 * Objective checks, evaluated from the host: http against the VM's address, agent-metric
 * and process-running through the VM's agent. Every check has a short deadline so one
 * evaluation round stays well under a second.
 */
import { evaluateCondition, type CompiledObjective } from '@pudu/engine';
import type { AgentPort, AgentTarget } from './agent-port.ts';
import type { AgentLink } from './agent-link.ts';
import { assertRouteThrough } from '../net/route-guard.ts';

export const CHECK_TIMEOUT_MS = 700;

export interface CheckResult {
  passing: boolean;
  detail: string;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** How the run names a scenario fault on the agent (agentFaultId with the run's id). */
export type AgentFaultIdOf = (faultId: string) => string;

async function checkOne(o: CompiledObjective, vm: AgentTarget, agent: AgentPort, agentFaultIdOf: AgentFaultIdOf): Promise<CheckResult> {
  const c = o.check;
  switch (c.type) {
    case 'http': {
      await assertRouteThrough(vm.guestIp, vm.hostLink);
      const url = `http://${vm.guestIp}:${c.port}${c.path.startsWith('/') ? c.path : `/${c.path}`}`;
      const res = await fetch(url, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS), redirect: 'manual' });
      await res.arrayBuffer().catch(() => undefined);
      return { passing: res.status === c.expectedStatus, detail: `${vm.vmName}: GET ${c.path} → ${res.status} (want ${c.expectedStatus})` };
    }
    case 'agent-metric': {
      const m = await withTimeout(agent.metrics(), CHECK_TIMEOUT_MS, 'agent metrics');
      const v = m[c.metric];
      if (typeof v !== 'number') return { passing: false, detail: `${vm.vmName}: agent reports no ${c.metric}` };
      return { passing: evaluateCondition(c.op, c.value, v), detail: `${vm.vmName}: ${c.metric} = ${Math.round(v * 100) / 100} (want ${c.condition})` };
    }
    case 'process-running': {
      const s = await withTimeout(agent.services(), CHECK_TIMEOUT_MS, 'agent services');
      const active = s[c.service] === true;
      return { passing: active, detail: `${vm.vmName}: ${c.service} ${active ? 'active' : 'not active'}` };
    }
    case 'fault-cleared': {
      const held = await withTimeout(agent.faults(), CHECK_TIMEOUT_MS, 'agent faults');
      const id = agentFaultIdOf(c.fault);
      const holds = held.some((f) => f.id === id && f.state === 'active');
      return { passing: !holds, detail: `${vm.vmName}: ${c.fault} ${holds ? 'still in effect' : 'cleared'}` };
    }
  }
}

/** Passes when the check passes on every VM of the objective; the detail names each. */
export async function evaluateObjective(o: CompiledObjective, link: AgentLink, agentFaultIdOf: AgentFaultIdOf): Promise<CheckResult> {
  const results = await Promise.all(
    o.vms.map(async (name): Promise<CheckResult> => {
      const vm = link.target(name);
      if (!vm) return { passing: false, detail: `${name}: no such VM in the fleet` };
      try {
        return await checkOne(o, vm, link.agent(name), agentFaultIdOf);
      } catch (e) {
        return { passing: false, detail: `${name}: check failed: ${(e as Error).message}` };
      }
    }),
  );
  return { passing: results.every((r) => r.passing), detail: results.map((r) => r.detail).join('; ') };
}
