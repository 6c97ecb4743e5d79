/**
 * Who a policy decision is about: a role (built-in or the policy's own), the built-in role
 * it stands on, and groups. Rules' `who` and approvals' `from` match any of these names.
 */
import { BUILTIN_ROLES, PuduError, type PolicySpec, type Role } from '@pudu/schema';
import { didYouMean } from '../did-you-mean.ts';

export interface Actor {
  /** The role as named in the policy or the token: `sre`, `engineer`. */
  role: string;
  /** The built-in role the API checks routes against. */
  base: Role;
  groups: string[];
  /** role, base and groups, without repeats: what rules match. */
  names: string[];
  /** The policy gives this role the approver capability. */
  approver: boolean;
}

export function isBuiltinRole(name: string): name is Role {
  return (BUILTIN_ROLES as readonly string[]).includes(name);
}

/** The roles a policy knows (built-in first), for messages and validation. */
export function policyRoleNames(policy: PolicySpec): string[] {
  return [...BUILTIN_ROLES, ...Object.keys(policy.roles).filter((n) => !isBuiltinRole(n))];
}

/** Resolves a role name against the policy; FORBIDDEN when the policy does not define it. */
export function actorOf(policy: PolicySpec, role: string, groups: readonly string[] = []): Actor {
  const def = policy.roles[role];
  let base: Role;
  if (isBuiltinRole(role)) base = role;
  else if (def?.base) base = def.base;
  else throw new PuduError('FORBIDDEN', `role "${role}" is not defined by the current policy${didYouMean(role, policyRoleNames(policy))}`);
  return { role, base, groups: [...groups], names: [...new Set([role, base, ...groups])], approver: def?.approver ?? false };
}
