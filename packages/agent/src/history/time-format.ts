/** How services of a Debian VM write a time (all UTC, as the image's /etc/timezone says). */
import type { HISTORY_TIME_TOKENS } from '@pudu/schema';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');

/** 2026-11-21T23:12:04Z */
export function isoSeconds(t: number): string {
  return new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** 2026-11-21 23:12:04 */
export function dateTime(t: number): string {
  return isoSeconds(t).replace('T', ' ').replace('Z', '');
}

/** Nov 21 23:12:04 (syslog: the day padded with a space) */
export function syslogTime(t: number): string {
  const d = new Date(t);
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

/** 21/Nov/2026:23:12:04 +0000 (nginx's and Apache's common log format) */
export function clfTime(t: number): string {
  const d = new Date(t);
  return `${p2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
}

/** 2026-11-21 23:12:04.123 UTC (PostgreSQL's log_line_prefix %m) */
export function pgTime(t: number): string {
  return `${new Date(t).toISOString().replace('T', ' ').replace('Z', '')} UTC`;
}

const RENDER: Record<keyof typeof HISTORY_TIME_TOKENS, (t: number) => string> = {
  '{iso}': isoSeconds,
  '{syslog}': syslogTime,
  '{clf}': clfTime,
  '{date}': dateTime,
};

/** A history line with its time tokens replaced by time `t`. */
export function renderLine(line: string, t: number): string {
  return line.replace(/\{(iso|syslog|clf|date)\}/g, (tok) => RENDER[tok as keyof typeof RENDER](t));
}

/** PostgreSQL's log times in a text, each moved by `deltaMs` (its own format kept). */
export function shiftPgTimes(text: string, deltaMs: number): string {
  return text.replace(/\b(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{3})? UTC\b/g, (_m, d: string, hms: string, ms?: string) => {
    const t = Date.parse(`${d}T${hms}${ms ?? ''}Z`) + deltaMs;
    const s = pgTime(t);
    return ms ? s : s.replace(/\.\d{3} UTC$/, ' UTC');
  });
}
