/**
 * Time windows, shared by a charter's `window:` and a policy rule's `when:`. Two forms:
 * an ISO-8601 interval with an explicit zone (`2026-12-01T09:00Z/2026-12-01T17:00Z`,
 * `2026-12-01T09:00+01:00/PT8H`) or a recurring weekly window
 * (`Mon-Fri 09:00-17:00 Europe/Berlin`, `weekdays 22:00-02:00 UTC`, `daily 10:00-12:00`).
 * A recurring window crossing midnight belongs to the day it starts on.
 */

export const WINDOW_HELP =
  'an ISO-8601 interval like 2026-12-01T09:00Z/2026-12-01T17:00Z or 2026-12-01T09:00Z/PT8H, ' +
  'or a weekly window like "Mon-Fri 09:00-17:00 Europe/Berlin" (days: daily, weekdays, weekends, Mon-Fri, Sat,Sun; zone default UTC)';

export type TimeWindow =
  | { kind: 'interval'; text: string; startMs: number; endMs: number }
  | { kind: 'weekly'; text: string; days: boolean[]; startMin: number; endMin: number; zone: string };

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const DAY_SETS: Record<string, number[]> = { daily: [0, 1, 2, 3, 4, 5, 6], weekdays: [1, 2, 3, 4, 5], weekends: [0, 6] };
const ISO_INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const ISO_DURATION_RE = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;
const CLOCK_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;

function isoDurationMs(text: string): number | null {
  const m = ISO_DURATION_RE.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return null;
  const [w, d, h, min, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number];
  return ((((w * 7 + d) * 24 + h) * 60 + min) * 60 + s) * 1000;
}

function instantMs(text: string): number | null {
  if (!ISO_INSTANT_RE.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}

function dayIndex(word: string): number | undefined {
  const i = DAYS.indexOf(word.slice(0, 3).toLowerCase() as (typeof DAYS)[number]);
  return i >= 0 && word.length >= 3 ? i : undefined;
}

function parseDays(text: string): boolean[] | string {
  const days = Array<boolean>(7).fill(false);
  const set = DAY_SETS[text.toLowerCase()];
  if (set) {
    for (const d of set) days[d] = true;
    return days;
  }
  for (const part of text.split(',')) {
    const [a, b, ...rest] = part.split('-');
    const from = a === undefined ? undefined : dayIndex(a);
    const to = b === undefined ? from : dayIndex(b);
    if (from === undefined || to === undefined || rest.length) return `unknown days "${part}"; use daily, weekdays, weekends, Mon-Fri or Mon,Wed,Fri`;
    for (let d = from; ; d = (d + 1) % 7) {
      days[d] = true;
      if (d === to) break;
    }
  }
  return days;
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();
function zoneFormat(zone: string): Intl.DateTimeFormat | null {
  let f = zoneFormats.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    } catch {
      return null;
    }
    zoneFormats.set(zone, f);
  }
  return f;
}

/** Parses a window, or returns why it is not one. */
export function parseTimeWindow(text: string): TimeWindow | { error: string } {
  const t = text.trim();
  if (/^\d{4}-/.test(t)) {
    const [a = '', b = '', ...rest] = t.split('/');
    if (rest.length) return { error: `expected START/END or START/DURATION, got "${t}"` };
    const startMs = instantMs(a);
    if (startMs === null) return { error: `"${a}" is not an ISO-8601 time with a zone like 2026-12-01T09:00Z` };
    const dur = b.startsWith('P') ? isoDurationMs(b) : null;
    const endMs = dur !== null ? startMs + dur : instantMs(b);
    if (endMs === null) return { error: `"${b}" is neither an ISO-8601 time with a zone nor a duration like PT8H` };
    if (endMs <= startMs) return { error: 'the window ends before it starts' };
    return { kind: 'interval', text: t, startMs, endMs };
  }
  const words = t.split(/\s+/);
  if (words.length < 2 || words.length > 3) return { error: `expected ${WINDOW_HELP}` };
  const days = parseDays(words[0]!);
  if (typeof days === 'string') return { error: days };
  const clock = /^(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(words[1]!);
  const s = clock ? CLOCK_RE.exec(clock[1]!) : null;
  const e = clock ? CLOCK_RE.exec(clock[2]!) : null;
  if (!s || !e) return { error: `"${words[1]}" is not a time range like 09:00-17:00` };
  const startMin = Number(s[1]) * 60 + Number(s[2]);
  const endMin = Number(e[1]) * 60 + Number(e[2]);
  if (startMin === endMin) return { error: 'the window is empty (start equals end); use daily 00:00-23:59 for a whole day' };
  const zone = words[2] ?? 'UTC';
  if (!zoneFormat(zone)) return { error: `unknown time zone "${zone}"; use an IANA name like Europe/Berlin or UTC` };
  return { kind: 'weekly', text: t, days, startMin, endMin, zone };
}

/** True when `text` parses as a window (for zod refinements). */
export function isTimeWindow(text: string): boolean {
  return !('error' in parseTimeWindow(text));
}

function localOf(zone: string, atMs: number): { day: number; minute: number } {
  const parts = zoneFormat(zone)!.formatToParts(new Date(atMs));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '0';
  return { day: dayIndex(get('weekday')) ?? 0, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

/** Is `atMs` inside the window? */
export function windowContains(w: TimeWindow, atMs: number): boolean {
  if (w.kind === 'interval') return atMs >= w.startMs && atMs < w.endMs;
  const { day, minute } = localOf(w.zone, atMs);
  if (w.startMin < w.endMin) return w.days[day]! && minute >= w.startMin && minute < w.endMin;
  return (w.days[day]! && minute >= w.startMin) || (w.days[(day + 6) % 7]! && minute < w.endMin);
}

const MINUTE_MS = 60_000;

/** When the window next opens at or after `fromMs` (now if it is open), or null if never again. */
export function nextWindowOpening(w: TimeWindow, fromMs: number): number | null {
  if (windowContains(w, fromMs)) return fromMs;
  if (w.kind === 'interval') return fromMs < w.startMs ? w.startMs : null;
  // Minute steps over one week find the opening in any zone, DST included.
  const start = Math.ceil(fromMs / MINUTE_MS) * MINUTE_MS;
  for (let t = start; t <= start + 8 * 24 * 60 * MINUTE_MS; t += MINUTE_MS) if (windowContains(w, t)) return t;
  return null;
}
