/**
 * A scenario's `charter:` block — the experiment charter of a safe chaos lab: why the
 * experiment exists, what it may touch, how success is judged, how it is undone, who signs
 * it off and when it may run. Stored with every run and shown wherever a run is approved.
 */
import { z } from 'zod';
import { WINDOW_HELP, parseTimeWindow } from './time-window.ts';

/** A person or group named as approver: `alice`, `sre`, `group:platform`. */
const approverName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9@._:-]{0,63}$/, { message: 'expected a name or group like sre or alice@example.com' });
const text = z.string().trim().min(1).regex(/\S/, { message: 'expected some text' });

export const timeWindowSchema = z.string().superRefine((text, ctx) => {
  const w = parseTimeWindow(text);
  if ('error' in w) ctx.addIssue({ code: 'custom', message: `${w.error}; expected ${WINDOW_HELP}` });
});

export const charterSchema = z.strictObject({
  hypothesis: text.describe('What you expect to happen and why it matters (tie it to an objective or SLO)'),
  owner: text.describe('Who is responsible for the experiment'),
  scope: text.describe('What it may touch, in words: tiers, services, data; and what it must not'),
  success_criteria: z.array(text).min(1).describe('How the outcome is judged'),
  rollback: text.describe('The plan to undo it in words; the agent\'s revert is the mechanism'),
  approvers: z.array(approverName).optional().describe('People or groups expected to sign it off (the policy decides how many approvals it needs)'),
  window: timeWindowSchema.optional().describe('When it may run: an ISO-8601 interval or a weekly window'),
});

export type Charter = z.output<typeof charterSchema>;
