/**
 * The scenario language's units, as the seed writes them: durations (`500ms`, `90s`,
 * `1h30m`), percentages (`80%`), sizes (`512mb`) and rates (`30mb/min`).
 * Parsers return null on bad input so callers can report where the problem is.
 * Each form is one regular expression, exported as a `*_PATTERN` string: the parser here,
 * the zod schema and the generated JSON Schema (`pattern`, ECMA-262 with the u flag, no
 * other flags) all use the same text, so the three agree on what is well-formed.
 */
import toRegexRange from 'to-regex-range';

/** `1h30m`, `90s`, `500ms`, `0s`, `90d` (token lifetimes): at least one part, in this order. */
export const DURATION_PATTERN = '^(?=\\d)(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m(?!s))?(?:(\\d+)s)?(?:(\\d+)ms)?$';
/** A duration longer than zero. */
export const POSITIVE_DURATION_PATTERN = `^(?!(?:0+d)?(?:0+h)?(?:0+m)?(?:0+s)?(?:0+ms)?$)${DURATION_PATTERN.slice(1)}`;
const DURATION_RE = new RegExp(DURATION_PATTERN);
export const DURATION_HELP = 'a duration like 500ms, 0s, 90s, 1m or 1h30m';

/** Parses `1h30m`, `90s`, `500ms`, `0s` into milliseconds; null when malformed. */
export function parseDurationMs(text: string): number | null {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return null;
  const [, d, h, min, s, ms] = m;
  return (Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(s ?? 0)) * 1000 + Number(ms ?? 0);
}

/** Formats milliseconds the way a trainer writes them: 0s, 500ms, 90s → 1m30s, 1h30m. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(ms);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  rest -= s * 1000;
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (s) parts.push(`${s}s`);
  if (rest) parts.push(`${rest}ms`);
  return parts.join('');
}

const PERCENT_RE = /^(\d+(?:\.\d+)?)\s*%$/;
export const PERCENT_HELP = 'a percentage like 80%';

/**
 * The pattern of a percentage from `min` to `max` inclusive (integers, max ≤ 100), or above
 * zero up to `max` when `min` is 0 and `aboveZero` is set: the range is in the pattern itself
 * so a JSON Schema checks it too.
 */
export function percentPattern(min: number, max: number, aboveZero = false): string {
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max > 100 || min >= max) throw new Error(`percentPattern(${min}, ${max})`);
  const frac = '(?:\\.\\d+)?';
  const parts = [`${toRegexRange(min, max - 1)}${frac}`, `${max}(?:\\.0+)?`];
  const body = `(?:${parts.join('|')})`;
  return aboveZero && min === 0 ? `^(?!0+(?:\\.0+)?\\s*%)${body}\\s*%$` : `^${body}\\s*%$`;
}

/** Parses `80%` into 80; null when malformed or outside 0–100. */
export function parsePercent(text: string): number | null {
  const m = PERCENT_RE.exec(text.trim());
  if (!m) return null;
  const v = Number(m[1]);
  return v >= 0 && v <= 100 ? v : null;
}

const SIZE_UNITS_BYTES: Record<string, number> = {
  b: 1,
  kb: 1024,
  k: 1024,
  mb: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  g: 1024 ** 3,
};
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(b|kb?|mb?|gb?)$/i;
export const SIZE_HELP = 'a size like 512kb, 30mb or 1gb';
/** `30mb/min`, `512kb/s`, `1gb/h` (units in any case), as parseRateBytesPerSecond reads it. */
export const RATE_PATTERN = '^\\d+(?:\\.\\d+)?\\s*(?:[bB]|[kKmMgG][bB]?)\\s*/\\s*(?:[sS]|[sS][eE][cC]|[mM][iI][nN]|[mM]|[hH])$';
/** A rate above zero. */
export const POSITIVE_RATE_PATTERN = `^(?!0+(?:\\.0+)?\\s*[a-zA-Z])${RATE_PATTERN.slice(1)}`;

/** Parses `30mb` into bytes; null when malformed. */
export function parseSizeBytes(text: string): number | null {
  const m = SIZE_RE.exec(text.trim());
  if (!m) return null;
  const unit = SIZE_UNITS_BYTES[m[2]!.toLowerCase()];
  return unit === undefined ? null : Math.round(Number(m[1]) * unit);
}

const RATE_PERIOD_MS: Record<string, number> = { s: 1000, sec: 1000, min: 60_000, m: 60_000, h: 3_600_000 };
export const RATE_HELP = 'a rate like 30mb/min, 512kb/s or 1gb/h';

/** Parses `30mb/min` into bytes per second; null when malformed. */
export function parseRateBytesPerSecond(text: string): number | null {
  const [size, period, ...rest] = text.trim().split('/');
  if (size === undefined || period === undefined || rest.length) return null;
  const bytes = parseSizeBytes(size);
  const periodMs = RATE_PERIOD_MS[period.trim().toLowerCase()];
  if (bytes === null || periodMs === undefined) return null;
  return (bytes * 1000) / periodMs;
}

export const CONDITION_OPERATORS = ['<=', '>=', '==', '!=', '<', '>'] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];
export const CONDITION_PATTERN = '^(<=|>=|==|!=|<|>)\\s*(-?\\d+(?:\\.\\d+)?)$';
const CONDITION_RE = new RegExp(CONDITION_PATTERN);
export const CONDITION_HELP = 'a condition like "< 80" (operators < <= > >= == !=, then a number)';

/** Parses `< 80` into its operator and number; null when malformed. */
export function parseCondition(text: string): { op: ConditionOperator; value: number } | null {
  const m = CONDITION_RE.exec(text.trim());
  if (!m) return null;
  return { op: m[1] as ConditionOperator, value: Number(m[2]) };
}

/** Applies a parsed condition to a measured value. */
export function evaluateCondition(op: ConditionOperator, value: number, actual: number): boolean {
  switch (op) {
    case '<': return actual < value;
    case '<=': return actual <= value;
    case '>': return actual > value;
    case '>=': return actual >= value;
    case '==': return actual === value;
    case '!=': return actual !== value;
  }
}
