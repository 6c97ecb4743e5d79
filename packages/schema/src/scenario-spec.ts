/**
 * The scenario file format: the seed's YAML, exactly its names, plus `time_limit`, `seed`,
 * `disk_mb` and `target.select`. This is the one source of truth: runtime validation,
 * TypeScript types and the committed scenario.schema.json all come from here.
 *
 * Fault params and check fields depend on `type`; they are validated in a second step
 * (FAULT_PARAMS in fault-params.ts, CHECK_FIELDS here) so an unknown type yields one clear
 * error instead of a union failure; the JSON Schema says the same with one `if type = …
 * then …` per type (scenario-json-schema.ts).
 */
import { z } from 'zod';
import { charterSchema } from './charter-spec.ts';
import { GUARDRAIL_DEFAULTS, guardrailsSchema, RUN_MODES, runSafetySchemas } from './guardrail-spec.ts';
import { FAULT_TYPES, jsonRequires, withCrossFieldRules } from './fault-params.ts';
import { faultHistorySchema, scenarioHistorySchema } from './history-spec.ts';
import { ID_RE, NAME_RE, condition, duration, nonBlank, percentAboveZero, positiveDuration, service } from './scenario-fields.ts';


export const DIFFICULTIES = ['easy', 'medium', 'hard', 'expert'] as const;
export const ARCHITECTURES = ['monolith', 'microservices', 'both'] as const;
export const CHECK_TYPES = ['http', 'agent-metric', 'process-running', 'fault-cleared', 'probe', 'e2e', 'unit-healthy'] as const;
export const METRICS = ['cpu_pct', 'mem_used_pct', 'disk_used_pct', 'disk_free_mb', 'load_avg_1'] as const;
export const SEVERITIES = ['info', 'warning', 'critical'] as const;

export type CheckType = (typeof CHECK_TYPES)[number];
export type MetricName = (typeof METRICS)[number];

/** Largest seed (32 bits): the same range in a scenario file, the API and recorded runs. */
export const SEED_MAX = 2 ** 32 - 1;

/** VMs one tier may ask for. */
export const MAX_TIER_VMS = 64;
/** Tiers one scenario (or fleet request) may have. */
export const MAX_TIERS = 16;
/** VMs one fleet may have in all: a single request can never take a host's whole budget by itself. */
export const MAX_FLEET_VMS = 64;

export const selectSchema = z.union([
  z.enum(['all', 'one', 'random']),
  z.strictObject({ count: z.int().min(1).max(1000) }),
  z.strictObject({ percent: z.number().gt(0).max(100) }),
], { error: 'expected all, one, random, {count: N} or {percent: P}' }).describe('Which VMs of the tier: all (default), one (the first), random (one, seeded), {count: N} or {percent: P} (seeded)');

type TargetShape = { tier?: string | undefined; vm?: string | undefined; select?: unknown };

/** A target names a tier (narrowed by select) or one VM; which tiers and VMs exist is check-semantics' part. */
export const targetSchema = withCrossFieldRules(z.strictObject({
  tier: z.string().optional().describe('Every VM of this tier (narrowed by select)'),
  vm: z.string().optional().describe('One VM by name: <tier>-<index>, e.g. app-0'),
  select: selectSchema.optional(),
}), [
  {
    path: null,
    message: () => 'a target names exactly one of "tier" or "vm"',
    holds: (t: TargetShape) => (t.tier === undefined) !== (t.vm === undefined),
    jsonSchema: { oneOf: [jsonRequires('tier'), jsonRequires('vm')] },
  },
  {
    path: 'select',
    message: () => '"select" applies to a tier, not to a single vm',
    holds: (t: TargetShape) => t.select === undefined || t.vm === undefined,
    jsonSchema: { if: jsonRequires('vm'), then: { not: jsonRequires('select') } },
  },
]);

