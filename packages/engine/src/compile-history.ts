/**
 * The scenario's `history:` block → what each VM's past holds: its uptime (on the VM plan,
 * where drivers read it), the dated records before the run, the shell history. Targets are
 * resolved with a random of their own (derived from the seed), so adding history to a
 * scenario never changes which VMs its faults and objectives pick for the same seed.
 */
import { defaultUptimeS, parseDurationMs, stableHash, type AgentHistoryPlan, type ScenarioSpec } from '@pudu/schema';
import type { CompiledHistory, CompiledScenario, VmPlan } from './compiled-scenario.ts';
import { agentFaultId } from './run-state.ts';
import { seededRandom } from './random.ts';
import { selectTargets } from './select-targets.ts';

/** Salt of the history's own random stream. */
const HISTORY_SEED_SALT = 0x4157_0b5e;

/** The VMs with their uptime: the scenario's `history.uptime` as a minimum, else a default fixed per scenario. */
export function withUptime(spec: ScenarioSpec, vms: VmPlan[]): VmPlan[] {
  const minMs = spec.history?.uptime === undefined ? undefined : parseDurationMs(spec.history.uptime);
  return vms.map((v) => ({ ...v, uptimeS: defaultUptimeS(spec.scenario.id, v.name, minMs === undefined || minMs === null ? undefined : Math.round(minMs / 1000)) }));
}

export function compileHistory(spec: ScenarioSpec, vms: readonly VmPlan[], seed: number): CompiledHistory {
  const h = spec.history;
  const random = seededRandom((seed ^ HISTORY_SEED_SALT) >>> 0);
  const records = (h?.records ?? []).flatMap((r) => {
    const names = r.target ? selectTargets(r.target, vms, random) : vms.map((v) => v.name);
    return names.map((vm) => ({ vm, file: r.file, line: r.line, agoMs: parseDurationMs(r.ago) ?? 0 }));
  });
  return { defaults: h?.defaults ?? true, records, shell: [...(h?.shell ?? [])] };
}

/**
 * What one VM's agent is asked to write before the run (`POST /history`): its records as
 * ages, the shell history, and the records of the faults that land on it, keyed by the id
 * the agent knows them by.
 */
export function historyRequestFor(plan: CompiledScenario, runId: string, vm: string): AgentHistoryPlan {
  const h = plan.history ?? { defaults: true, records: [], shell: [] };
  const onFault: Record<string, { file: string; line: string }[]> = {};
  for (const f of plan.faults) if (f.vm === vm && f.history?.length) onFault[agentFaultId(runId, f.id)] = f.history;
  return {
    seed: (plan.seed + stableHash(vm)) >>> 0,
    defaults: h.defaults,
    records: h.records.filter((r) => r.vm === vm).map((r) => ({ file: r.file, line: r.line, ago_ms: r.agoMs })),
    shell: h.shell,
    on_fault: onFault,
  };
}
