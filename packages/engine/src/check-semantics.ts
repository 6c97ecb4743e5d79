/**
 * The rules that reach across the document, which neither zod nor a JSON Schema can say
 * for one field: type-dependent fault params and check fields (checked with their own
 * schemas, cross-field rules and all), targets that must name real tiers and VMs, services
 * the tier runs, unique ids, and times inside the time limit.
 * Works on the raw parsed YAML (defensively) so these problems are reported together with
 * the schema's, not only after the schema passes.
 */
import { CHECK_FIELDS, CHECK_TYPES, FAULT_PARAMS, FAULT_TYPES, MAX_TIER_VMS, parseDurationMs } from '@pudu/schema';
import type { z } from 'zod';
import { didYouMean } from './did-you-mean.ts';
import { checkRunSafety } from './check-run-safety.ts';
import type { PathSegment } from './scenario-issue.ts';
import { convertZodIssues } from './zod-issues.ts';
import type { RawIssue } from './zod-issues.ts';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const DEFAULT_TIME_LIMIT_MS = 30 * 60_000;

export interface Tier {
  name: string;
  count: number;
  services: string[];
}

export function tiersOf(root: Obj): Tier[] {
  const env = isObj(root.environment) ? root.environment : {};
  return list(env.tiers).filter(isObj).filter((t) => typeof t.name === 'string').map((t) => ({
    name: t.name as string,
    // Out-of-range counts are the schema's error; here they must not expand into huge lists.
    count: Number.isInteger(t.count) && (t.count as number) >= 1 && (t.count as number) <= MAX_TIER_VMS ? (t.count as number) : 1,
    services: list(t.services).filter((s): s is string => typeof s === 'string'),
  }));
}

export function durationOf(v: unknown, fallback: number | null): number | null {
  if (v === undefined) return fallback;
  return typeof v === 'string' ? parseDurationMs(v) : null;
}

export function checkDuplicates(items: unknown[], key: string, base: PathSegment[], what: string, out: RawIssue[]): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    if (!isObj(item) || typeof item[key] !== 'string') return;
    const id = item[key] as string;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else out.push({ path: [...base, i, key], message: `duplicate ${what} "${id}" (first used at ${String(base[0])}[${first}])` });
  });
}

/** Resolves a target to its tier (for service checks) and reports every way it can be wrong. */
export function checkTarget(target: unknown, path: PathSegment[], tiers: Tier[], out: RawIssue[]): Tier | undefined {
  if (!isObj(target)) return undefined;
  const names = tiers.map((t) => t.name);
  const hasTier = target.tier !== undefined;
  // Neither or both: the target schema's own rule reports it.
  if (hasTier === (target.vm !== undefined)) return undefined;
  if (hasTier) {
    if (typeof target.tier !== 'string') return undefined;
    const tier = tiers.find((t) => t.name === target.tier);
    if (!tier) {
      out.push({ path: [...path, 'tier'], message: `unknown tier "${target.tier}"${didYouMean(target.tier, names) || `; tiers: ${names.join(', ')}`}` });
      return undefined;
    }
    const sel = target.select;
    if (isObj(sel) && typeof sel.count === 'number' && sel.count > tier.count) {
      out.push({ path: [...path, 'select', 'count'], message: `tier "${tier.name}" has only ${tier.count} VM(s), cannot select ${sel.count}` });
    }
    return tier;
  }
  if (typeof target.vm !== 'string') return undefined;
  const m = /^(.+)-(\d+)$/.exec(target.vm);
  const vmNames = tiers.flatMap((t) => Array.from({ length: t.count }, (_, i) => `${t.name}-${i}`));
  const tier = m ? tiers.find((t) => t.name === m[1]) : undefined;
  if (!m || !tier || Number(m[2]) >= tier.count) {
    out.push({ path: [...path, 'vm'], message: `unknown vm "${target.vm}"${didYouMean(target.vm, vmNames) || `; vms: ${vmNames.join(', ')}`}` });
    return undefined;
  }
  return tier;
}

