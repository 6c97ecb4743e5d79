/**
 * The policy decision, pure: a compiled scenario × environment × who × when → per fault,
 * the rule that decided and why, every rule considered and why it did or did not match.
 * The most specific matching rule wins (ties: the most restrictive); no match is deny;
 * a winning allow whose limits the fault exceeds is deny. `puduc policy explain`, the
 * server's proposal check, its run-start check and its per-fault check all call this.
 */
import { parseDurationMs, parsePercent, PuduError, windowContains, parseTimeWindow, type PolicyRule, type PolicySpec } from '@pudu/schema';
import type { CompiledFault, CompiledScenario } from '../compiled-scenario.ts';
import { didYouMean } from '../did-you-mean.ts';
import { describePatterns, matchesAnyOf, matchesValue, patternList } from './patterns.ts';
import type { Actor } from './actor.ts';

export type Outcome = 'allow' | 'approval' | 'deny';

export interface ApprovalRequirement {
  count: number;
  /** Roles or groups; an approver needs one of them. */
  from: string[];
}

export interface RuleConsidered {
  rule: string;
  matched: boolean;
  specificity: number;
  /** Why it did not match (the first failing condition), or what it matched on. */
  why: string;
}

export interface FaultDecision {
  fault: string;
  type: string;
  tier: string | null;
  vms: string[];
  outcome: Outcome;
  /** The deciding rule; null when no rule matched (default deny). */
  rule: string | null;
  reason: string;
  approvals: ApprovalRequirement | null;
  considered: RuleConsidered[];
}

export interface PolicyDecision {
  outcome: Outcome;
  environment: string;
  /** The names rules were matched against: role, base role, groups. */
  as: string[];
  at: string;
  faults: FaultDecision[];
  /** Approvals the whole scenario needs (merged per approver set, largest count). */
  requirements: ApprovalRequirement[];
  /** One line per deny or approval, for errors and summaries. */
  reasons: string[];
}

/** What a rule is matched against for one scenario fault (all the VMs it hits). */
export interface FaultFacts {
  id: string;
  type: string;
  params: Record<string, string>;
  tier: string | null;
  vms: string[];
  tierSize: number;
  services: string[];
  /** How long it lasts; a fault without duration lasts until the time limit. */
  durationMs: number;
  /** cpu load, memory ceiling, network loss/corrupt, in percent; null when the type has none. */
  intensityPct: number | null;
  latencyMs: number | null;
}

/** Explanations compile with this seed unless told, so a file explains the same way offline and online. */
export const EXPLAIN_SEED = 0;

const SEVERITY: Record<Outcome, number> = { allow: 0, approval: 1, deny: 2 };
const MEMORY_DEFAULT_CEILING_PCT = 85;

function intensityOf(type: string, p: Record<string, string>): number | null {
  const pct = (v: string | undefined): number | null => (v === undefined ? null : parsePercent(v));
  if (type === 'cpu') return pct(p.load);
  if (type === 'memory') return pct(p.ceiling) ?? MEMORY_DEFAULT_CEILING_PCT;
  if (type === 'network') return pct(p.packet_loss) ?? pct(p.corrupt);
  return null;
}

/** Groups compiled faults by scenario fault id: one decision per fault the author wrote. */
export function faultFactsOf(plan: CompiledScenario): FaultFacts[] {
  const byId = new Map<string, CompiledFault[]>();
  for (const f of plan.faults) byId.set(f.id, [...(byId.get(f.id) ?? []), f]);
  return [...byId.values()].map((fs) => factsOf(plan, fs));
}

/** Facts for the given compiled faults of one scenario fault (one VM each). */
export function factsOf(plan: CompiledScenario, fs: CompiledFault[]): FaultFacts {
  const f = fs[0]!;
  const vms = plan.vms.filter((v) => fs.some((x) => x.vm === v.name));
  const tier = vms[0]?.tier ?? null;
  // Rules match params as text (glob patterns), whatever their type in the scenario.
  const params = Object.fromEntries(Object.entries(f.params).map(([k, v]) => [k, String(v)]));
  const latency = f.type === 'network' && params.latency !== undefined ? (parseDurationMs(params.latency) ?? 0) + (parseDurationMs(params.jitter ?? '0s') ?? 0) : null;
  return {
    id: f.id,
    type: f.type,
    params,
    tier,
    vms: vms.map((v) => v.name),
    tierSize: plan.vms.filter((v) => v.tier === tier).length,
    services: [...new Set(vms.flatMap((v) => v.services))],
    durationMs: f.durationMs ?? Math.max(0, plan.timeLimitMs - f.atMs),
    intensityPct: intensityOf(f.type, params),
    latencyMs: latency,
  };
}

