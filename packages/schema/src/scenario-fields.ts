/**
 * The value types a scenario file and the agent protocol are written in (durations,
 * percentages, rates, names, addresses), each one zod schema whose rule is a pattern or a
 * JSON Schema format, so validate, the agent and the generated JSON Schema check the same.
 */
import { z } from 'zod';
import {
  CONDITION_HELP, CONDITION_PATTERN, DURATION_HELP, DURATION_PATTERN, PERCENT_HELP, POSITIVE_DURATION_PATTERN,
  POSITIVE_RATE_PATTERN, RATE_HELP, percentPattern,
} from './units.ts';

export const NAME_RE = /^[a-z][a-z0-9-]{0,30}$/;
export const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SERVICE_RE = /^[A-Za-z0-9@._-]{1,64}$/;

export const duration = z.string().regex(new RegExp(DURATION_PATTERN), { message: `expected ${DURATION_HELP}` });
export const positiveDuration = z.string().regex(new RegExp(POSITIVE_DURATION_PATTERN), { message: `expected ${DURATION_HELP}, longer than 0` });
export const percent = z.string().regex(new RegExp(percentPattern(0, 100)), { message: `expected ${PERCENT_HELP} (0–100)` });
/** A percentage the agent accepts for that param: the same range here, so validate catches it. */
export const percentIn = (min: number, max: number) =>
  z.string().regex(new RegExp(percentPattern(min, max)), { message: `expected a percentage from ${min}% to ${max}% like "80%"` });
/** A share that must not be zero (packet loss, corruption). */
export const percentAboveZero = z.string().regex(new RegExp(percentPattern(0, 100, true)), { message: 'expected a percentage above 0% and up to 100% like "5%"' });
export const rate = z.string().regex(new RegExp(POSITIVE_RATE_PATTERN), { message: `expected ${RATE_HELP}, above 0` });
export const condition = z.string().regex(new RegExp(CONDITION_PATTERN), { message: `expected ${CONDITION_HELP}` });
export const ipAddress = z.union([z.ipv4(), z.ipv6()], { error: 'expected an IPv4 or IPv6 address like 10.0.0.66 or fd00::66' });
export const hostname = z.string().regex(/^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/, {
  message: 'expected a host name like db.internal',
});
export const service = z.string().regex(SERVICE_RE, { message: 'expected a systemd unit name like nginx' });
export const absolutePath = z.string().regex(/^\//, { message: 'expected an absolute path' });
export const pgName = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'expected a PostgreSQL name like app (lowercase letters, digits, _)' });
/** Text that is not only blanks. */
export const nonBlank = (message: string) => z.string().regex(/\S/, { message });

/** The u flag is the stricter reading, and the one JSON Schema's `format: "regex"` uses. */
function isRegExp(s: string): boolean {
  try {
    new RegExp(s, 'u');
    return true;
  } catch {
    return false;
  }
}
export const regexSource = z.string().min(1).refine(isRegExp, { message: 'expected a regular expression like ^APP_PORT=' }).meta({ format: 'regex' });
