/**
 * The REST API's request and response bodies (zod). One source of truth: the server
 * validates requests with these at the edge, the OpenAPI document is generated from them,
 * and the client (puduc, web UI) gets its types from them.
 */
import { z } from 'zod';
import { MAX_FLEET_VMS, MAX_TIERS, SEED_MAX } from './scenario-spec.ts';
import { POSITIVE_DURATION_PATTERN } from './units.ts';
import { charterSchema } from './charter-spec.ts';
import { RUN_MODES, RunVerdictSchema } from './guardrail-spec.ts';

export const RoleSchema = z.enum(['admin', 'instructor', 'engineer', 'trainee', 'observer']);
export type Role = z.infer<typeof RoleSchema>;

/** One issue found in a scenario file, located for an editor: `file:line:col path message`. */
export const ProblemIssueSchema = z.object({
  file: z.string().optional(),
  line: z.number().int().optional(),
  col: z.number().int().optional(),
  path: z.string(),
  message: z.string(),
});
export type ProblemIssue = z.infer<typeof ProblemIssueSchema>;

/** `FILE:LINE:COL: path: message`, the one way every tool prints a located issue (editors and CI logs parse it). */
export function formatIssue(issue: ProblemIssue): string {
  const where = issue.line === undefined ? issue.file ?? '' : `${issue.file ?? ''}:${issue.line}:${issue.col ?? 1}`;
  return [where, issue.path, issue.message].filter((part) => part !== '').join(': ');
}

/** VMs, vCPUs and MB of memory: what the host budget counts. */
export const CapacityResourcesSchema = z.object({ vms: z.number().int(), vcpus: z.number().int(), memMb: z.number().int() });
export type CapacityResources = z.infer<typeof CapacityResourcesSchema>;

/** The server's host budget and what of it is in use, free and waited for (health, and 429 CAPACITY_EXHAUSTED). */
export const CapacitySchema = z.object({
  budget: CapacityResourcesSchema,
  used: CapacityResourcesSchema,
  free: CapacityResourcesSchema,
  /** Scenario runs waiting for capacity (state `queued`). */
  queued: z.number().int(),
  /** On a refusal: what was asked for. */
  requested: CapacityResourcesSchema.optional(),
});
export type Capacity = z.infer<typeof CapacitySchema>;

/** Which boundary separates a VM's root from the host, and how much to trust it — said plainly. */
export const IsolationSchema = z.object({
  /**
   * `hypervisor`: a guest kernel of its own; `user-namespace`: namespaces on the host kernel, root mapped to an
   * unprivileged id; `cluster-runtime`: a Kubernetes pod, as isolated as the cluster's RuntimeClass makes it.
   */
  boundary: z.enum(['hypervisor', 'user-namespace', 'cluster-runtime']),
  /** `strong`: a hypervisor escape is needed; `moderate`: a host kernel bug reachable from a user namespace is enough; `cluster-defined`: see the runtime. */
  strength: z.enum(['strong', 'moderate', 'cluster-defined']),
  summary: z.string(),
});
export type Isolation = z.infer<typeof IsolationSchema>;

/** RFC 9457 problem details, with Pudu's stable `code`. Every error response has this shape. */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string(),
  detail: z.string(),
  instance: z.string().optional(),
  errors: z.array(ProblemIssueSchema).optional(),
  /** On 5xx: the id the server logged the failure under (the body never carries its details). */
  errorId: z.string().optional(),
  /** On 429 CAPACITY_EXHAUSTED: the budget and what is free. */
  capacity: CapacitySchema.optional(),
});
export type Problem = z.infer<typeof ProblemSchema>;

/** Liveness (route healthz, no token): the process answers. */
export const LivenessSchema = z.object({ status: z.literal('ok'), version: z.string() });
export type Liveness = z.infer<typeof LivenessSchema>;
export const ReadyCheckSchema = z.object({ ok: z.boolean(), detail: z.string(), ms: z.number() });
export type ReadyCheck = z.infer<typeof ReadyCheckSchema>;
/** Readiness (route readyz, no token): 200 when every check passes, 503 with the same body when one fails. */
export const ReadinessSchema = z.object({ status: z.enum(['ready', 'not ready']), checks: z.record(z.string(), ReadyCheckSchema) });
export type Readiness = z.infer<typeof ReadinessSchema>;

