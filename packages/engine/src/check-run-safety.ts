/**
 * check-semantics' rules for the run-time safety parts of a scenario (guardrail-spec.ts):
 * which mode may use what, steady_state and abort_when checks, extra faults, and ramps
 * (each step's params valid for the fault's type, a type with no intensity refused, lists
 * of one length, a reach that only grows, every step inside the fault's window).
 */
import { FAULT_PARAMS, FAULT_TYPES, RAMP_PARAMS, selectSchema, type FaultType } from '@pudu/schema';
import { didYouMean } from './did-you-mean.ts';
import type { PathSegment } from './scenario-issue.ts';
import { convertZodIssues, type RawIssue } from './zod-issues.ts';
import { checkCheck, checkDuplicates, checkTarget, durationOf, isObj, list, type Obj, type Tier } from './check-semantics.ts';

/** How many VMs a select reaches in a tier of `size` (selectTargets' arithmetic). */
function reachOf(select: unknown, size: number): number | null {
  const s = selectSchema.safeParse(select);
  if (!s.success) return null;
  const v = s.data;
  if (v === 'all') return size;
  if (v === 'one' || v === 'random') return 1;
  return Math.min(size, 'count' in v ? v.count : Math.max(1, Math.ceil((v.percent / 100) * size)));
}

function checkRamp(f: Obj, path: PathSegment[], tiers: Tier[], timeLimitMs: number | null, out: RawIssue[]): void {
  const ramp = f.ramp;
  if (!isObj(ramp) || typeof f.type !== 'string' || !(FAULT_TYPES as readonly string[]).includes(f.type)) return;
  const type = f.type as FaultType;
  const rp: PathSegment[] = [...path, 'ramp'];
  const intensity = RAMP_PARAMS[type];
  const keys = Object.keys(ramp).filter((k) => k !== 'every' && k !== 'on_breach' && k !== 'select');
  for (const k of keys) {
    if (intensity.length === 0) {
      out.push({ path: [...rp, k], at: 'key', message: `a ${type} fault has no intensity to ramp (only "select" may step its reach); ramped types: ${FAULT_TYPES.filter((t) => RAMP_PARAMS[t].length > 0).join(', ')}` });
    } else if (!intensity.includes(k)) {
      out.push({ path: [...rp, k], at: 'key', message: `"${k}" is not an intensity of a ${type} fault${didYouMean(k, [...intensity])}; it may ramp: ${intensity.join(', ')}` });
    }
  }
  if (keys.length === 0 && ramp.select === undefined) out.push({ path: rp, message: 'a ramp steps at least one intensity param or "select"' });
  const lengths = [...keys, ...(ramp.select !== undefined ? ['select'] : [])].filter((k) => Array.isArray(ramp[k])).map((k) => [k, (ramp[k] as unknown[]).length] as const);
  const n = lengths[0]?.[1] ?? 0;
  for (const [k, len] of lengths) if (len !== n) out.push({ path: [...rp, k], message: `has ${len} steps but "${lengths[0]![0]}" has ${n}: every list of a ramp gives one value per step` });
  // Each step is the fault's params with that step's values: the type's own schema judges it.
  const params = isObj(f.params) ? f.params : {};
  for (const k of keys.filter((k) => intensity.includes(k) && Array.isArray(ramp[k]))) {
    (ramp[k] as unknown[]).forEach((v, i) => {
      const stepParams = { ...params, [k]: v };
      const r = FAULT_PARAMS[type].safeParse(stepParams);
      if (r.success) return;
      for (const issue of convertZodIssues(r.error.issues, stepParams, FAULT_PARAMS[type], [])) {
        // Every issue of the step points at its value; one about another field (jitter ≤ latency) names it.
        const about = issue.path[0] === k || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `;
        out.push({ path: [...rp, k, i], message: `step ${i + 1}: ${about}${issue.message}` });
      }
    });
  }
  if (Array.isArray(ramp.select)) {
    const target = isObj(f.target) ? f.target : {};
    if (target.vm !== undefined) out.push({ path: [...rp, 'select'], message: 'a ramp of reach needs a target tier ("select" applies to a tier, not one vm)' });
    const tier = tiers.find((t) => t.name === target.tier);
    if (tier) {
      const reach = ramp.select.map((s) => reachOf(s, tier.count));
      reach.forEach((r, i) => {
        if (i > 0 && r !== null && reach[i - 1] !== null && r < reach[i - 1]!) out.push({ path: [...rp, 'select', i], message: `reaches ${r} VM(s), fewer than step ${i} (${reach[i - 1]}): a ramp's reach only grows` });
      });
      if (target.select !== undefined) out.push({ path: [...path, 'target', 'select'], message: 'the ramp\'s "select" gives the reach of every step; remove the target\'s select' });
    }
  }
  const every = durationOf(ramp.every, null);
  const at = durationOf(f.at, 0);
  if (every !== null && at !== null && n > 1) {
    const lastStep = at + (n - 1) * every;
    const dur = f.duration === undefined ? null : durationOf(f.duration, null);
    if (dur !== null && lastStep >= at + dur) out.push({ path: [...rp, 'every'], message: `the last step would start at ${lastStep / 1000}s, after the fault ends at ${(at + dur) / 1000}s` });
    else if (timeLimitMs !== null && lastStep >= timeLimitMs) out.push({ path: [...rp, 'every'], message: `the last step would start at ${lastStep / 1000}s, past the scenario time_limit of ${timeLimitMs / 1000}s` });
  }
}

