/**
 * The I/O half of the run's safety rules (the rules are the engine's run-preflight.ts and
 * run-guardrails.ts): pre-flight asks every agent who it is and every fault's plan, nothing
 * applied; the containment sample reads the host's headroom and each VM's use.
 */
import { readFileSync, statfsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import type { Action, CompiledFault, HostSample, PreflightProblem } from '@pudu/engine';
import { isPuduError } from '@pudu/schema';
import type { AgentLink } from './agent-link.ts';

const why = (e: unknown): string => (isPuduError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e));

/** Every VM's agent answers a signed call (healthy, authenticated) and plans every fault; the policy allows each. */
export async function runPreflight(
  link: AgentLink, fleetId: string | null, a: Extract<Action, { kind: 'preflight' }>,
  policy: (f: CompiledFault) => { reason: string } | null,
): Promise<PreflightProblem[]> {
  try {
    await link.sync(fleetId);
  } catch (e) {
    return [{ check: 'agents', reason: why(e) }];
  }
  const problems: PreflightProblem[] = [];
  await Promise.all(a.vms.map(async (vm) => {
    try {
      await link.agent(vm).faults();
    } catch (e) {
      problems.push({ check: `agent ${vm}`, reason: why(e) });
    }
  }));
  await Promise.all(a.faults.map(async ({ agentId, fault }) => {
    const check = `fault ${fault.id} on ${fault.vm}`;
    const denied = policy(fault);
    if (denied) return void problems.push({ check, reason: `the policy denies it: ${denied.reason}` });
    try {
      await link.agent(fault.vm).planFault({ id: agentId, type: fault.type, params: fault.params, durationMs: fault.durationMs });
    } catch (e) {
      problems.push({ check, reason: why(e) });
    }
  }));
  return problems.sort((x, y) => x.check.localeCompare(y.check));
}

function memAvailablePct(): number {
  const m = readFileSync('/proc/meminfo', 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(m)?.[1] ?? 0);
  const total = kb('MemTotal');
  return total > 0 ? (100 * kb('MemAvailable')) / total : 100;
}

/** The host's headroom and each VM's use (a VM whose agent does not answer is left out: its absence is no breach). */
export async function sampleHost(link: AgentLink, fleetId: string | null, diskPath: string, withVms: boolean): Promise<HostSample> {
  const fs = statfsSync(diskPath);
  const sample: HostSample = {
    loadPerCpu: loadavg()[0]! / availableParallelism(),
    memAvailablePct: memAvailablePct(),
    diskFreePct: fs.blocks > 0 ? (100 * fs.bavail) / fs.blocks : 100,
    vms: {},
  };
  if (!withVms) return sample;
  try {
    await link.sync(fleetId);
  } catch {
    return sample;
  }
  await Promise.all(link.vmNames().map(async (vm) => {
    try {
      const m = await link.agent(vm).metrics();
      sample.vms[vm] = { cpuPct: m.cpu_pct, memPct: m.mem_used_pct, diskPct: m.disk_used_pct };
    } catch {
      // Unreachable agents are the integrity rules' business.
    }
  }));
  return sample;
}
