/**
 * The run-time safety parts of a scenario file: `scenario.mode`, containment `guardrails`
 * (both modes), an experiment's `steady_state` and `abort_when`, a fault's progressive
 * `ramp`, and the instructor's `extra_faults`. Rules that need the rest of the document
 * (a ramp's values per fault type, ids, which mode may use what) are checked by the engine's
 * check-semantics; this file is the shape.
 */
import { z } from 'zod';
import { FAULT_TYPES, jsonRequires, withCrossFieldRules, type FaultType } from './fault-params.ts';
import { ID_RE, condition, duration, percentIn, positiveDuration } from './scenario-fields.ts';

export const RUN_MODES = ['training', 'experiment'] as const;
export type RunMode = (typeof RUN_MODES)[number];

/** What a ramp does when a guardrail fires during one of its steps. */
export const RAMP_ON_BREACH = ['hold', 'rollback', 'abort'] as const;
export type RampOnBreach = (typeof RAMP_ON_BREACH)[number];

/** What a containment guardrail does when crossed: end the run, or take the faults out until it clears. */
export const GUARDRAIL_ON_BREACH = ['abort', 'pause'] as const;

/** The params of each fault type that are an intensity a ramp may step through (the others are not a matter of degree). */
export const RAMP_PARAMS: { readonly [T in FaultType]: readonly string[] } = {
  cpu: ['load'],
  memory: ['rate', 'ceiling'],
  network: ['latency', 'jitter', 'packet_loss', 'corrupt'],
  'db-connections': ['connections'],
  disk: [],
  process: [],
  dns: [],
  config: [],
};

const id = z.string().regex(ID_RE, { message: 'expected an id of letters, digits, . _ -' });

/**
 * Containment: what the run must never do to the host or beyond a VM's ceilings, whatever
 * its faults are meant to break. Host headroom is always watched; VM ceilings when given.
 */
export const guardrailsSchema = z.strictObject({
  host_load_per_cpu: z.number().gt(0).optional().describe('Highest host 1-minute load average per CPU'),
  host_mem_free: percentIn(0, 100).default('5%').describe('Least share of host memory that must stay available'),
  host_disk_free: percentIn(0, 100).default('5%').describe('Least share of the host disk (Pudu\'s data directory) that must stay free'),
  vm_cpu: percentIn(1, 100).optional().describe('Highest CPU share any VM of the run may reach'),
  vm_mem: percentIn(1, 100).optional().describe('Highest memory share any VM of the run may reach'),
  vm_disk: percentIn(1, 100).optional().describe('Highest disk share any VM of the run may reach'),
  max_injections: z.int().min(1).max(10_000).default(200).describe('The run\'s fault budget: injections of every kind (re-injections, ramp steps and extra faults too)'),
  max_active_faults: z.int().min(1).max(10_000).optional().describe('Most faults in effect at once'),
  for: duration.default('5s').describe('A limit counts as crossed once it has been for this long without a break'),
  on_breach: z.enum(GUARDRAIL_ON_BREACH).default('abort').describe('abort: end the run and revert everything; pause: revert the faults until the limit has cleared for `for`'),
});
export const GUARDRAIL_DEFAULTS = guardrailsSchema.parse({});

/** "≥ pass of the samples over the last `over` passed". */
export const toleranceSchema = z.strictObject({
  pass: percentIn(1, 100).default('100%').describe('Least share of samples that must pass, e.g. 95%'),
  over: positiveDuration.default('30s').describe('The sliding window the share is measured over'),
});

/** Builds steady_state, abort_when and ramp around the scenario's own check, target and select schemas (no import cycle). */
export function runSafetySchemas<C extends z.ZodType, T extends z.ZodType, M extends z.ZodType, S extends z.ZodType>(checkSchema: C, targetSchema: T, metricSchema: M, selectSchema: S) {
  const steadyState = z.strictObject({
    id,
    description: z.string().default(''),
    check: checkSchema,
    tolerance: toleranceSchema.default({ pass: '100%', over: '30s' }),
  });
  type AbortShape = { check?: unknown; metric?: unknown };
  const abortWhen = withCrossFieldRules(z.strictObject({
    id,
    description: z.string().default(''),
    check: checkSchema.optional().describe('Aborts when this check fails for `for`'),
    metric: z.strictObject({ target: targetSchema, metric: metricSchema, condition }).optional()
      .describe('Aborts while the condition on a VM\'s metric holds for `for`, e.g. mem_used_pct > 90'),
    for: duration.default('0s'),
  }), [{
    path: null,
    message: () => 'an abort_when entry has exactly one of "check" or "metric"',
    holds: (a: AbortShape) => (a.check === undefined) !== (a.metric === undefined),
    jsonSchema: { oneOf: [jsonRequires('check'), jsonRequires('metric')] },
  }]);
  /**
   * A fault's ramp: each intensity param a list of values (one per step) and/or `select` a list
   * of reaches, stepping every `every`; the fault's own params are the defaults of every step.
   */
  const ramp = z.object({
    every: positiveDuration.describe('Time between steps'),
    on_breach: z.enum(RAMP_ON_BREACH).default('hold').describe('A guardrail fired during a step: hold it, roll back one step, or abort the run'),
    select: z.array(selectSchema).min(2, { message: 'a ramp needs at least 2 steps' }).optional().describe('Reach per step, e.g. [one, {percent: 50}, all]'),
  }).catchall(z.array(z.unknown()).min(2, { message: 'a ramp needs at least 2 steps' }))
    .describe('Progressive ramp: intensity params as lists of values, one per step (e.g. load: [20%, 50%, 80%])');
  return { steadyState, abortWhen, ramp };
}

/** How many steps a ramp has (the longest list; check-semantics reports lists of different lengths). */
export function rampStepCount(ramp: Record<string, unknown>): number {
  return Math.max(0, ...Object.entries(ramp).filter(([k, v]) => k !== 'every' && k !== 'on_breach' && Array.isArray(v)).map(([, v]) => (v as unknown[]).length));
}

/** The intensity params a ramp steps (every key but its own settings and select). */
export const rampParamKeys = (ramp: Record<string, unknown>): string[] => Object.keys(ramp).filter((k) => k !== 'every' && k !== 'on_breach' && k !== 'select');

export const isRampableType = (t: string): boolean => (FAULT_TYPES as readonly string[]).includes(t) && RAMP_PARAMS[t as FaultType].length > 0;

/** How an experiment ended: its hypothesis held, was refuted (with the evidence), was aborted by a guardrail, or could not be judged. */
export const VERDICT_OUTCOMES = ['held', 'refuted', 'aborted', 'inconclusive'] as const;
export const RunVerdictSchema = z.object({
  outcome: z.enum(VERDICT_OUTCOMES),
  /** One line: why this outcome (which check, which guardrail). */
  reason: z.string(),
  /** Per steady-state check (and the guardrail that fired): what was seen, when (ms on the run's clock). */
  evidence: z.array(z.object({
    check: z.string(),
    passing: z.boolean(),
    /** Share of samples that passed over the check's window when judged (null: a guardrail, not a sample count). */
    passPct: z.number().nullable(),
    atMs: z.number(),
    detail: z.string(),
  })),
});
export type RunVerdict = z.infer<typeof RunVerdictSchema>;
