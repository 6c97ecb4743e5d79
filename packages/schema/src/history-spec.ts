/**
 * Believable history: a lab VM must not look minutes old while its incident "has been going
 * on". A scenario's `history:` block says how long its VMs have been up and which records
 * (deploy log lines, notes in a log) lie in their past; a fault's `history:` names the
 * records written on its VMs at the moment it strikes (the config push in the deploy log).
 * Pudu adds ordinary history of its own (rotated service logs, a shell history, earlier
 * deploys) unless `defaults: false`. See docs/writing-scenarios.md ("History").
 */
import { z } from 'zod';
import { absolutePath } from './scenario-fields.ts';
import { DURATION_PATTERN } from './units.ts';

/** A span of a VM's past, in the one duration grammar (units.ts), which takes days: `41d`, `3d12h`, `90m`. */
const age = z.string().regex(new RegExp(DURATION_PATTERN), { message: 'expected an age like 41d, 3d12h, 6h or 90m' });

/** Placeholders a history line may use for the record's own time. */
export const HISTORY_TIME_TOKENS = {
  '{iso}': '2026-11-21T23:12:04Z',
  '{syslog}': 'Nov 21 23:12:04',
  '{clf}': '21/Nov/2026:23:12:04 +0000',
  '{date}': '2026-11-21 23:12:04',
} as const;

const TOKEN_HELP = Object.keys(HISTORY_TIME_TOKENS).join(', ');

const line = z.string().min(1).regex(/^[^\n\r]*$/, { message: 'expected one line' })
  .describe(`The line appended; ${TOKEN_HELP} stand for the record's time`);
const file = absolutePath.regex(/^\/[^\0]*[^/]$/, { message: 'expected the absolute path of a file like /var/log/deploy.log' })
  .describe('The file the line is appended to (created if missing)');

/** A record written when the fault strikes, on each VM the fault lands on. */
export const faultHistoryRecordSchema = z.strictObject({ file, line });
export const faultHistorySchema = z.array(faultHistoryRecordSchema).min(1)
  .describe('Records written on the fault\'s VMs at the moment it strikes, e.g. the change that caused it in the deploy log');

/** The scenario-level block; `target` is the scenario's target schema (passed in: it lives beside the faults). */
export function scenarioHistorySchema<T extends z.ZodType>(target: T) {
  return z.strictObject({
    uptime: age.optional()
      .describe('How long every VM has been up at least when the run starts, e.g. 41d (default: 12 to 60 days, fixed per scenario)'),
    records: z.array(z.strictObject({
      target: target.optional().describe('Which VMs (default: every VM)'),
      file,
      line,
      ago: age.describe('How long before the run starts it was written, e.g. 3d'),
    })).default([]).describe('Lines that were written before the incident: earlier deploys, maintenance notes'),
    shell: z.array(z.string().min(1).regex(/^[^\n\r]*$/, { message: 'expected one command' })).default([])
      .describe('Commands at the end of root\'s shell history, as the last person on call left it'),
    defaults: z.boolean().default(true)
      .describe('Also write Pudu\'s ordinary history (rotated service logs, earlier deploys, a shell history)'),
  });
}

/** Days a VM is up by default, when the scenario does not say (inclusive range). */
export const DEFAULT_UPTIME_DAYS = { min: 12, max: 60 } as const;
const DAY_S = 86_400;
/** VMs of one fleet are not booted in the same second: each gets up to this much more. */
const UPTIME_SPREAD_S = 3 * 3600;

/** 32-bit FNV-1a of a text: a stable pick without a seed. */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * A VM's uptime when its fleet starts, in seconds: at least `minS` when given, else a number
 * of days in DEFAULT_UPTIME_DAYS picked by `group` (the scenario, or the fleet); each VM adds
 * a few hours picked by its name. Stable for the same inputs, so warm fleets match.
 */
export function defaultUptimeS(group: string, vmName = '', minS?: number): number {
  const days = DEFAULT_UPTIME_DAYS.min + (stableHash(group) % (DEFAULT_UPTIME_DAYS.max - DEFAULT_UPTIME_DAYS.min + 1));
  const base = minS ?? days * DAY_S + (stableHash(`${group}#h`) % DAY_S);
  return base + (stableHash(`${group}/${vmName}`) % UPTIME_SPREAD_S);
}
