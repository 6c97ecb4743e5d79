/**
 * The blast-radius policy (`pudu server --policy FILE`): environments, roles with the
 * approver capability, SSO group → role mapping, and rules that map WHAT (fault, params,
 * tier, services) × WHERE (environment) × WHO (role or group) × WHEN (windows) to an outcome,
 * with HOW MUCH limits. The most specific matching rule decides; nothing matching is deny.
 */
import { z } from 'zod';
import { duration, percent } from './scenario-fields.ts';
import { timeWindowSchema } from './charter-spec.ts';
import { RoleSchema } from './api.ts';

/** Roles the API knows; a policy role maps onto one of them (`base`) for what it may call. */
export const BUILTIN_ROLES = RoleSchema.options;

export const POLICY_NAME_RE = /^[a-z][a-z0-9-]{0,39}$/;
const name = z.string().regex(POLICY_NAME_RE, { message: 'expected a lowercase name like lab or senior-sre (letters, digits, -)' });
const groupName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,99}$/, { message: 'expected a group name like sre or platform/leads' });

/**
 * One value or a list of values; each may use `*` as a wildcard, and a leading `!` excludes.
 * A list matches when some plain pattern matches (or there is none) and no `!` pattern does.
 */
export const patternsSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
  error: 'expected a pattern like postgresql, mysql*, !nginx, or a list of them',
});

export const environmentSchema = z.strictObject({
  name,
  description: z.string().optional(),
  max_vms: z.int().min(1).max(10_000).optional().describe('Largest fleet a run in this environment may have (the environment\'s blast radius)'),
});

export const policyRoleSchema = z.strictObject({
  base: z.enum(BUILTIN_ROLES).optional().describe('What the API lets this role do; required for a new role, absent when only giving a built-in role the approver capability'),
  approver: z.boolean().default(false).describe('May approve experiments (whose rule asks for this role or one of its groups)'),
  description: z.string().optional(),
});

export const ssoSchema = z.strictObject({
  issuer: z.url({ message: 'expected the issuer URL like https://sso.example.com' }),
  client_id: z.string().min(1),
  /** Confidential clients only; a public client uses PKCE alone. Prefer PUDU_OIDC_CLIENT_SECRET. */
  client_secret: z.string().min(1).optional(),
  groups_claim: z.string().min(1).default('groups'),
  scopes: z.array(z.string().min(1)).default(['openid', 'profile', 'email']),
  /** group → role; the first group (in this order) that maps decides the role. */
  groups: z.record(groupName, name).default({}),
  /** Role of a user none of whose groups map; absent = such a user cannot sign in. */
  default_role: name.optional(),
});

export const ruleLimitsSchema = z.strictObject({
  max_vms: z.int().min(1).optional().describe('VMs one fault may hit'),
  max_percent: z.number().gt(0).max(100).optional().describe('Share of its tier\'s VMs one fault may hit'),
  max_duration: duration.optional().describe('How long one fault may last (a fault without duration lasts until the time limit)'),
  max_intensity: percent.optional().describe('cpu load, memory ceiling, network loss/corrupt share'),
  max_latency: duration.optional().describe('Network delay latency + jitter'),
});

export const ruleSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: 'expected a rule name of letters, digits, . _ -' }),
  description: z.string().optional(),
  enabled: z.boolean().default(true),
  what: z.strictObject({
    fault: patternsSchema.optional().describe('Fault type(s): cpu, process, network, …; absent = any'),
    params: z.record(z.string(), patternsSchema).optional().describe('Fault params by name, e.g. {service: postgresql, action: stop}'),
    tier: patternsSchema.optional(),
    services: patternsSchema.optional().describe('Matches when some service of the target VMs matches'),
  }).default({}),
  where: patternsSchema.optional().describe('Environment(s); absent = any'),
  who: patternsSchema.optional().describe('Role(s) or group(s); absent = anyone'),
  when: z.union([timeWindowSchema, z.array(timeWindowSchema).min(1)]).optional().describe('Window(s) in which the rule applies'),
  limits: ruleLimitsSchema.optional(),
  decision: z.enum(['allow', 'deny']),
  approvals: z.strictObject({
    count: z.int().min(1).max(10),
    from: z.array(z.string().min(1)).min(1).describe('Roles or groups whose members may approve'),
  }).optional().describe('allow only after this many distinct approvers (never the proposer) signed it off'),
});

export const policySpecSchema = z.strictObject({
  version: z.literal(1).default(1),
  environments: z.array(environmentSchema).min(1),
  roles: z.record(name, policyRoleSchema).default({}),
  /** Groups that may appear in who/approvals without an SSO mapping (e.g. set on tokens). */
  groups: z.array(groupName).default([]),
  sso: ssoSchema.optional(),
  rules: z.array(ruleSchema).default([]),
});

export type PolicySpec = z.output<typeof policySpecSchema>;
export type PolicyRule = PolicySpec['rules'][number];
export type Patterns = z.output<typeof patternsSchema>;
