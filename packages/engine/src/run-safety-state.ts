/**
 * What a run remembers of its safety rules (pre-flight, containment guardrails, an
 * experiment's steady state and abort conditions, ramps, the verdict), spread into
 * RunProgressSchema. Every field has a default so run documents stored before still read back.
 */
import { z } from 'zod';
import { RunVerdictSchema } from '@pudu/schema';

/** One reason pre-flight did not pass: which check (agent, plan, objective…) and why. */
export interface PreflightProblem {
  check: string;
  reason: string;
}

/** The host's headroom and each VM's use, in percent (load: 1-minute load average per CPU). */
export interface HostSample {
  loadPerCpu: number;
  memAvailablePct: number;
  diskFreePct: number;
  vms: Record<string, { cpuPct: number; memPct: number; diskPct: number }>;
}

export const SafetyProgressFields = {
  /** Pre-flight while it runs (state `preflight`): when it began, whether every agent answered and every fault was planned, what fails so far. */
  preflight: z.object({
    startedAtMs: z.number(),
    planned: z.boolean(),
    steadySeen: z.boolean().default(false),
    failing: z.record(z.string(), z.string()),
  }).nullable().default(null),
  /** Steady-state samples within each check's window ([epoch ms, passing]; not stored: a restart starts the windows again) and its last failure. */
  steady: z.record(z.string(), z.object({
    samples: z.array(z.tuple([z.number(), z.boolean()])),
    lastFailure: z.object({ atMs: z.number(), detail: z.string() }).nullable(),
  })).default({}),
  /** Since when each abort_when condition has held (its `for:` window). */
  abortSince: z.record(z.string(), z.number().nullable()).default({}),
  /** Since when each containment limit has been crossed (guardrails.for). */
  guardrailSince: z.record(z.string(), z.number().nullable()).default({}),
  /** Faults taken out by a guardrail with on_breach: pause, until it has cleared for its window; null while none is. */
  pausedBy: z.string().nullable().default(null),
  /** Injections so far (re-injections and ramp steps count): the fault budget. */
  injections: z.number().int().min(0).default(0),
  /** Each ramped fault's current step (1-based), since when, and whether a guardrail fired during it. */
  ramps: z.record(z.string(), z.object({
    step: z.number().int().min(1),
    stepAtMs: z.number(),
    breached: z.boolean(),
    /** No more steps: a breach held (or rolled back) the ramp. */
    held: z.boolean(),
  })).default({}),
  verdict: RunVerdictSchema.nullable().default(null),
  /** Cadence of the host samples (not stored). */
  lastSampleAtMs: z.number().default(0),
};

export const newSafetyProgress = () => ({
  preflight: null, steady: {}, abortSince: {}, guardrailSince: {}, pausedBy: null, injections: 0, ramps: {}, verdict: null, lastSampleAtMs: 0,
});
