/**
 * Policy text → a validated PolicySpec, or every problem in it at FILE:LINE:COL with "did
 * you mean" — the same reporting as scenario files. Names that a rule uses (environments,
 * roles, groups, fault types, param names) must exist, so a typo cannot silently make a
 * rule match nothing.
 */
import { BUILTIN_ROLES, FAULT_PARAMS, FAULT_TYPES, policySpecSchema, type PolicySpec } from '@pudu/schema';
import { didYouMean } from '../did-you-mean.ts';
import type { PathSegment, ScenarioIssue } from '../scenario-issue.ts';
import { convertZodIssues, knownKeysAt, type RawIssue } from '../zod-issues.ts';
import { fileIssue, finishIssues, readYamlFile, readYamlSource } from '../yaml-source.ts';
import { isLiteral } from './patterns.ts';

export type PolicyParseResult = { ok: true; policy: PolicySpec } | { ok: false; errors: ScenarioIssue[] };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strings = (v: unknown): string[] => (typeof v === 'string' ? [v] : list(v).filter((x): x is string => typeof x === 'string'));

/** Each literal name in a pattern field must be one of `known`. */
function checkNames(v: unknown, path: PathSegment[], known: string[], what: string, out: RawIssue[]): void {
  const items = typeof v === 'string' ? [v] : list(v);
  items.forEach((item, i) => {
    if (typeof item !== 'string') return;
    const bare = item.startsWith('!') ? item.slice(1) : item;
    if (!isLiteral(bare) || known.includes(bare)) return;
    out.push({ path: typeof v === 'string' ? path : [...path, i], message: `unknown ${what} "${bare}"${didYouMean(bare, known) || `; known: ${known.join(', ') || 'none'}`}` });
  });
}

function policySemantics(root: Obj): RawIssue[] {
  const out: RawIssue[] = [];
  const envs = list(root.environments).filter(isObj).map((e) => e.name).filter((n): n is string => typeof n === 'string');
  list(root.environments).forEach((e, i) => {
    if (isObj(e) && typeof e.name === 'string' && envs.indexOf(e.name) !== i) out.push({ path: ['environments', i, 'name'], message: `duplicate environment "${e.name}"` });
  });
  const roles = isObj(root.roles) ? root.roles : {};
  for (const [name, r] of Object.entries(roles)) {
    if (!isObj(r)) continue;
    const builtin = (BUILTIN_ROLES as readonly string[]).includes(name);
    if (builtin && r.base !== undefined) out.push({ path: ['roles', name, 'base'], at: 'key', message: `"${name}" is a built-in role; it has no base (only approver and description)` });
    if (!builtin && r.base === undefined) out.push({ path: ['roles', name], at: 'key', message: `role "${name}" needs a base: one of ${BUILTIN_ROLES.join(', ')} (what the API lets it do)` });
    if (r.base === 'trainee') out.push({ path: ['roles', name, 'base'], message: 'a policy role cannot be based on trainee (trainee tokens belong to one run)' });
  }
  const sso = isObj(root.sso) ? root.sso : {};
  const ssoGroups = isObj(sso.groups) ? sso.groups : {};
  const roleNames = [...BUILTIN_ROLES, ...Object.keys(roles).filter((n) => !(BUILTIN_ROLES as readonly string[]).includes(n))];
  for (const [group, role] of Object.entries(ssoGroups)) {
    if (typeof role === 'string' && !roleNames.includes(role)) out.push({ path: ['sso', 'groups', group], message: `unknown role "${role}"${didYouMean(role, roleNames) || `; roles: ${roleNames.join(', ')}`}` });
    if (role === 'trainee') out.push({ path: ['sso', 'groups', group], message: 'SSO cannot sign anyone in as trainee (trainee tokens belong to one run)' });
  }
  if (typeof sso.default_role === 'string' && !roleNames.includes(sso.default_role)) {
    out.push({ path: ['sso', 'default_role'], message: `unknown role "${sso.default_role}"${didYouMean(sso.default_role, roleNames)}` });
  }
  const principals = [...new Set([...roleNames, ...Object.keys(ssoGroups), ...strings(root.groups)])];
  const ruleNames = new Map<string, number>();
  list(root.rules).forEach((rule, i) => {
    if (!isObj(rule)) return;
    const path: PathSegment[] = ['rules', i];
    if (typeof rule.name === 'string') {
      const first = ruleNames.get(rule.name);
      if (first !== undefined) out.push({ path: [...path, 'name'], message: `duplicate rule name "${rule.name}" (first used at rules[${first}])` });
      else ruleNames.set(rule.name, i);
    }
    checkNames(rule.where, [...path, 'where'], envs, 'environment', out);
    checkNames(rule.who, [...path, 'who'], principals, 'role or group', out);
    const what = isObj(rule.what) ? rule.what : {};
    checkNames(what.fault, [...path, 'what', 'fault'], [...FAULT_TYPES], 'fault type', out);
    const faults = strings(what.fault).filter((f) => isLiteral(f) && (FAULT_TYPES as readonly string[]).includes(f));
    const plainFaults = strings(what.fault).filter((f) => !f.startsWith('!'));
    if (isObj(what.params)) {
      // Param names are checked against the fault types the rule names (any type when none).
      const types = plainFaults.length && plainFaults.every(isLiteral) ? faults : [...FAULT_TYPES];
      const known = [...new Set(types.flatMap((t) => knownKeysAt(FAULT_PARAMS[t as keyof typeof FAULT_PARAMS], [])))];
      for (const key of Object.keys(what.params)) {
        if (!known.includes(key)) out.push({ path: [...path, 'what', 'params', key], at: 'key', message: `no fault param "${key}" for ${types.length === FAULT_TYPES.length ? 'any fault type' : types.join(', ')}${didYouMean(key, known) || `; params: ${known.join(', ')}`}` });
      }
    }
    if (rule.decision === 'deny' && rule.approvals !== undefined) out.push({ path: [...path, 'approvals'], at: 'key', message: 'approvals apply to decision allow (allow after N approvals); a deny cannot be approved' });
    if (rule.decision === 'deny' && rule.limits !== undefined) out.push({ path: [...path, 'limits'], at: 'key', message: 'limits apply to decision allow; a deny has nothing to limit' });
    const approvals = isObj(rule.approvals) ? rule.approvals : {};
    checkNames(approvals.from, [...path, 'approvals', 'from'], principals, 'role or group', out);
  });
  return out;
}

/** Parses and validates policy text; `file` is only used in the locations. */
export function parsePolicy(text: string, file = '<policy>'): PolicyParseResult {
  const parsed = readYamlSource(text, file, 'a policy is a few KiB of YAML');
  if (!parsed.ok) return parsed;
  const { value, locate } = parsed;
  if (!isObj(value)) return fileIssue(file, 'a policy file is a mapping with environments, roles, sso and rules');
  const result = policySpecSchema.safeParse(value);
  const raw: RawIssue[] = result.success ? [] : convertZodIssues(result.error.issues, value, policySpecSchema);
  raw.push(...policySemantics(value));
  if (raw.length === 0 && result.success) return { ok: true, policy: result.data };
  return { ok: false, errors: finishIssues(file, raw, locate) };
}

/** Reads a policy file (bounded in size) and parses it. */
export async function loadPolicyFile(path: string): Promise<PolicyParseResult> {
  const r = await readYamlFile(path, 'policy', 'a policy is a few KiB of YAML');
  return r.ok ? parsePolicy(r.text, path) : r;
}
