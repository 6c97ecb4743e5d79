/**
 * Objective checks, evaluated from the host: http against the VM's address, agent-metric
 * and process-running through the VM's agent. Every check has a short deadline so one
 * evaluation round stays well under a second.
 */
import { evaluateCondition as meets, type CheckOutcome, type CompiledCheck, type CompiledCondition } from '@pudu/engine';
import type { LinkProbes } from './link-probe.ts';
import type { AgentPort, AgentTarget } from './agent-port.ts';
import type { AgentLink } from './agent-link.ts';
import type { HostVmView } from '@pudu/drivers';
import { vmHttp, type VmHttpRequest } from '../net/vm-http.ts';

// A healthy VM answers in milliseconds, so a fix still shows within one round; but on a host
// busy with other fleets the e2e check's write and read took over 700 ms, and a missed deadline
// counts as failing and restarts the objective's `for:` window.
export const CHECK_TIMEOUT_MS = 2000;


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

/** What checks keep between rounds, per check and VM (the e2e check's last record id). */
export type CheckMemory = Map<string, number>;

export interface CheckContext {
  agentFaultIdOf: AgentFaultIdOf;
  probes: LinkProbes;
  memory: CheckMemory;
  hostView?: HostViewOf;
}

/** A check's contradiction: the host's own view disagrees with what the agent claimed. */
export interface Contradiction {
  vm: string;
  detail: string;
}

/** One VM's result: the symptom for everyone, the mechanism for staff when the check knows it. */
type VmResult = CheckOutcome & { contradictions?: Contradiction[] };

/** A condition's result over its VMs, with what the host contradicted (sandbox: statfs of the VM's disk). */
export type ConditionResult = VmResult;

const round1 = (x: number): number => Math.round(x * 10) / 10;

function get(vm: AgentTarget, port: number, path: string, init: VmHttpRequest = {}): Promise<{ status: number; body: string }> {
  return vmHttp(vm, port, path, init, CHECK_TIMEOUT_MS);
}

/**
 * A user's write and read through the whole stack: a fresh record goes in through the web
 * port and must come back from the list with the id the database gave it, higher than the
 * last one seen (a canned answer, or a proxy answering by itself, cannot do that).
 */
