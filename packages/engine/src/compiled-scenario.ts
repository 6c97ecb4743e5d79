/**
 * What the engine runs: a scenario with VMs expanded, targets resolved and times in ms.
 * The zod schemas are the definition (a run stores its compiled scenario and validates it
 * when read back); the types are derived from them.
 */
import { z } from 'zod';
import { charterSchema, CONDITION_OPERATORS, FAULT_TYPES, METRICS, type VmSpec } from '@pudu/schema';
import { safetySchemas } from './compiled-safety.ts';

/** One VM of the plan, exactly what a driver is asked to create. */
export type VmPlan = VmSpec;

export const VmPlanSchema = z.object({
  name: z.string(),
  tier: z.string(),
  vcpus: z.number(),
  memMb: z.number(),
  diskMb: z.number(),
  services: z.array(z.string()),
  /** How long the VM has been up when it boots (history-spec.ts). */
  uptimeS: z.number().optional(),
}) satisfies z.ZodType<VmPlan>;

/** A line of a VM's past: appended to `file` with its time `agoMs` before the run starts (history-spec.ts tokens). */
export const HistoryRecordSchema = z.object({ vm: z.string(), file: z.string(), line: z.string(), agoMs: z.number() });

export const CompiledHistorySchema = z.object({
  /** Pudu's ordinary history too (rotated logs, earlier deploys, a shell history). */
  defaults: z.boolean(),
  records: z.array(HistoryRecordSchema),
  /** Commands at the end of root's shell history on every VM. */
  shell: z.array(z.string()),
});
export type CompiledHistory = z.infer<typeof CompiledHistorySchema>;

export const CompiledFaultSchema = z.object({
  /** The scenario's fault id; with `vm` it names one injection. */
  id: z.string(),
  type: z.enum(FAULT_TYPES),
  vm: z.string(),
  /** The params as FAULT_PARAMS parsed them (defaults filled, numbers kept): what the agent checks again. */
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  atMs: z.number(),
  /** null: lasts until the run ends or the trainee fixes it. */
  durationMs: z.number().nullable(),
  /** Lines written on its VM when it strikes (the change that caused it, in the deploy log). */
  history: z.array(z.object({ file: z.string(), line: z.string() })).optional(),
});
export type CompiledFault = z.infer<typeof CompiledFaultSchema>;


export const TIMELINE_KINDS = ['fault-start', 'fault-end', 'fault-step', 'alert'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export const TimelineEventSchema = z.object({
  atMs: z.number(),
  kind: z.enum(TIMELINE_KINDS),
  /** Fault id or alert name. */
  ref: z.string(),
  vm: z.string().optional(),
  /** A ramp's step (fault-step, from 2): its params and reach are the ramp's steps[step - 1]. */
  step: z.number().optional(),
});
export type TimelineEvent = z.infer<typeof TimelineEventSchema>;

export const CompiledCheckSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('http'), path: z.string(), expectedStatus: z.number(), port: z.number(), latencyBelowMs: z.number().nullable().default(null) }),
  z.object({ type: z.literal('agent-metric'), metric: z.enum(METRICS), op: z.enum(CONDITION_OPERATORS), value: z.number(), condition: z.string() }),
  z.object({ type: z.literal('process-running'), service: z.string() }),
  z.object({ type: z.literal('fault-cleared'), fault: z.string() }),
  z.object({ type: z.literal('probe'), lossBelowPct: z.number(), latencyBelowMs: z.number().nullable(), overMs: z.number() }),
  z.object({ type: z.literal('e2e'), port: z.number() }),
  z.object({ type: z.literal('unit-healthy'), service: z.string(), stableMs: z.number() }),
]);
export type CompiledCheck = z.infer<typeof CompiledCheckSchema>;

/** A check with the VMs it runs on: an objective's, a state-driven alert's or a penalty's. */
export const CompiledConditionSchema = z.object({
  check: CompiledCheckSchema,
  vms: z.array(z.string()),
  /** The check must hold (or fail, for an alert) this long without a break. */
  forMs: z.number().default(0),
});
export type CompiledCondition = z.infer<typeof CompiledConditionSchema>;