export function checkTyped(
  node: Obj, typeKey: 'type', types: readonly string[], fieldsOf: (t: string) => z.ZodType, pick: (n: Obj) => unknown,
  path: PathSegment[], fieldsPath: PathSegment[], out: RawIssue[],
): string | undefined {
  const type = node[typeKey];
  if (typeof type !== 'string' || !types.includes(type)) return undefined;
  const value = pick(node);
  const result = fieldsOf(type).safeParse(value ?? {});
  if (!result.success) out.push(...convertZodIssues(result.error.issues, value ?? {}, fieldsOf(type), [...path, ...fieldsPath]));
  return type;
}

/** `faults` or the instructor's `extra_faults`: params per type, targets, services, times. */
function checkFaults(root: Obj, key: 'faults' | 'extra_faults', tiers: Tier[], timeLimitMs: number | null, out: RawIssue[]): void {
  const faults = list(root[key]);
  checkDuplicates(faults, 'id', [key], 'fault id', out);
  faults.forEach((f, i) => {
    if (!isObj(f)) return;
    const path: PathSegment[] = [key, i];
    const type = checkTyped(f, 'type', FAULT_TYPES, (t) => FAULT_PARAMS[t as keyof typeof FAULT_PARAMS], (n) => n.params, path, ['params'], out);
    const params = isObj(f.params) ? f.params : {};
    const tier = checkTarget(f.target, [...path, 'target'], tiers, out);
    // Faults that act on a service need it among the tier's services (only those run there).
    const serviceParam = type === 'process' ? 'service' : type === 'config' ? 'restart' : null;
    const service = serviceParam ? params[serviceParam] : undefined;
    if (tier && serviceParam && typeof service === 'string' && !tier.services.includes(service)) {
      out.push({ path: [...path, 'params', serviceParam], message: `service "${service}" is not among tier "${tier.name}" services [${tier.services.join(', ')}]${didYouMean(service, tier.services)}` });
    }
    if (type === 'db-connections' && tier && !tier.services.includes('postgresql')) {
      out.push({ path: [...path, 'target'], message: `db-connections needs postgresql among tier "${tier.name}" services [${tier.services.join(', ')}]` });
    }
    const at = durationOf(f.at, 0);
    const dur = durationOf(f.duration, 0);
    if (timeLimitMs !== null && at !== null && dur !== null && at + dur > timeLimitMs) {
      out.push({ path: [...path, f.duration !== undefined ? 'duration' : 'at'], message: `fault runs until ${(at + dur) / 1000}s, past the scenario time_limit of ${timeLimitMs / 1000}s` });
    }
  });
}

/** One check (of an objective, an alert or a penalty): its type's fields, its target, the fault it names. */
export function checkCheck(check: unknown, path: PathSegment[], tiers: Tier[], faultIds: string[], out: RawIssue[]): void {
  if (!isObj(check)) return;
  const pickFields = (n: Obj): Obj => Object.fromEntries(Object.entries(n).filter(([k]) => k !== 'type' && k !== 'target'));
  const type = checkTyped(check, 'type', CHECK_TYPES, (t) => CHECK_FIELDS[t as keyof typeof CHECK_FIELDS], pickFields, path, [], out);
  const tier = checkTarget(check.target, [...path, 'target'], tiers, out);
  if (type === 'fault-cleared' && typeof check.fault === 'string' && !faultIds.includes(check.fault)) {
    out.push({ path: [...path, 'fault'], message: `unknown fault "${check.fault}"${didYouMean(check.fault, faultIds) || `; faults: ${faultIds.join(', ') || 'none'}`}` });
  }
  // An instance of a listed service counts too (postgresql@15-main is the cluster behind postgresql).
  if (type === 'unit-healthy' && tier && typeof check.service === 'string' && !tier.services.some((s) => check.service === s || String(check.service).startsWith(`${s}@`))) {
    out.push({ path: [...path, 'service'], message: `service "${check.service}" is not among tier "${tier.name}" services [${tier.services.join(', ')}]${didYouMean(check.service, tier.services)}` });
  }
}

