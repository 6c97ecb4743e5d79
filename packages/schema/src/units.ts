/**
 * The scenario language's units, as the seed writes them: durations (`500ms`, `90s`,
 * `1h30m`), percentages (`80%`), sizes (`512mb`) and rates (`30mb/min`).
 * Parsers return null on bad input so callers can report where the problem is.
 */

const DURATION_RE = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;
export const DURATION_HELP = 'a duration like 500ms, 0s, 90s, 1m or 1h30m';

/** Parses `1h30m`, `90s`, `500ms`, `0s` into milliseconds; null when malformed. */
export function parseDurationMs(text: string): number | null {
  const m = DURATION_RE.exec(text.trim());
  if (!m || text.trim() === '') return null;
  const [, h, min, s, ms] = m;
  if (h === undefined && min === undefined && s === undefined && ms === undefined) return null;
  return (Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(s ?? 0)) * 1000 + Number(ms ?? 0);
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
const CONDITION_RE = /^(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)$/;
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