export const CompiledAlertSchema = z.object({
  name: z.string(),
  severity: z.enum(['info', 'warning', 'critical']),
  /** A scripted alert's time; null for one that fires from its condition. */
  firedAtMs: z.number().nullable(),
  /** Fires once the check has failed for `forMs`, resolves once it passes again. */
  when: CompiledConditionSchema.nullable().default(null),
  message: z.string(),
});
export type CompiledAlert = z.infer<typeof CompiledAlertSchema>;

export const CompiledObjectiveSchema = z.object({
  id: z.string(),
  description: z.string(),
  check: CompiledCheckSchema,
  /** Every one of these VMs must pass. */
  vms: z.array(z.string()),
  /** Resolution needs the objective passing this long without a break. */
  forMs: z.number().default(0),
});
export type CompiledObjective = z.infer<typeof CompiledObjectiveSchema>;

export const CompiledScoringSchema = z.object({
  base: z.number(),
  timePenaltyPerSecond: z.number(),
  hintPenalty: z.number(),
  perfectWindowMs: z.number(),
});
export type CompiledScoring = z.infer<typeof CompiledScoringSchema>;

export const CompiledPenaltySchema = z.object({
  id: z.string(),
  description: z.string(),
  /** Charged the first time this fails (or passes, with chargeOn 'passing') for its window once the incident has begun. */
  when: CompiledConditionSchema,
  chargeOn: z.enum(['failing', 'passing']).default('failing'),
  points: z.number(),
  fail: z.boolean(),
});
export type CompiledPenalty = z.infer<typeof CompiledPenaltySchema>;

export const CompiledRootCauseSchema = z.object({
  question: z.string(),
  choices: z.array(z.string()).nullable(),
  /** The right choice's index, or accepted free-text answers (case-insensitive regular expressions). */
  answer: z.union([z.number(), z.array(z.string())]),
  points: z.number(),
});
export type CompiledRootCause = z.infer<typeof CompiledRootCauseSchema>;

export const CompiledTrafficSchema = z.object({
  vms: z.array(z.string()),
  rps: z.number(),
  port: z.number(),
  routes: z.array(z.object({ method: z.enum(['GET', 'POST']), path: z.string(), weight: z.number() })),
});
export type CompiledTraffic = z.infer<typeof CompiledTrafficSchema>;

const safety = safetySchemas(CompiledConditionSchema, CompiledFaultSchema);
export const { CompiledSteadyStateSchema, CompiledAbortWhenSchema, CompiledRampSchema } = safety;
export type CompiledSteadyState = z.infer<typeof CompiledSteadyStateSchema>;
export type CompiledAbortWhen = z.infer<typeof CompiledAbortWhenSchema>;
export type CompiledRamp = z.infer<typeof CompiledRampSchema>;

export const CompiledScenarioSchema = z.object({
  id: z.string(),
  title: z.string(),
  difficulty: z.enum(['easy', 'medium', 'hard', 'expert']),
  architecture: z.enum(['monolith', 'microservices', 'both']),
  tags: z.array(z.string()),
  description: z.string(),
  /** The experiment charter, when the scenario has one. */
  charter: charterSchema.nullable().default(null),
  /** The seed every random choice came from (the scenario's, or one chosen and recorded). */
  seed: z.number(),
  timeLimitMs: z.number(),
  vms: z.array(VmPlanSchema),
  /** The VMs' past; absent (runs stored before it existed, hand-made plans) = Pudu's defaults only. */
  history: CompiledHistorySchema.optional(),
  faults: z.array(CompiledFaultSchema),
  alerts: z.array(CompiledAlertSchema),
  symptoms: z.array(z.string()),
  timeline: z.array(TimelineEventSchema),
  objectives: z.array(CompiledObjectiveSchema),
  hints: z.array(z.object({ text: z.string() })),
  scoring: CompiledScoringSchema,
  penalties: z.array(CompiledPenaltySchema).default([]),
  rootCause: CompiledRootCauseSchema.nullable().default(null),
  traffic: CompiledTrafficSchema.nullable().default(null),
  /** How long the fleet stays for review after the fix. */
  reviewMs: z.number().default(0),
  ...safety.fields,
});
export type CompiledScenario = z.infer<typeof CompiledScenarioSchema>;