export const HealthSchema = z.object({
  status: z.literal('ok'), version: z.string(), driver: z.string(), database: z.string(),
  isolation: IsolationSchema, capacity: CapacitySchema,
});
export type Health = z.infer<typeof HealthSchema>;

/** A role as a token names it: built-in, or one the server's policy defines (e.g. `sre`). */
export const RoleNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'expected a role name like engineer or sre');
export const TokenKindSchema = z.enum(['human', 'trainee', 'service']);

export const WhoAmISchema = z.object({
  id: z.string(),
  name: z.string(),
  /** The built-in role routes are checked against. */
  role: RoleSchema,
  /** The token's own role: a built-in one or a policy role such as `sre`. */
  policyRole: z.string(),
  user: z.string(),
  groups: z.array(z.string()),
  runId: z.string().nullable(),
  expiresAt: z.string().nullable(),
  /** The policy lets this role approve experiments. */
  approver: z.boolean(),
});
export type WhoAmI = z.infer<typeof WhoAmISchema>;

export const TokenCreateRequestSchema = z.strictObject({
  role: RoleNameSchema,
  name: z.string().min(1).max(80).optional(),
  /** human (default; 12 h unless ttl says less), service (ttl required). Trainee tokens come with their run. */
  kind: z.enum(['human', 'service']).optional(),
  /** The person behind the token (default: its name); approvals count distinct people. */
  user: z.string().min(1).max(200).optional(),
  groups: z.array(z.string().min(1).max(100)).max(50).optional(),
  /** Lifetime like 2s, 30m, 12h or 90d. */
  ttl: z.string().regex(new RegExp(POSITIVE_DURATION_PATTERN), 'expected a lifetime like 30m, 12h or 90d').optional(),
  /** Required for (and only for) trainee tokens: the one run the token may see. */
  runId: z.string().optional(),
});
export type TokenCreateRequest = z.input<typeof TokenCreateRequestSchema>;
export const TokenInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.string(),
  kind: TokenKindSchema,
  user: z.string(),
  groups: z.array(z.string()),
  runId: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
});
export type TokenInfo = z.infer<typeof TokenInfoSchema>;
export const TokenCreatedSchema = TokenInfoSchema.extend({ token: z.string() });
export type TokenCreated = z.infer<typeof TokenCreatedSchema>;
export const TokenListSchema = z.object({ tokens: z.array(TokenInfoSchema) });
export type TokenList = z.infer<typeof TokenListSchema>;

export const VmStateSchema = z.enum(['creating', 'booting', 'ready', 'stopping', 'stopped', 'failed']);
export type VmState = z.infer<typeof VmStateSchema>;
export const VmSchema = z.object({
  name: z.string(),
  tier: z.string(),
  index: z.number().int(),
  guestIp: z.string(),
  hostIp: z.string(),
  /** Host-side link (veth/TAP) the route to guestIp must use. */
  hostLink: z.string(),
  state: VmStateSchema,
  driver: z.string(),
});
export type Vm = z.infer<typeof VmSchema>;

export const FleetStateSchema = z.enum(['creating', 'ready', 'failed', 'deleting', 'deleted']);
export type FleetState = z.infer<typeof FleetStateSchema>;
export const FleetSchema = z.object({
  id: z.string(),
  state: FleetStateSchema,
  driver: z.string(),
  runId: z.string().nullable(),
  createdAt: z.string(),
  readyAt: z.string().nullable(),
  bootMs: z.number().nullable(),
  error: z.string().nullable(),
  vms: z.array(VmSchema),
});
export type Fleet = z.infer<typeof FleetSchema>;
export const FleetListSchema = z.object({ fleets: z.array(FleetSchema) });
export type FleetList = z.infer<typeof FleetListSchema>;

export const TierRequestSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'tier names are lowercase letters, digits and dashes'),
  count: z.number().int().min(1).max(16),
  vcpus: z.number().int().min(1).max(16).default(1),
  memMb: z.number().int().min(64).max(65536).default(512),
  diskMb: z.number().int().min(64).max(65536).default(1024),
  services: z.array(z.string()).default([]),
});
export type TierRequest = z.input<typeof TierRequestSchema>;
/** `{count}` makes `count` plain VMs named vm-0…; `{tiers}` sizes them like a scenario does. */
export const FleetCreateRequestSchema = z.union([
  z.strictObject({ count: z.number().int().min(1).max(MAX_FLEET_VMS) }),
  z.strictObject({
    tiers: z.array(TierRequestSchema).min(1).max(MAX_TIERS)
      .refine((ts) => ts.reduce((a, t) => a + t.count, 0) <= MAX_FLEET_VMS, { message: `a fleet has at most ${MAX_FLEET_VMS} VMs in all tiers together` }),
  }),
]);
export type FleetCreateRequest = z.input<typeof FleetCreateRequestSchema>;

