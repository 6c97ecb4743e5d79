/**
 * What the engine runs: a scenario with VMs expanded, targets resolved and times in ms.
 * The zod schemas are the definition (a run stores its compiled scenario and validates it
 * when read back); the types are derived from them.
 */
import { z } from 'zod';
import { charterSchema, CONDITION_OPERATORS, FAULT_TYPES, METRICS, type VmSpec } from '@pudu/schema';

/** One VM of the plan, exactly what a driver is asked to create. */
export type VmPlan = VmSpec;

export const VmPlanSchema = z.object({
  name: z.string(),
  tier: z.string(),
  vcpus: z.number(),
  memMb: z.number(),
  diskMb: z.number(),
  services: z.array(z.string()),
}) satisfies z.ZodType<VmPlan>;

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
});
export type CompiledFault = z.infer<typeof CompiledFaultSchema>;

export const CompiledAlertSchema = z.object({
  name: z.string(),
  severity: z.enum(['info', 'warning', 'critical']),
  firedAtMs: z.number(),
  message: z.string(),
});
export type CompiledAlert = z.infer<typeof CompiledAlertSchema>;

export const TIMELINE_KINDS = ['fault-start', 'fault-end', 'alert'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export const TimelineEventSchema = z.object({
  atMs: z.number(),
  kind: z.enum(TIMELINE_KINDS),
  /** Fault id or alert name. */
  ref: z.string(),
  vm: z.string().optional(),
});
export type TimelineEvent = z.infer<typeof TimelineEventSchema>;

export const CompiledCheckSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('http'), path: z.string(), expectedStatus: z.number(), port: z.number() }),
  z.object({ type: z.literal('agent-metric'), metric: z.enum(METRICS), op: z.enum(CONDITION_OPERATORS), value: z.number(), condition: z.string() }),
  z.object({ type: z.literal('process-running'), service: z.string() }),
  z.object({ type: z.literal('fault-cleared'), fault: z.string() }),
]);
export type CompiledCheck = z.infer<typeof CompiledCheckSchema>;

export const CompiledObjectiveSchema = z.object({
  id: z.string(),
  description: z.string(),
  check: CompiledCheckSchema,
  /** Every one of these VMs must pass. */
  vms: z.array(z.string()),
});
export type CompiledObjective = z.infer<typeof CompiledObjectiveSchema>;

export const CompiledScoringSchema = z.object({
  base: z.number(),
  timePenaltyPerSecond: z.number(),
  hintPenalty: z.number(),
  perfectWindowMs: z.number(),
});
export type CompiledScoring = z.infer<typeof CompiledScoringSchema>;

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
  faults: z.array(CompiledFaultSchema),
  alerts: z.array(CompiledAlertSchema),
  symptoms: z.array(z.string()),
  timeline: z.array(TimelineEventSchema),
  objectives: z.array(CompiledObjectiveSchema),
  hints: z.array(z.object({ text: z.string() })),
  scoring: CompiledScoringSchema,
});
export type CompiledScenario = z.infer<typeof CompiledScenarioSchema>;