async function endToEnd(key: string, vm: AgentTarget, port: number, memory: CheckMemory): Promise<VmResult> {
  const name = `check-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const w = await get(vm, port, '/api/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  if (w.status !== 201) return { passing: false, detail: `${vm.vmName}: POST /api/items → ${w.status}` };
  let id: unknown;
  try {
    ({ id } = JSON.parse(w.body) as { id?: unknown });
  } catch {
    return { passing: false, detail: `${vm.vmName}: POST /api/items answered 201 without a record`, staffDetail: 'the answer is not JSON: not the app' };
  }
  const last = memory.get(`${key}@${vm.vmName}`) ?? 0;
  if (typeof id !== 'number' || !Number.isInteger(id) || id <= last) {
    return { passing: false, detail: `${vm.vmName}: POST /api/items answered 201 without a new record`, staffDetail: `id ${String(id)} not above ${last}` };
  }
  const r = await get(vm, port, '/api/items');
  const items = r.status === 200 ? (() => { try { return (JSON.parse(r.body) as { items?: { id?: unknown; name?: unknown }[] }).items ?? []; } catch { return []; } })() : [];
  if (!items.some((i) => i.id === id && i.name === name)) {
    return { passing: false, detail: `${vm.vmName}: GET /api/items → ${r.status}${r.status === 200 ? ' without the record just written' : ''}` };
  }
  memory.set(`${key}@${vm.vmName}`, id);
  return { passing: true, detail: `${vm.vmName}: write and read through /api/items OK` };
}

async function checkOne(key: string, check: CompiledCheck, vm: AgentTarget, agent: AgentPort, ctx: CheckContext): Promise<VmResult> {
  const c = check;
  switch (c.type) {
    case 'http': {
      const started = performance.now();
      const r = await get(vm, c.port, c.path.startsWith('/') ? c.path : `/${c.path}`);
      const ms = Math.round(performance.now() - started);
      // A latency bound (steady state "200 within 150 ms"): a right answer that came too late fails.
      if (c.latencyBelowMs !== null) {
        return { passing: r.status === c.expectedStatus && ms < c.latencyBelowMs, detail: `${vm.vmName}: GET ${c.path} → ${r.status} in ${ms} ms (want ${c.expectedStatus} within ${c.latencyBelowMs} ms)` };
      }
      return { passing: r.status === c.expectedStatus, detail: `${vm.vmName}: GET ${c.path} → ${r.status} (want ${c.expectedStatus})` };
    }
    case 'agent-metric': {
      const m = await withTimeout(agent.metrics(), CHECK_TIMEOUT_MS, 'agent metrics');
      const v = m[c.metric];
      if (typeof v !== 'number') return { passing: false, detail: `${vm.vmName}: agent reports no ${c.metric}` };
      const detail = `${vm.vmName}: ${c.metric} = ${Math.round(v * 100) / 100} (want ${c.condition})`;
      // Root in the VM can answer in the agent's place; where the host sees the disk itself, it decides.
      // Only a claim that would pass where the host's truth fails is one: the other way round is
      // the two reads straddling a change (a fix landing between them), not a lie.
      const passing = meets(c.op, c.value, v);
      const host = passing && c.metric === 'disk_used_pct' ? (await ctx.hostView?.(vm.vmName))?.diskUsedPct : undefined;
      if (host !== undefined && Math.abs(host - v) > HOST_DISK_TOLERANCE_PCT && !meets(c.op, c.value, host)) {
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
    case 'unit-healthy': {
      const u = await withTimeout(agent.unit(c.service), CHECK_TIMEOUT_MS, 'agent services');
      if (!u.active || u.activeForMs === null) return { passing: false, detail: `${vm.vmName}: ${c.service} not running`, staffDetail: `${u.restarts} automatic restart(s)` };
      const up = `${c.service} up ${round1(u.activeForMs / 1000)} s`;
      return { passing: u.activeForMs >= c.stableMs, detail: `${vm.vmName}: ${up}${u.activeForMs >= c.stableMs ? '' : ' (restarted recently)'}`, staffDetail: `${u.restarts} automatic restart(s); want up ≥ ${c.stableMs / 1000} s` };
    }
    case 'fault-cleared': {
      const held = await withTimeout(agent.faults(), CHECK_TIMEOUT_MS, 'agent faults');
      const id = ctx.agentFaultIdOf(c.fault);
      const holds = held.some((f) => f.id === id && f.state === 'active');
      // The trainee sees only that the VM is still affected; the fault's name would give the answer away.
      return { passing: !holds, detail: `${vm.vmName}: ${holds ? 'still affected' : 'recovered'}`, staffDetail: `${c.fault} ${holds ? 'still in effect' : 'cleared'}` };
    }
    case 'probe': {
      const p = await ctx.probes.stats(vm.vmName, vm.guestIp, vm.hostLink, c.overMs);
      const latencyOk = c.latencyBelowMs === null || (p.p95Ms !== null && p.p95Ms < c.latencyBelowMs);
      const passing = p.sent > 0 && p.lossPct < c.lossBelowPct && latencyOk;
      const over = `${round1(Math.min(c.overMs, c.overMs * p.coverage) / 1000)} s`;
      const rtt = p.p95Ms === null ? 'no answers' : `p95 ${round1(p.p95Ms)} ms`;
      const want = `want loss < ${c.lossBelowPct} %${c.latencyBelowMs === null ? '' : ` and p95 < ${c.latencyBelowMs} ms`}`;
      return { passing, detail: `${vm.vmName}: ${p.lossPct} % of pings lost over ${over}, ${rtt} (${want})` };
    }
    case 'e2e':
      return endToEnd(key, vm, c.port, ctx.memory);
  }
}

/** Passes when the check passes on every VM of the condition; the details name each VM. */
export async function evaluateCondition(key: string, cond: CompiledCondition, link: AgentLink, ctx: CheckContext): Promise<ConditionResult> {
  const results = await Promise.all(
    cond.vms.map(async (name): Promise<VmResult> => {
      const vm = link.target(name);
      if (!vm) return { passing: false, detail: `${name}: no such VM in the fleet` };
      try {
        return await checkOne(key, cond.check, vm, link.agent(name), ctx);
      } catch (e) {
        const msg = (e as Error).message;
        // A timeout is what a user sees; the reason (agent error, route) is for staff.
        return { passing: false, detail: `${name}: no answer in time`, staffDetail: `check failed: ${msg}`, inconclusive: true };
      }
    }),
  );
  const staff = results.map((r) => (r.staffDetail ? `${r.detail} [${r.staffDetail}]` : r.detail));
  const contradictions = results.flatMap((r) => r.contradictions ?? []);
  return {
    ...(contradictions.length ? { contradictions } : {}),
    passing: results.every((r) => r.passing),
    ...(results.some((r) => r.inconclusive) ? { inconclusive: true } : {}),
    detail: results.map((r) => r.detail).join('; '),
    ...(results.some((r) => r.staffDetail) ? { staffDetail: staff.join('; ') } : {}),
  };
}
