/**
 * Progressive ramps: a ramped fault starts at its first step (its params, its reach) and
 * moves to the next step every `every` — only if no guardrail fired during the step. A
 * breach holds the ramp where it is, rolls it back one step, or aborts the run (the ramp's
 * on_breach). A step that changes a VM's params reverts the fault there and applies it
 * again with the new ones (`restep`); a step that widens the reach applies it on the new VMs.
 */
import type { CompiledFault, CompiledRamp } from './compiled-scenario.ts';
import { agentFaultId, faultKey, type RunPlan } from './run-state.ts';
import { publish, type Turn } from './run-turn.ts';
import { finish } from './run-end.ts';

const rampOf = (plan: RunPlan, faultId: string): CompiledRamp | undefined => plan.compiled.ramps.find((r) => r.faultId === faultId);
const stepOf = (t: Turn, faultId: string): number => t.s.ramps[faultId]?.step ?? 1;

/** The fault as the run applies it now: a ramped one with its current step's params. */
export function effectiveFault(t: Turn, f: CompiledFault): CompiledFault {
  const r = rampOf(t.plan, f.id);
  return r ? { ...f, params: r.steps[stepOf(t, f.id) - 1]!.params } : f;
}

/** False for a ramped fault's VM its current step does not reach yet (it waits, pending, and is not missed). */
export function inReach(t: Turn, f: CompiledFault): boolean {
  const r = rampOf(t.plan, f.id);
  return !r || r.steps[stepOf(t, f.id) - 1]!.vms.includes(f.vm);
}

/** Every fault with every set of params it may be applied with: pre-flight plans each of them. */
export function stepFaults(plan: RunPlan): CompiledFault[] {
  return plan.compiled.faults.flatMap((f) => {
    const r = rampOf(plan, f.id);
    return r ? r.steps.filter((st) => st.vms.includes(f.vm)).map((st) => ({ ...f, params: st.params })) : [f];
  });
}

/** The clock starts: every ramp at its first step, which begins when its fault does. */
export function startRamps(t: Turn): void {
  for (const r of t.plan.compiled.ramps) {
    const atMs = t.plan.compiled.faults.find((f) => f.id === r.faultId)?.atMs ?? 0;
    t.s.ramps[r.faultId] = { step: 1, stepAtMs: atMs, breached: false, held: false };
  }
}

/** A guardrail fired: every ramp whose current step has begun records it (the step will not be followed). */
export function rampBreach(t: Turn, elapsed: number, why: string): void {
  for (const [id, st] of Object.entries(t.s.ramps)) {
    if (st.held || elapsed < st.stepAtMs || st.breached) continue;
    st.breached = true;
    publish(t, 'ramp.breach', { fault: id, step: st.step, why });
  }
}

/** Time-driven: each ramp whose step has lasted `every` moves on, holds, rolls back or aborts. */
export function advanceRamps(t: Turn, elapsed: number): void {
  for (const r of t.plan.compiled.ramps) {
    const st = t.s.ramps[r.faultId];
    if (!st || st.held || elapsed < st.stepAtMs + r.everyMs) continue;
    if (st.breached) {
      if (r.onBreach === 'abort') return finish(t, 'aborted', null, `ramp ${r.faultId}: a guardrail fired during step ${st.step}/${r.steps.length}`);
      st.held = true;
      if (r.onBreach === 'rollback' && st.step > 1) {
        st.step -= 1;
        publish(t, 'ramp.rolled-back', { fault: r.faultId, step: st.step, steps: r.steps.length, params: r.steps[st.step - 1]!.params });
        restep(t, r, st.step + 1);
      } else {
        publish(t, 'ramp.held', { fault: r.faultId, step: st.step, steps: r.steps.length });
      }
      continue;
    }
    if (st.step >= r.steps.length) continue;
    st.step += 1;
    st.stepAtMs += r.everyMs;
    st.breached = false;
    const next = r.steps[st.step - 1]!;
    publish(t, 'ramp.step', { fault: r.faultId, step: st.step, steps: r.steps.length, params: next.params, vms: next.vms });
    restep(t, r, st.step - 1);
  }
}

/** Faults in place whose params the new step changes (or that it no longer reaches) go back; the tick applies them again with the new ones. */
function restep(t: Turn, r: CompiledRamp, fromStep: number): void {
  const step = r.steps[stepOf(t, r.faultId) - 1]!;
  const same = JSON.stringify(r.steps[fromStep - 1]!.params) === JSON.stringify(step.params);
  for (const f of t.plan.compiled.faults.filter((x) => x.id === r.faultId)) {
    const key = faultKey(f);
    const p = t.s.faults[key];
    if (p?.state !== 'active' || (same && step.vms.includes(f.vm))) continue;
    p.restep = true;
    t.out.push({ kind: 'revert-fault', key, agentId: agentFaultId(t.plan.runId, f.id), fault: { ...f, params: step.params }, why: `ramp step ${stepOf(t, r.faultId)}` });
  }
}
