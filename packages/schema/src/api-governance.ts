/**
 * Request and response bodies of the governance API: the policy in force, `policy explain`,
 * experiments (propose → check → approve → run) and SSO sign-in. The decision's shape is
 * the engine's PolicyDecision, so an explanation reads the same offline and from the server.
 */
import { z } from 'zod';
import { ProblemIssueSchema } from './api.ts';
import { SEED_MAX } from './scenario-spec.ts';
import { charterSchema } from './charter-spec.ts';

export const OutcomeSchema = z.enum(['allow', 'approval', 'deny']);
export const ApprovalRequirementSchema = z.object({ count: z.number().int(), from: z.array(z.string()) });

export const PolicyDecisionSchema = z.object({
  outcome: OutcomeSchema,
  environment: z.string(),
  as: z.array(z.string()),
  at: z.string(),
  faults: z.array(z.object({
    fault: z.string(),
    type: z.string(),
    tier: z.string().nullable(),
    vms: z.array(z.string()),
    outcome: OutcomeSchema,
    rule: z.string().nullable(),
    reason: z.string(),
    approvals: ApprovalRequirementSchema.nullable(),
    considered: z.array(z.object({ rule: z.string(), matched: z.boolean(), specificity: z.number().int(), why: z.string() })),
  })),
  requirements: z.array(ApprovalRequirementSchema),
  reasons: z.array(z.string()),
});
export type PolicyDecisionBody = z.infer<typeof PolicyDecisionSchema>;

export const PolicyInfoSchema = z.object({
  file: z.string(),
  sha256: z.string(),
  loadedAt: z.string(),
  /** false while the file does not validate: then every decision is denied. */
  valid: z.boolean(),
  errors: z.array(ProblemIssueSchema),
  environments: z.array(z.object({ name: z.string(), description: z.string().nullable(), maxVms: z.number().int().nullable() })),
  roles: z.array(z.object({ name: z.string(), base: z.string(), approver: z.boolean() })),
  sso: z.object({ enabled: z.boolean(), issuer: z.string().nullable() }),
  yaml: z.string(),
});

/** A scenario by YAML text or library name, as every governance request names one. */
const scenarioSource = {
  yaml: z.string().max(256 * 1024).optional(),
  file: z.string().max(400).optional(),
  name: z.string().max(200).optional(),
};
const oneSource = { message: 'send exactly one of yaml or name' };
const hasOneSource = (r: { yaml?: string; name?: string }): boolean => (r.yaml === undefined) !== (r.name === undefined);

export const PolicyExplainRequestSchema = z.strictObject({
  ...scenarioSource,
  environment: z.string().min(1).max(40),
  /** Explain for this role (default: the caller's); `groups` add group names. */
  as: z.string().min(1).max(40).optional(),
  groups: z.array(z.string().min(1).max(100)).max(50).optional(),
  /** When (ISO-8601; default now): rules with `when:` windows depend on it. */
  at: z.iso.datetime({ offset: true }).optional(),
  seed: z.number().int().min(0).max(SEED_MAX).optional(),
}).refine(hasOneSource, oneSource);
export type PolicyExplainRequest = z.input<typeof PolicyExplainRequestSchema>;

export const ExperimentStateSchema = z.enum(['pending', 'approved', 'denied', 'rejected', 'started', 'expired']);

export const ExperimentProposeRequestSchema = z.strictObject({
  ...scenarioSource,
  environment: z.string().min(1).max(40),
  /** When it may run (default: the charter's window, else any time). */
  window: z.string().max(200).optional(),
  /** Start it at the window's opening once approved. */
  autoStart: z.boolean().default(false),
  seed: z.number().int().min(0).max(SEED_MAX).optional(),
}).refine(hasOneSource, oneSource);
export type ExperimentProposeRequest = z.input<typeof ExperimentProposeRequestSchema>;

export const ExperimentUpdateRequestSchema = z.strictObject({
  yaml: z.string().max(256 * 1024),
  file: z.string().max(400).optional(),
  window: z.string().max(200).optional(),
});

export const ExperimentApproveRequestSchema = z.strictObject({
  /** The version the approver reviewed (sha256 of scenario text + environment + window). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected the experiment version\'s sha256'),
  comment: z.string().max(2000).optional(),
});
export const ExperimentRejectRequestSchema = z.strictObject({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected the experiment version\'s sha256').optional(),
  comment: z.string().min(1, 'a rejection says why').max(2000),
});

export const ExperimentVoteSchema = z.object({
  user: z.string(),
  role: z.string(),
  names: z.array(z.string()),
  decision: z.enum(['approve', 'reject']),
  comment: z.string(),
  sha256: z.string(),
  at: z.string(),
  /** false once the definition changed after it (it no longer counts). */
  valid: z.boolean(),
});

export const ExperimentSchema = z.object({
  id: z.string(),
  state: ExperimentStateSchema,
  title: z.string(),
  scenarioId: z.string(),
  environment: z.string(),
  window: z.string().nullable(),
  autoStart: z.boolean(),
  proposer: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int(),
  /** sha256 of scenario text + environment + window: what an approval is pinned to. */
  sha256: z.string(),
  file: z.string(),
  yaml: z.string(),
  charter: charterSchema.nullable(),
  decision: PolicyDecisionSchema,
  /** Pre-check results: validate, compile, policy, capacity. */
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
  progress: z.array(ApprovalRequirementSchema.extend({ by: z.array(z.string()), met: z.boolean() })),
  votes: z.array(ExperimentVoteSchema),
  runId: z.string().nullable(),
  /** The last version that was approved (or had approvals), to diff against. */
  previous: z.object({ version: z.number().int(), sha256: z.string(), approved: z.boolean(), diff: z.string() }).nullable(),
});
export type Experiment = z.infer<typeof ExperimentSchema>;
export const ExperimentSummarySchema = ExperimentSchema.pick({
  id: true, state: true, title: true, scenarioId: true, environment: true, window: true, proposer: true, createdAt: true, updatedAt: true, version: true, runId: true,
}).extend({ outcome: OutcomeSchema });
export const ExperimentListSchema = z.object({ experiments: z.array(ExperimentSummarySchema) });

/** `puduc experiment check` (offline) and the server's pre-check report the same. */
export const ExperimentCheckSchema = z.object({
  file: z.string(),
  environment: z.string(),
  window: z.string().nullable(),
  sha256: z.string(),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
  decision: PolicyDecisionSchema.nullable(),
});

export const SsoLoginQuerySchema = z.object({ return: z.string().max(500).optional() });
export const SsoCallbackQuerySchema = z.object({
  code: z.string().optional(),
  state: z.string().optional(),
  error: z.string().optional(),
  error_description: z.string().optional(),
});
export const SsoTicketRequestSchema = z.strictObject({ ticket: z.string().min(16).max(200) });
export const SsoDeviceStartSchema = z.object({
  handle: z.string(),
  userCode: z.string(),
  verificationUri: z.string(),
  verificationUriComplete: z.string().nullable(),
  expiresInSeconds: z.number().int(),
  intervalSeconds: z.number().int(),
});
export const SsoDevicePollRequestSchema = z.strictObject({ handle: z.string().min(16).max(200) });
export const SsoDevicePollSchema = z.object({
  status: z.enum(['pending', 'done']),
  token: z.string().nullable(),
  role: z.string().nullable(),
  user: z.string().nullable(),
  expiresAt: z.string().nullable(),
});
export const SsoTokenSchema = z.object({ token: z.string(), role: z.string(), user: z.string(), groups: z.array(z.string()), expiresAt: z.string() });