/**
 * `queued`: waiting for the host budget to take its fleet (the clock has not started).
 * `preflight`: the fleet is up; agents, fault plans and the steady state are checked before
 * the clock starts; `preflight-failed`: one of them did not hold (nothing was applied).
 */
export const RunStateSchema = z.enum(['queued', 'provisioning', 'preflight', 'running', 'resolved', 'aborted', 'expired', 'failed', 'halted', 'preflight-failed']);
export type RunState = z.infer<typeof RunStateSchema>;
/** States a run never leaves; the one list every consumer uses. */
export const TERMINAL_RUN_STATES: readonly RunState[] = ['resolved', 'aborted', 'expired', 'failed', 'halted', 'preflight-failed'];
/** True when a run in `state` has ended for good (also for `run.<state>` event kinds' state part). */
export function isTerminalRunState(state: string): boolean {
  return (TERMINAL_RUN_STATES as readonly string[]).includes(state);
}

export const ScenarioRunRequestSchema = z
  .strictObject({
    /** The scenario's YAML text, sent by the client (never a path on the server). */
    yaml: z.string().max(256 * 1024).optional(),
    /** File name used in error locations, e.g. `scenarios/monolith/disk-full.yaml`. */
    file: z.string().max(400).optional(),
    /** A scenario from the server's library, e.g. `monolith/disk-full`. */
    name: z.string().max(200).optional(),
    seed: z.number().int().min(0).max(SEED_MAX).optional(),
    /** Keep the fleet after the run ends (for a debrief). */
    keepFleet: z.boolean().default(false),
    /** The policy environment to run in; its rules decide whether the run may start. */
    environment: z.string().min(1).max(40).default('training'),
  })
  .refine((r) => (r.yaml === undefined) !== (r.name === undefined), { message: 'send exactly one of yaml or name' });
export type ScenarioRunRequest = z.input<typeof ScenarioRunRequestSchema>;

export const ScoreSchema = z.object({
  score: z.number(),
  base: z.number(),
  timePenalty: z.number(),
  hintPenalty: z.number(),
  /** Points taken for actions (the scenario's penalties charged). */
  actionPenalty: z.number(),
  /** Points taken for a wrong or missing root-cause answer. */
  rootCausePenalty: z.number(),
});
export type Score = z.infer<typeof ScoreSchema>;