/** Every rule of the safety parts; called by checkSemantics with what it already resolved. */
export function checkRunSafety(root: Obj, tiers: Tier[], faultIds: string[], timeLimitMs: number | null, out: RawIssue[]): void {
  const meta = isObj(root.scenario) ? root.scenario : {};
  const experiment = meta.mode === 'experiment';
  const steady = list(root.steady_state);
  const aborts = list(root.abort_when);
  const extras = list(root.extra_faults);
  if (!experiment) {
    if (steady.length > 0) out.push({ path: ['steady_state'], at: 'key', message: 'steady_state belongs to an experiment (scenario.mode: experiment); a training run stays broken until the trainee fixes it' });
    if (aborts.length > 0) out.push({ path: ['abort_when'], at: 'key', message: 'abort_when belongs to an experiment (scenario.mode: experiment); a training run\'s limits are its containment guardrails' });
  } else {
    if (list(root.objectives).length > 0) out.push({ path: ['objectives'], at: 'key', message: 'an experiment is judged by its steady_state, not by objectives (they are what a trainee restores)' });
    if (extras.length > 0) out.push({ path: ['extra_faults'], at: 'key', message: 'extra_faults are injected by an instructor during training; an experiment runs as planned' });
  }
  checkDuplicates(steady, 'id', ['steady_state'], 'steady_state id', out);
  steady.forEach((s, i) => {
    if (isObj(s)) checkCheck(s.check, ['steady_state', i, 'check'], tiers, faultIds, out);
  });
  checkDuplicates(aborts, 'id', ['abort_when'], 'abort_when id', out);
  aborts.forEach((a, i) => {
    if (!isObj(a)) return;
    if (a.check !== undefined) checkCheck(a.check, ['abort_when', i, 'check'], tiers, faultIds, out);
    if (isObj(a.metric)) checkTarget(a.metric.target, ['abort_when', i, 'metric', 'target'], tiers, out);
  });
  const ids = new Set(faultIds);
  extras.forEach((f, i) => {
    if (!isObj(f)) return;
    if (typeof f.id === 'string' && ids.has(f.id)) out.push({ path: ['extra_faults', i, 'id'], message: `fault id "${f.id}" is already used in faults` });
    if (f.at !== undefined) out.push({ path: ['extra_faults', i, 'at'], at: 'key', message: 'an extra fault starts when the instructor injects it: remove "at"' });
    if (f.ramp !== undefined) out.push({ path: ['extra_faults', i, 'ramp'], at: 'key', message: 'an extra fault is injected as it is: no ramp' });
  });
  list(root.faults).forEach((f, i) => {
    if (isObj(f)) checkRamp(f, ['faults', i], tiers, timeLimitMs, out);
  });
}
