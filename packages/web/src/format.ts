// Formatting helpers shared by the views: clock times, durations, scores. Times are
// milliseconds, as the API sends them.
import { formatDurationMs } from '@pudu/schema';

/** Formats milliseconds as `m:ss` or `h:mm:ss` (a stopwatch, not prose). */
export function formatClock(totalMs: number): string {
  const s = Math.max(0, Math.floor(totalMs / 1000));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  if (hours > 0) return `${hours}:${String(minutes).padStart(2, '0')}:${ss}`;
  return `${minutes}:${ss}`;
}

/** Formats milliseconds to the second the way a scenario writes durations: `45s`, `5m`, `1h30m`. */
export function formatDuration(totalMs: number): string {
  return formatDurationMs(Math.max(0, Math.round(totalMs / 1000)) * 1000);
}

/** Formats a score with at most two decimals (the engine rounds to hundredths). */
export function formatScore(score: number): string {
  return score.toFixed(2).replace(/\.?0+$/, '');
}

/** Formats an ISO time as local `HH:MM:SS`. */
export function formatTimeOfDay(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}
