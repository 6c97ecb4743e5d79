/**
 * Containment guardrails (both modes; what a training run watches instead of the service,
 * which must stay broken until the trainee fixes it): host load per CPU, host memory and
 * disk headroom, each VM's CPU/memory/disk ceilings, and the run's fault budget (injections,
 * faults at once). A limit crossed for `guardrails.for` aborts the run with the reason, or
 * (on_breach: pause) takes every fault out until it has cleared for as long.
 */
import { agentFaultId, faultKey } from './run-state.ts';
import type { HostSample } from './run-safety-state.ts';
import { publish, type Turn } from './run-turn.ts';
import { finish } from './run-end.ts';
import { sustain, sustained } from './sustained.ts';
import { rampBreach } from './run-ramp.ts';

/** The host and the VMs are sampled this often. */
export const GUARDRAIL_SAMPLE_MS = 1000;

interface Crossing {
  name: string;
  crossed: boolean;
  detail: string;
}

const fmt = (n: number): string => (Math.round(n * 10) / 10).toString();

/** Each limit of the plan against one sample. */
export function crossings(t: Turn, x: HostSample): Crossing[] {
  const g = t.plan.compiled.guardrails;
  const out: Crossing[] = [];
  if (g.hostLoadPerCpu !== null) out.push({ name: 'host_load_per_cpu', crossed: x.loadPerCpu > g.hostLoadPerCpu, detail: `host load ${fmt(x.loadPerCpu)} per CPU > ${g.hostLoadPerCpu}` });
  out.push({ name: 'host_mem_free', crossed: x.memAvailablePct < g.hostMemFreePct, detail: `host memory available ${fmt(x.memAvailablePct)} % < ${g.hostMemFreePct} %` });
  out.push({ name: 'host_disk_free', crossed: x.diskFreePct < g.hostDiskFreePct, detail: `host disk free ${fmt(x.diskFreePct)} % < ${g.hostDiskFreePct} %` });
  const vmLimits = [['vm_cpu', g.vmCpuPct, 'cpuPct', 'CPU'], ['vm_mem', g.vmMemPct, 'memPct', 'memory'], ['vm_disk', g.vmDiskPct, 'diskPct', 'disk']] as const;
  for (const [name, limit, field, what] of vmLimits) {
    if (limit === null) continue;
    const over = Object.entries(x.vms).filter(([, v]) => v[field] > limit).sort((a, b) => b[1][field] - a[1][field]);
    out.push({ name, crossed: over.length > 0, detail: over.length ? `${over[0]![0]} ${what} ${fmt(over[0]![1][field])} % > ${limit} %` : '' });
  }
  return out;
}

/** One sample: windows advance, a crossing held for `for` is a breach, a pause ends once its limit cleared for as long. */
export function hostSampled(t: Turn, atMs: number, x: HostSample): void {
  const { s, plan } = t;
  if (s.state !== 'running' || s.startedAtMs === null) return;
  const g = plan.compiled.guardrails;
  const now = crossings(t, x);
  for (const c of now) s.guardrailSince[c.name] = sustain(s.guardrailSince[c.name], c.crossed, atMs);
  // A ramp's step is not followed once a limit has been crossed in two samples running (one spike is not a trend).
  const crossed = now.filter((c) => c.crossed && sustained(s.guardrailSince[c.name], GUARDRAIL_SAMPLE_MS, atMs));
  if (crossed.length > 0) rampBreach(t, atMs - s.startedAtMs, crossed.map((c) => c.detail).join('; '));
  for (const c of now) {
    const clearKey = `clear:${c.name}`;
    s.guardrailSince[clearKey] = sustain(s.guardrailSince[clearKey], !c.crossed, atMs);
    if (s.pausedBy === c.name && sustained(s.guardrailSince[clearKey], g.forMs, atMs)) {
      s.pausedBy = null;
      publish(t, 'guardrail.cleared', { guardrail: c.name });
    } else if (c.crossed && s.pausedBy === null && sustained(s.guardrailSince[c.name], g.forMs, atMs)) {
      breach(t, c.name, `${c.detail} for ${Math.round((atMs - s.guardrailSince[c.name]!) / 1000)} s`);
      if (s.state !== 'running') return;
    }
  }
}

/** Before an apply: the run's fault budget. Returns false (and breaches) when it is spent. */
export function withinBudget(t: Turn): boolean {
  const { s, plan } = t;
  const g = plan.compiled.guardrails;
  if (s.injections >= g.maxInjections) {
    breach(t, 'max_injections', `the run's fault budget of ${g.maxInjections} injection(s) is spent`);
    return false;
  }
  const active = Object.values(s.faults).filter((p) => p.state === 'active').length;
  if (g.maxActiveFaults !== null && active >= g.maxActiveFaults) {
    breach(t, 'max_active_faults', `${active} fault(s) already in effect, the most at once is ${g.maxActiveFaults}`);
    return false;
  }
  return true;
}

function breach(t: Turn, name: string, detail: string): void {
  const { s, plan } = t;
  const action = plan.compiled.guardrails.onBreach;
  publish(t, 'guardrail.breached', { guardrail: name, detail, action });
  // The budget never clears by itself: spending it always ends the run.
  if (action === 'abort' || name.startsWith('max_')) return finish(t, 'aborted', null, `guardrail ${name}: ${detail}`);
  // Pause: every fault in place goes back (pending again) until the limit has cleared.
  s.pausedBy = name;
  for (const f of plan.compiled.faults) {
    const key = faultKey(f);
    const p = s.faults[key];
    if (p?.state !== 'active') continue;
    p.restep = true;
    t.out.push({ kind: 'revert-fault', key, agentId: agentFaultId(plan.runId, f.id), fault: f, why: `paused by guardrail ${name}` });
  }
}
