/**
 * The compiled form of a scenario's run-time safety parts (guardrail-spec.ts): containment
 * guardrails, an experiment's steady state and abort conditions, ramps and extra faults.
 * Every field has a default so runs stored before these existed still read back.
 */
import { z } from 'zod';
import { RAMP_ON_BREACH, RUN_MODES } from '@pudu/schema';

export const CompiledGuardrailsSchema = z.object({
  hostLoadPerCpu: z.number().nullable(),
  hostMemFreePct: z.number(),
  hostDiskFreePct: z.number(),
  vmCpuPct: z.number().nullable(),
  vmMemPct: z.number().nullable(),
  vmDiskPct: z.number().nullable(),
  maxInjections: z.number(),
  maxActiveFaults: z.number().nullable(),
  forMs: z.number(),
  onBreach: z.enum(['abort', 'pause']),
});
export type CompiledGuardrails = z.infer<typeof CompiledGuardrailsSchema>;

export const DEFAULT_COMPILED_GUARDRAILS: CompiledGuardrails = {
  hostLoadPerCpu: null, hostMemFreePct: 5, hostDiskFreePct: 5, vmCpuPct: null, vmMemPct: null, vmDiskPct: null,
  maxInjections: 200, maxActiveFaults: null, forMs: 5000, onBreach: 'abort',
};

/**
 * The schemas that hold conditions and faults, built around compiled-scenario.ts's own (it
 * calls this once; importing them here would be a cycle) and spread into CompiledScenarioSchema.
 */
export function safetySchemas<C extends z.ZodType, F extends z.ZodType>(CompiledConditionSchema: C, CompiledFaultSchema: F) {
  /** "≥ passPct % of the samples over the last overMs pass", before the first fault and throughout. */
  const CompiledSteadyStateSchema = z.object({
    id: z.string(),
    description: z.string(),
    condition: CompiledConditionSchema,
    passPct: z.number(),
    overMs: z.number(),
  });

  /** Stops the experiment once its condition has been met for `condition.forMs`: the check failing, or (a metric) passing. */
  const CompiledAbortWhenSchema = z.object({
    id: z.string(),
    description: z.string(),
    condition: CompiledConditionSchema,
    on: z.enum(['failing', 'passing']),
  });

  const CompiledRampSchema = z.object({
    faultId: z.string(),
    everyMs: z.number(),
    onBreach: z.enum(RAMP_ON_BREACH),
    /** Step i's full params and the VMs it reaches (a reach only grows). */
    steps: z.array(z.object({ params: z.record(z.string(), z.union([z.string(), z.number()])), vms: z.array(z.string()) })),
  });

  return {
    CompiledSteadyStateSchema, CompiledAbortWhenSchema, CompiledRampSchema,
    fields: {
      mode: z.enum(RUN_MODES).default('training'),
      guardrails: CompiledGuardrailsSchema.default(DEFAULT_COMPILED_GUARDRAILS),
      steadyState: z.array(CompiledSteadyStateSchema).default([]),
      abortWhen: z.array(CompiledAbortWhenSchema).default([]),
      ramps: z.array(CompiledRampSchema).default([]),
      /** Injected only when an instructor asks (at their time on the run's clock), one per VM like faults. */
      extraFaults: z.array(CompiledFaultSchema).default([]),
    },
  };
}
