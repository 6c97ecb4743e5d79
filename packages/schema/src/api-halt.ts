/**
 * Halt-all (issue 12): one switch that reverts every active fault on every run, ends the
 * runs `halted` and refuses new runs and faults (423 HALTED) until an admin releases it.
 */
import { z } from 'zod';

export const HaltRequestSchema = z.strictObject({
  reason: z.string().trim().min(1, { message: 'say why (it is shown on every run and in the audit log)' }).max(500),
});
export type HaltRequest = z.input<typeof HaltRequestSchema>;

export const HaltStatusSchema = z.object({
  engaged: z.boolean(),
  /** Why it was engaged (null when never engaged). */
  reason: z.string().nullable(),
  by: z.string().nullable(),
  /** When it was engaged (or last released). */
  at: z.string().nullable(),
});
export type HaltStatus = z.infer<typeof HaltStatusSchema>;

export const HaltResultSchema = HaltStatusSchema.extend({
  /** Runs ended `halted` by this call. */
  runs: z.array(z.string()),
  /** Faults the agents reported active and reverted, through the runs and directly. */
  faultsReverted: z.number().int(),
  /** Agents asked directly (every VM of every ready fleet) and those that did not answer in time. */
  agentsReached: z.number().int(),
  agentErrors: z.array(z.object({ fleetId: z.string(), vm: z.string(), error: z.string() })),
  /** From the call to every fault reverted (or the deadline). */
  elapsedMs: z.number(),
});
export type HaltResult = z.infer<typeof HaltResultSchema>;