/** Check fields per type, beside `type` and `target`. */
export const CHECK_FIELDS = {
  http: z.strictObject({
    path: z.string().regex(/^\//, { message: 'expected a path starting with /' }),
    expected_status: z.int().min(100).max(599).optional(),
    port: z.int().min(1).max(65535).optional(),
    latency_below: positiveDuration.optional().describe('Passes only when the answer also came faster than this, e.g. 150ms'),
  }),
  'agent-metric': z.strictObject({ metric: z.enum(METRICS), condition }),
  'process-running': z.strictObject({ service }),
  /**
   * Passes when the named fault no longer holds on the target VMs: the agent reads the real
   * guest state (rule gone, qdisc gone, entry gone). For faults with no metric of their own,
   * such as packet loss.
   */
  'fault-cleared': z.strictObject({ fault: z.string().regex(ID_RE, { message: 'expected a fault id of this scenario' }) }),
  /**
   * An active probe from the host across the fleet's own link to each target VM (ICMP echo,
   * 5 a second): passes while the loss over the last `over` stays below `loss_below` and,
   * when given, the 95th percentile round trip below `latency_below`.
   */
  probe: z.strictObject({
    loss_below: percentAboveZero.default('1%').describe('Highest share of lost probes that still passes, e.g. 1%'),
    latency_below: duration.optional().describe('Highest 95th-percentile round trip that still passes, e.g. 50ms'),
    over: duration.default('30s').describe('The window the loss and latency are measured over'),
  }),
  /**
   * A user's request through the whole stack: the host writes a fresh record through the
   * target's web port and reads it back; only the app with a working database can answer both.
   */
  e2e: z.strictObject({
    port: z.int().min(1).max(65535).optional().describe('Web port of the target (default 80)'),
  }),
  /** The unit is active and has not restarted for `stable` (a crash loop is never healthy). */
  'unit-healthy': z.strictObject({
    service,
    stable: duration.default('10s').describe('How long the unit must have been up without a restart'),
  }),
} satisfies Record<CheckType, z.ZodType>;

export const tierSchema = z.strictObject({
  name: z.string().regex(NAME_RE, { message: 'expected a lowercase name like app or db (letters, digits, -)' }),
  count: z.int().min(1).max(MAX_TIER_VMS).default(1),
  vcpus: z.int().min(1).max(32).default(1),
  mem_mb: z.int().min(64).max(65536).default(512),
  disk_mb: z.int().min(64).max(1048576).default(1024),
  services: z.array(service).default([]),
});

/** An objective's check; its fields are checked per type (CHECK_FIELDS) after this. */
export const checkSchema = z.object({ type: z.enum(CHECK_TYPES), target: targetSchema }).catchall(z.unknown());

/** steady_state, abort_when and a fault's ramp (guardrail-spec.ts) over this file's check, target and select. */
export const { steadyState: steadyStateSchema, abortWhen: abortWhenSchema, ramp: rampSchema } = runSafetySchemas(checkSchema, targetSchema, z.enum(METRICS), selectSchema);

/** One fault; its params are checked per type (FAULT_PARAMS) after this. */
export const faultSchema = z.strictObject({
  id: z.string().regex(ID_RE, { message: 'expected an id of letters, digits, . _ -' }),
  type: z.enum(FAULT_TYPES),
  target: targetSchema,
  params: z.record(z.string(), z.unknown()).default({}),
  at: duration.default('0s').describe('When the fault starts, from the start of the run'),
  duration: duration.optional().describe('How long it lasts; absent = until the run ends or the trainee fixes it'),
  ramp: rampSchema.optional(),
  history: faultHistorySchema.optional(),
});

const forWindow = duration.optional().describe('The check must hold this long without a break (e.g. 20s)');

export const objectiveSchema = z.strictObject({
  id: z.string().regex(ID_RE, { message: 'expected an id of letters, digits, . _ -' }),
  description: z.string().min(1).describe('Shown to the trainee: the symptom that must go away, never the mechanism'),
  check: checkSchema,
  for: forWindow,
});

/** An alert driven by state: it fires once its check has failed for `for`, and resolves once it passes again. */
export const alertConditionSchema = z.strictObject({
  /** The healthy state; the alert fires while it fails (the same check instance, so the JSON Schema checks its fields). */
  check: checkSchema,
  for: forWindow,
});

export const alertSchema = z.strictObject({
  name: z.string().min(1),
  severity: z.enum(SEVERITIES).default('warning'),
  fired_at: duration.optional().describe('A scripted alert: fires at this time (default 0s when there is no `when`)'),
  when: alertConditionSchema.optional().describe('A state-driven alert: fires and resolves from its check'),
  message: z.string().default(''),
});

/** What a responder did that costs points (or fails the run), detected from the fleet's state. */
export const penaltySchema = z.strictObject({
  id: z.string().regex(ID_RE, { message: 'expected an id of letters, digits, . _ -' }),
  description: z.string().min(1).describe('What the responder did, as the review says it'),
  when: z.strictObject({
    /** Charged the first time this check fails (for `for`) after every fault struck. */
    check: checkSchema,
    for: forWindow,
    on: z.enum(['failing', 'passing']).default('failing').describe('Charge when the check fails (default), or when it passes (e.g. fault-cleared on a harmless process the responder should leave alone)'),
  }),
  points: z.number().min(0).default(0).describe('Points taken from the score'),
  fail: z.boolean().default(false).describe('The run fails at once'),
});

/** Asked at resolution; a wrong (or missing) answer costs `points`. */
export const rootCauseSchema = z.strictObject({
  question: z.string().min(1),
  choices: z.array(z.string().min(1)).min(2).optional().describe('Offered answers; absent = free text'),
  answer: z.union([z.int().min(0), z.array(z.string().min(1)).min(1)])
    .describe('The index of the right choice, or accepted free-text answers (regular expressions, case-insensitive)'),
  points: z.number().min(0).default(20),
});

/** Users of the demo app, from the host: so logs, error rates and latency percentiles carry signal. */
export const trafficSchema = z.strictObject({
  target: targetSchema.describe('The VMs users reach (their web port)'),
  rps: z.number().gt(0).max(50).default(5).describe('Requests per second in all'),
  port: z.int().min(1).max(65535).default(80),
  routes: z.array(z.strictObject({
    method: z.enum(['GET', 'POST']).default('GET'),
    path: z.string().regex(/^\//, { message: 'expected a path starting with /' }),
    weight: z.number().gt(0).default(1),
  })).min(1).default([{ method: 'GET', path: '/api/items', weight: 3 }, { method: 'POST', path: '/api/items', weight: 1 }, { method: 'GET', path: '/healthz', weight: 1 }]),
});

type ModeShape = { scenario: { mode?: string }; objectives: unknown[]; steady_state: unknown[] };
const isExperiment = { properties: { scenario: { type: 'object', properties: { mode: { const: 'experiment' } }, required: ['mode'] } }, required: ['scenario'] };
const nonEmpty = (key: string) => ({ properties: { [key]: { type: 'array', minItems: 1 } }, required: [key] });

export const scenarioSpecSchema = withCrossFieldRules(z.strictObject({
  scenario: z.strictObject({
    id: z.string().regex(ID_RE, { message: 'expected an id of letters, digits, . _ -' }),
    title: z.string().min(1),
    difficulty: z.enum(DIFFICULTIES),
    architecture: z.enum(ARCHITECTURES).default('monolith'),
    tags: z.array(z.string()).default([]),
    description: z.string().default(''),
    time_limit: duration.default('30m').describe('The run expires after this'),
    seed: z.int().min(0).max(SEED_MAX).optional().describe('Seed for every random choice; absent = chosen at run time and recorded'),
    mode: z.enum(RUN_MODES).default('training').describe('training: a trainee fixes it and is scored; experiment: a hypothesis (steady_state) is tested and gets a verdict'),
  }),
  charter: charterSchema.optional().describe('The experiment charter: hypothesis, owner, scope, success criteria, rollback, approvers, window'),
  environment: z.strictObject({
    tiers: z.array(tierSchema).min(1).max(MAX_TIERS, `at most ${MAX_TIERS} tiers`)
      .refine((ts) => ts.reduce((a, t) => a + t.count, 0) <= MAX_FLEET_VMS, { message: `a fleet has at most ${MAX_FLEET_VMS} VMs in all tiers together` }),
  }),
  history: scenarioHistorySchema(targetSchema).optional().describe('Believable history: uptime, earlier records, shell history (history-spec.ts)'),
  faults: z.array(faultSchema).default([]),
  extra_faults: z.array(faultSchema).default([]).describe('Faults an instructor may inject during the run (training); applied when injected, `at` does not apply'),
  guardrails: guardrailsSchema.default(GUARDRAIL_DEFAULTS).describe('Containment: host headroom, VM ceilings and the fault budget; crossing one aborts (or pauses the faults)'),
  steady_state: z.array(steadyStateSchema).default([]).describe('Experiment: what must hold before the first fault and throughout, with a tolerance'),
  abort_when: z.array(abortWhenSchema).default([]).describe('Experiment: conditions that stop it (a check failing, or a metric condition holding, for `for`)'),
  signals: z.strictObject({
    alerts: z.array(alertSchema).default([]),
    symptoms: z.array(z.string()).default([]),
  }).default({ alerts: [], symptoms: [] }),
  objectives: z.array(objectiveSchema).default([]).describe('Training: what the trainee must restore (at least one); an experiment judges steady_state instead'),
  penalties: z.array(penaltySchema).default([]),
  root_cause: rootCauseSchema.optional(),
  traffic: trafficSchema.optional(),
  review: duration.default('5m').describe('How long the fleet stays for review after the fix (the trainee can end it sooner)'),
  hints: z.array(z.strictObject({ text: nonBlank('hint text is empty') })).default([]),
  scoring: z.strictObject({
    base: z.number().min(0).default(100),
    time_penalty_per_second: z.number().min(0).default(0),
    hint_penalty: z.number().min(0).default(0),
    perfect_window: duration.default('0s'),
  }).default({ base: 100, time_penalty_per_second: 0, hint_penalty: 0, perfect_window: '0s' }),
}), [
  {
    // A trainee needs something to restore; an experiment is judged on its steady state instead.
    path: 'objectives',
    message: () => 'a training scenario needs at least one objective (what the trainee must restore)',
    holds: (d: ModeShape) => d.scenario.mode === 'experiment' || d.objectives.length > 0,
    jsonSchema: { if: isExperiment, else: nonEmpty('objectives') },
  },
  {
    path: 'steady_state',
    message: () => 'an experiment (mode: experiment) needs at least one steady_state check: the hypothesis it tests',
    holds: (d: ModeShape) => d.scenario.mode !== 'experiment' || d.steady_state.length > 0,
    jsonSchema: { if: isExperiment, then: nonEmpty('steady_state') },
  },
]);

export type ScenarioSpec = z.output<typeof scenarioSpecSchema>;
export type TargetSpec = z.output<typeof targetSchema>;
export type SelectSpec = z.output<typeof selectSchema>;
export type FaultSpec = ScenarioSpec['faults'][number];
export type ObjectiveSpec = ScenarioSpec['objectives'][number];