/** How many conditions a rule states: the more, the more specific. */
export function specificityOf(rule: PolicyRule): number {
  const w = rule.what;
  return (w.fault ? 1 : 0) + Object.keys(w.params ?? {}).length + (w.tier ? 1 : 0) + (w.services ? 1 : 0)
    + (rule.where ? 1 : 0) + (rule.who ? 1 : 0) + (rule.when ? 1 : 0);
}

/** Null when the rule matches, else the first condition that does not hold. */
function mismatch(rule: PolicyRule, f: FaultFacts, env: string, actor: Actor, atMs: number): string | null {
  if (!rule.enabled) return 'disabled';
  const w = rule.what;
  if (w.fault && !matchesValue(w.fault, f.type)) return `fault ${f.type} is not ${describePatterns(w.fault)}`;
  for (const [key, p] of Object.entries(w.params ?? {})) {
    const v = f.params[key];
    if (v === undefined) return `${f.type} has no param ${key}`;
    if (!matchesValue(p, v)) return `${key}=${v} is not ${describePatterns(p)}`;
  }
  if (w.tier && (f.tier === null || !matchesValue(w.tier, f.tier))) return `tier ${f.tier ?? '-'} is not ${describePatterns(w.tier)}`;
  if (w.services && !matchesAnyOf(w.services, f.services)) return `services [${f.services.join(', ')}] do not match ${describePatterns(w.services)}`;
  if (rule.where && !matchesValue(rule.where, env)) return `environment ${env} is not ${describePatterns(rule.where)}`;
  if (rule.who && !matchesAnyOf(rule.who, actor.names)) return `${actor.names.join('/')} is not ${describePatterns(rule.who)}`;
  if (rule.when) {
    const windows = patternList(rule.when);
    const open = windows.some((t) => {
      const win = parseTimeWindow(t);
      return !('error' in win) && windowContains(win, atMs);
    });
    if (!open) return `${new Date(atMs).toISOString()} is outside ${windows.join(' or ')}`;
  }
  return null;
}

function limitViolations(rule: PolicyRule, f: FaultFacts): string[] {
  const l = rule.limits;
  if (!l) return [];
  const out: string[] = [];
  if (l.max_vms !== undefined && f.vms.length > l.max_vms) out.push(`hits ${f.vms.length} VMs, rule allows at most ${l.max_vms}`);
  const pct = f.tierSize ? (f.vms.length / f.tierSize) * 100 : 0;
  if (l.max_percent !== undefined && pct > l.max_percent) out.push(`hits ${Math.round(pct)}% of tier ${f.tier}, rule allows at most ${l.max_percent}%`);
  const maxDur = l.max_duration === undefined ? null : parseDurationMs(l.max_duration);
  if (maxDur !== null && f.durationMs > maxDur) out.push(`lasts ${Math.round(f.durationMs / 1000)} s, rule allows at most ${l.max_duration}`);
  const maxInt = l.max_intensity === undefined ? null : parsePercent(l.max_intensity);
  if (maxInt !== null && f.intensityPct !== null && f.intensityPct > maxInt) out.push(`intensity ${f.intensityPct}%, rule allows at most ${l.max_intensity}`);
  const maxLat = l.max_latency === undefined ? null : parseDurationMs(l.max_latency);
  if (maxLat !== null && f.latencyMs !== null && f.latencyMs > maxLat) out.push(`latency ${f.latencyMs} ms, rule allows at most ${l.max_latency}`);
  return out;
}

const outcomeOf = (r: PolicyRule): Outcome => (r.decision === 'deny' ? 'deny' : r.approvals ? 'approval' : 'allow');

