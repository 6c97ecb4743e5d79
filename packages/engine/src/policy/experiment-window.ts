import { nextWindowOpening, parseTimeWindow, PuduError, type TimeWindow } from '@pudu/schema';

/** Parses an experiment's window; BAD_REQUEST saying what is wrong with it. */
export function experimentWindow(text: string | null): TimeWindow | null {
  if (text === null) return null;
  const w = parseTimeWindow(text);
  if ('error' in w) throw new PuduError('BAD_REQUEST', `window "${text}": ${w.error}`);
  return w;
}

/**
 * When a proposal is judged: at its window's next opening (now when open or absent), since
 * rules with `when:` apply at the time it will run. OUTSIDE_WINDOW when the window is over.
 */
export function nextWindowOpeningOrNow(text: string | null, nowMs: number): number {
  const w = experimentWindow(text);
  if (!w) return nowMs;
  const at = nextWindowOpening(w, nowMs);
  if (at === null) throw new PuduError('OUTSIDE_WINDOW', `the window ${w.text} is over; propose a window in the future`);
  return at;
}