const RouteTrafficSchema = z.object({
  route: z.string(),
  requests: z.number(),
  errors: z.number(),
  errorRatio: z.number(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
});
export const TrafficReportSchema = RouteTrafficSchema.omit({ route: true }).extend({
  windowS: z.number(),
  rps: z.number(),
  routes: z.array(RouteTrafficSchema),
});
export type TrafficReport = z.infer<typeof TrafficReportSchema>;

/** The trainee's answer to the root-cause question: a choice's index or free text. */
export const RootCauseAnswerSchema = z.object({ answer: z.union([z.number().int().min(0), z.string().min(1).max(500)]) });
export const RootCauseVerdictSchema = z.object({ correct: z.boolean(), points: z.number() });

export const RunAlertSchema = z.object({
  name: z.string(),
  severity: z.string(),
  message: z.string(),
  /** A scripted alert's time; null for one driven by state. */
  firedAtMs: z.number().nullable(),
  fired: z.boolean(),
  /** Fires now (a state-driven alert resolves when its condition clears; a scripted one stays). */
  firing: z.boolean(),
});
export type RunAlert = z.infer<typeof RunAlertSchema>;
export const RunObjectiveSchema = z.object({
  id: z.string(),
  description: z.string(),
  passing: z.boolean(),
  /** waiting: the incident has not struck yet, so passing would mean nothing. */
  state: z.enum(['waiting', 'passing', 'failing']),
  /** Why it fails (or the value seen), from the last evaluation: the symptom, never the mechanism. */
  detail: z.string(),
  /** Staff only: what the check knows of the mechanism. */
  staffDetail: z.string().optional(),
  /** It must pass this long without a break before the run resolves. */
  forMs: z.number(),
  checkedAt: z.string().nullable(),
});
export type RunObjective = z.infer<typeof RunObjectiveSchema>;
export const FaultStateSchema = z.enum(['pending', 'active', 'reverted', 'failed']);
export type FaultState = z.infer<typeof FaultStateSchema>;
export const RunFaultSchema = z.object({
  id: z.string(),
  type: z.string(),
  vm: z.string(),
  atMs: z.number(),
  durationMs: z.number().nullable(),
  state: FaultStateSchema,
  error: z.string().nullable(),
});
export type RunFault = z.infer<typeof RunFaultSchema>;
export const RunVmSchema = z.object({ name: z.string(), index: z.number().int(), guestIp: z.string(), hostLink: z.string() });
export type RunVm = z.infer<typeof RunVmSchema>;

export const RunSummarySchema = z.object({
  id: z.string(),
  scenarioId: z.string(),
  title: z.string(),
  difficulty: z.string(),
  state: RunStateSchema,
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  elapsedMs: z.number(),
  score: z.number().nullable(),
  /** Progress at a glance, so an instructor's list needs no call per run. */
  hintsUsed: z.number().int(),
  hintsTotal: z.number().int(),
  objectivesPassing: z.number().int(),
  objectivesTotal: z.number().int(),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;
export const RunListSchema = z.object({ runs: z.array(RunSummarySchema) });
export type RunList = z.infer<typeof RunListSchema>;

export const RunStatusSchema = RunSummarySchema.extend({
  description: z.string(),
  symptoms: z.array(z.string()),
  seed: z.number().int(),
  fleetId: z.string().nullable(),
  keepFleet: z.boolean(),
  timeLimitMs: z.number(),
  resolvedAtMs: z.number().nullable(),
  error: z.string().nullable(),
  alerts: z.array(RunAlertSchema),
  objectives: z.array(RunObjectiveSchema),
  faults: z.array(RunFaultSchema),
  vms: z.array(RunVmSchema),
  hints: z.array(z.string()),
  /** Score if the run resolved now (final once resolved). */
  scoreDetail: ScoreSchema,
  /** Penalties charged for what the responder did. */
  penalties: z.array(z.object({ id: z.string(), description: z.string(), points: z.number(), fail: z.boolean() })),
  /** The root-cause question, asked at resolution; null when the scenario asks none. */
  rootCause: z.object({
    question: z.string(),
    choices: z.array(z.string()).nullable(),
    answered: z.boolean(),
    correct: z.boolean().nullable(),
    points: z.number(),
  }).nullable(),
  /** A resolved run keeps its fleet for review until then; null when no review is running. */
  reviewUntil: z.string().nullable(),
  /** What the scenario's users saw over the last minute; null when the run has no traffic (or no longer runs). */
  traffic: TrafficReportSchema.nullable(),
  scoring: z.object({ base: z.number(), timePenaltyPerSecond: z.number(), hintPenalty: z.number(), perfectWindowMs: z.number() }),
  /** The policy environment the run's fleet belongs to (set at start, never changed). */
  environment: z.string(),
  /** The approved experiment this run carries out, if any. */
  experimentId: z.string().nullable(),
  /** The scenario's experiment charter, stored with the run. */
  charter: charterSchema.nullable(),
  /**
   * What the server noticed of tampering with the score (agent restarted or unreachable, reply
   * not authenticated, requests refused, a claim the host contradicts, a fault lost and injected
   * again), on the run's clock. Staff only: empty for a trainee.
   */
  integrity: z.array(z.object({ kind: z.string(), atMs: z.number(), vm: z.string().nullable(), detail: z.string() })).default([]),
  /** training: a trainee fixes it and is scored; experiment: a hypothesis judged by a verdict. */
  mode: z.enum(RUN_MODES).default('training'),
  /** An experiment's verdict once it ended (held, refuted with evidence, aborted, inconclusive); null otherwise. */
  verdict: RunVerdictSchema.nullable().default(null),
});
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const RunCreatedSchema = z.object({
  run: RunStatusSchema,
  /** A trainee token scoped to this run, shown once. */
  traineeToken: z.string(),
});
export type RunCreated = z.infer<typeof RunCreatedSchema>;

export const HintResponseSchema = z.object({
  index: z.number().int(),
  text: z.string(),
  hintsUsed: z.number().int(),
  hintsTotal: z.number().int(),
  hintPenalty: z.number(),
});
export type HintResponse = z.infer<typeof HintResponseSchema>;

export const VmMetricsSchema = z.object({
  cpuPct: z.number(),
  memUsedPct: z.number(),
  diskUsedPct: z.number(),
  diskFreeMb: z.number(),
  loadAvg1: z.number(),
});
export type VmMetrics = z.infer<typeof VmMetricsSchema>;
export const RunMetricsSchema = z.object({
  vms: z.array(z.object({
    vm: z.string(),
    index: z.number().int(),
    /** null when the agent could not be read (error says why). */
    metrics: VmMetricsSchema.nullable(),
    error: z.string().nullable(),
  })),
});
export type RunMetrics = z.infer<typeof RunMetricsSchema>;

export const LibraryEntrySchema = z.object({
  name: z.string(),
  id: z.string(),
  title: z.string(),
  difficulty: z.string(),
  architecture: z.string(),
  tags: z.array(z.string()),
  /** The scenario's narrative (what the trainee reads first). */
  description: z.string(),
  vms: z.number().int(),
});
export type LibraryEntry = z.infer<typeof LibraryEntrySchema>;
export const LibraryListSchema = z.object({ scenarios: z.array(LibraryEntrySchema) });
export type LibraryList = z.infer<typeof LibraryListSchema>;
export const LibraryItemSchema = LibraryEntrySchema.extend({ yaml: z.string() });
export type LibraryItem = z.infer<typeof LibraryItemSchema>;

export const RunEventSchema = z.object({
  seq: z.number().int(),
  runId: z.string(),
  at: z.string(),
  /** e.g. run.started, alert.fired, fault.applied, objective.passed, hint.taken, run.resolved. */
  kind: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type RunEvent = z.infer<typeof RunEventSchema>;
export const RunEventListSchema = z.object({ events: z.array(RunEventSchema) });
export type RunEventList = z.infer<typeof RunEventListSchema>;

export const AuditEntrySchema = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  role: z.string(),
  action: z.string(),
  target: z.string(),
  result: z.enum(['ok', 'denied', 'error']),
  detail: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;
export const AuditListSchema = z.object({ entries: z.array(AuditEntrySchema) });
export type AuditList = z.infer<typeof AuditListSchema>;

export const IdParamsSchema = z.object({ id: z.string().min(1).max(64) });
export type IdParams = z.input<typeof IdParamsSchema>;
export const NameParamsSchema = z.object({ name: z.string().min(1).max(200) });
export type NameParams = z.input<typeof NameParamsSchema>;
export const EventsQuerySchema = z.object({ after: z.coerce.number().int().min(0).optional() });
export type EventsQuery = z.input<typeof EventsQuerySchema>;
export const AuditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().optional(),
});
export type AuditQuery = z.input<typeof AuditQuerySchema>;

/** The terminal WebSocket's query: which VM, the first size, and watching (read-only) a live session. */
export const TerminalQuerySchema = z.object({
  vm: z.coerce.number().int().min(0),
  cols: z.coerce.number().int().min(1).max(1000).optional(),
  rows: z.coerce.number().int().min(1).max(1000).optional(),
  /** Attach read-only to the session already open on that VM instead of opening a shell. */
  mode: z.enum(['readonly', 'watch']).optional(),
  /** Which live session to watch when the VM has several. */
  session: z.string().max(64).optional(),
});
export type TerminalQuery = z.input<typeof TerminalQuerySchema>;

/** A JSON document served as is (the OpenAPI document, the scenario JSON Schema). */
export const JsonDocumentSchema = z.record(z.string(), z.unknown());
export type JsonDocument = z.infer<typeof JsonDocumentSchema>;

/** Frames the terminal WebSocket accepts as text; keystrokes travel as binary frames. */
export const TerminalControlSchema = z.object({ type: z.literal('resize'), cols: z.number().int().min(1).max(1000), rows: z.number().int().min(1).max(1000) });
export type TerminalControl = z.infer<typeof TerminalControlSchema>;