/** Decides one scenario fault. */
export function decideFault(policy: PolicySpec, f: FaultFacts, env: string, actor: Actor, atMs: number): FaultDecision {
  const considered: RuleConsidered[] = policy.rules.map((rule) => {
    const why = mismatch(rule, f, env, actor, atMs);
    return { rule: rule.name, matched: why === null, specificity: specificityOf(rule), why: why ?? 'matches' };
  });
  const base = { fault: f.id, type: f.type, tier: f.tier, vms: f.vms, considered };
  const matched = policy.rules.filter((_, i) => considered[i]!.matched);
  if (matched.length === 0) return { ...base, outcome: 'deny', rule: null, reason: 'no rule matches: denied by default', approvals: null };
  // Most specific first; among equals the most restrictive, then the larger approval count.
  const winner = [...matched].sort((a, b) => specificityOf(b) - specificityOf(a)
    || SEVERITY[outcomeOf(b)] - SEVERITY[outcomeOf(a)] || (b.approvals?.count ?? 0) - (a.approvals?.count ?? 0))[0]!;
  const others = matched.length - 1;
  const why = `most specific of ${matched.length} matching rule(s) (${specificityOf(winner)} condition(s))`;
  const outcome = outcomeOf(winner);
  if (outcome === 'deny') return { ...base, outcome, rule: winner.name, reason: `rule ${winner.name} denies it${others ? `: ${why}` : ''}`, approvals: null };
  const over = limitViolations(winner, f);
  if (over.length) return { ...base, outcome: 'deny', rule: winner.name, reason: `rule ${winner.name} allows it only within its limits: ${over.join('; ')}`, approvals: null };
  const approvals = winner.approvals ? { count: winner.approvals.count, from: [...winner.approvals.from] } : null;
  const what = approvals ? `allows it after ${approvals.count} approval(s) from ${approvals.from.join(' or ')}` : 'allows it';
  return { ...base, outcome, rule: winner.name, reason: `rule ${winner.name} ${what}${others ? `: ${why}` : ''}`, approvals };
}

/** Throws UNKNOWN_ENVIRONMENT (with did-you-mean) unless the policy names the environment. */
export function assertEnvironment(policy: PolicySpec, env: string): PolicySpec['environments'][number] {
  const e = policy.environments.find((x) => x.name === env);
  if (e) return e;
  const names = policy.environments.map((x) => x.name);
  throw new PuduError('UNKNOWN_ENVIRONMENT', `unknown environment "${env}"${didYouMean(env, names) || ''}; the policy names ${names.join(', ')}`);
}

/** Merges requirements with the same approver set (largest count wins). */
export function mergeRequirements(list: ApprovalRequirement[]): ApprovalRequirement[] {
  const byKey = new Map<string, ApprovalRequirement>();
  for (const r of list) {
    const key = [...r.from].sort().join('|');
    const prev = byKey.get(key);
    if (!prev || prev.count < r.count) byKey.set(key, { count: r.count, from: [...r.from].sort() });
  }
  return [...byKey.values()];
}

/** Decides a whole scenario: every fault, plus the environment's own blast radius. */
export function evaluatePolicy(policy: PolicySpec, plan: CompiledScenario, env: string, actor: Actor, atMs: number): PolicyDecision {
  const e = assertEnvironment(policy, env);
  const faults = faultFactsOf(plan).map((f) => decideFault(policy, f, env, actor, atMs));
  const reasons: string[] = [];
  let outcome: Outcome = 'allow';
  if (e.max_vms !== undefined && plan.vms.length > e.max_vms) {
    outcome = 'deny';
    reasons.push(`environment ${env} allows at most ${e.max_vms} VMs; the scenario has ${plan.vms.length}`);
  }
  for (const d of faults) {
    if (SEVERITY[d.outcome] > SEVERITY[outcome]) outcome = d.outcome;
    if (d.outcome !== 'allow') reasons.push(`fault ${d.fault} (${d.type}): ${d.reason}`);
  }
  const requirements = outcome === 'deny' ? [] : mergeRequirements(faults.flatMap((d) => (d.approvals ? [d.approvals] : [])));
  return { outcome, environment: env, as: actor.names, at: new Date(atMs).toISOString(), faults, requirements, reasons };
}
