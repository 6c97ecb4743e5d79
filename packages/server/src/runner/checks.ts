/**
 * Objective checks, evaluated from the host: http against the VM's address, agent-metric
 * and process-running through the VM's agent. Every check has a short deadline so one
 * evaluation round stays well under a second.
 */
import { evaluateCondition, type CompiledObjective } from '@pudu/engine';
import type { AgentPort, AgentTarget } from './agent-port.ts';
import type { AgentLink } from './agent-link.ts';
import type { HostVmView } from '@pudu/drivers';
import { assertRouteThrough } from '../net/route-guard.ts';

export const CHECK_TIMEOUT_MS = 700;

export interface CheckResult {
  passing: boolean;
  detail: string;
  /** The host's own view disagrees with what the agent claimed (sandbox: statfs of the VM's disk). */
  contradictions?: { vm: string; detail: string }[];
}

/** What the host sees of a VM without its agent (see VmDriver.hostView); undefined where it cannot look. */
export type HostViewOf = (vm: string) => Promise<HostVmView | undefined>;

/** Disk usage seen by the agent and by the host differ by more than this: one of them is not the truth. */
const HOST_DISK_TOLERANCE_PCT = 10;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** How the run names a scenario fault on the agent (agentFaultId with the run's id). */
export type AgentFaultIdOf = (faultId: string) => string;

async function checkOne(o: CompiledObjective, vm: AgentTarget, agent: AgentPort, agentFaultIdOf: AgentFaultIdOf, hostView?: HostViewOf): Promise<CheckResult> {
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
      const detail = `${vm.vmName}: ${c.metric} = ${Math.round(v * 100) / 100} (want ${c.condition})`;
      // Root in the VM can answer in the agent's place; where the host sees the disk itself, it decides.
      // Only a claim that would pass where the host's truth fails is one: the other way round is
      // the two reads straddling a change (a fix landing between them), not a lie.
      const passing = evaluateCondition(c.op, c.value, v);
      const host = passing && c.metric === 'disk_used_pct' ? (await hostView?.(vm.vmName))?.diskUsedPct : undefined;
      if (host !== undefined && Math.abs(host - v) > HOST_DISK_TOLERANCE_PCT && !evaluateCondition(c.op, c.value, host)) {
        const why = `agent says ${c.metric} = ${Math.round(v * 10) / 10}, the host sees ${host}`;
        return { passing: false, detail: `${detail}; ${why}`, contradictions: [{ vm: vm.vmName, detail: why }] };
      }
      return { passing, detail };
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
export async function evaluateObjective(o: CompiledObjective, link: AgentLink, agentFaultIdOf: AgentFaultIdOf, hostView?: HostViewOf): Promise<CheckResult> {
  const results = await Promise.all(
    o.vms.map(async (name): Promise<CheckResult> => {
      const vm = link.target(name);
      if (!vm) return { passing: false, detail: `${name}: no such VM in the fleet` };
      try {
        return await checkOne(o, vm, link.agent(name), agentFaultIdOf, hostView);
      } catch (e) {
        return { passing: false, detail: `${name}: check failed: ${(e as Error).message}` };
      }
    }),
  );
  const contradictions = results.flatMap((r) => r.contradictions ?? []);
  return { passing: results.every((r) => r.passing), detail: results.map((r) => r.detail).join('; '), ...(contradictions.length ? { contradictions } : {}) };
}