function checkObjectives(root: Obj, tiers: Tier[], faultIds: string[], out: RawIssue[]): void {
  const objectives = list(root.objectives);
  checkDuplicates(objectives, 'id', ['objectives'], 'objective id', out);
  objectives.forEach((o, i) => {
    if (isObj(o)) checkCheck(o.check, ['objectives', i, 'check'], tiers, faultIds, out);
  });
  const penalties = list(root.penalties);
  checkDuplicates(penalties, 'id', ['penalties'], 'penalty id', out);
  penalties.forEach((p, i) => {
    if (isObj(p) && isObj(p.when)) checkCheck(p.when.check, ['penalties', i, 'when', 'check'], tiers, faultIds, out);
  });
  const rc = isObj(root.root_cause) ? root.root_cause : null;
  if (rc && typeof rc.answer === 'number' && rc.answer >= list(rc.choices).length) {
    out.push({ path: ['root_cause', 'answer'], message: list(rc.choices).length === 0 ? 'a choice index needs "choices"; give accepted answers as a list for free text' : `no choice ${rc.answer}: there are ${list(rc.choices).length} (counted from 0)` });
  }
  if (rc && Array.isArray(rc.answer)) {
    rc.answer.forEach((a, i) => {
      if (typeof a === 'string' && !isRegExp(a)) out.push({ path: ['root_cause', 'answer', i], message: 'expected a regular expression' });
    });
  }
}

const isRegExp = (s: string): boolean => {
  try {
    new RegExp(s, 'i');
    return true;
  } catch {
    return false;
  }
};

/** Every cross-field problem in a raw scenario document. */
export function checkSemantics(root: unknown): RawIssue[] {
  if (!isObj(root)) return [];
  const out: RawIssue[] = [];
  const tiers = tiersOf(root);
  const env = isObj(root.environment) ? root.environment : {};
  checkDuplicates(list(env.tiers), 'name', ['environment', 'tiers'], 'tier name', out);
  const meta = isObj(root.scenario) ? root.scenario : {};
  const timeLimitMs = durationOf(meta.time_limit, DEFAULT_TIME_LIMIT_MS);
  checkFaults(root, 'faults', tiers, timeLimitMs, out);
  checkFaults(root, 'extra_faults', tiers, timeLimitMs, out);
  const faultIds = list(root.faults).filter(isObj).map((f) => f.id).filter((id): id is string => typeof id === 'string');
  checkObjectives(root, tiers, faultIds, out);
  checkRunSafety(root, tiers, faultIds, timeLimitMs, out);
  const history = isObj(root.history) ? root.history : {};
  list(history.records).forEach((r, i) => {
    if (isObj(r)) checkTarget(r.target, ['history', 'records', i, 'target'], tiers, out);
  });
  const signals = isObj(root.signals) ? root.signals : {};
  list(signals.alerts).forEach((a, i) => {
    if (isObj(a) && a.when !== undefined && a.fired_at !== undefined) {
      out.push({ path: ['signals', 'alerts', i, 'fired_at'], at: 'key', message: 'an alert either fires at a time (fired_at) or from its condition (when), not both' });
    }
    if (isObj(a) && isObj(a.when)) checkCheck(a.when.check, ['signals', 'alerts', i, 'when', 'check'], tiers, faultIds, out);
    const firedAt = isObj(a) ? durationOf(a.fired_at, 0) : null;
    if (timeLimitMs !== null && firedAt !== null && firedAt > timeLimitMs) {
      out.push({ path: ['signals', 'alerts', i, 'fired_at'], message: `fires at ${firedAt / 1000}s, after the time_limit of ${timeLimitMs / 1000}s` });
    }
  });
  return out;
}
