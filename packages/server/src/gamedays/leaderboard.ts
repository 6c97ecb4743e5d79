/** The game day's leaderboard: pure ranking and its CSV export. */
import { stringify } from 'csv-stringify/sync';
import type { Leaderboard } from '@pudu/schema';

export interface Entry { name: string; runId: string | null; state: string; score: number | null; resolvedAtMs: number | null; hintsUsed: number | null; integrityFlags: number }

/** Resolved first by score (high first), ties by time to resolve, then fewer hints; the rest unranked, by name. */
export function rankEntries(entries: Entry[]): Leaderboard['rows'] {
  const solved = entries.filter((e) => e.state === 'resolved' && e.score !== null && e.resolvedAtMs !== null)
    .sort((a, b) => b.score! - a.score! || a.resolvedAtMs! - b.resolvedAtMs! || (a.hintsUsed ?? 0) - (b.hintsUsed ?? 0) || a.name.localeCompare(b.name));
  const rest = entries.filter((e) => !solved.includes(e)).sort((a, b) => a.name.localeCompare(b.name));
  return [...solved.map((e, i) => ({ rank: i + 1, ...e })), ...rest.map((e) => ({ rank: null, ...e, score: e.state === 'resolved' ? e.score : null }))];
}

export function leaderboardCsv(rows: Leaderboard['rows']): string {
  return stringify([
    ['rank', 'name', 'run', 'state', 'score', 'resolved_s', 'hints', 'integrity_flags'],
    ...rows.map((r) => [r.rank ?? '', r.name, r.runId ?? '', r.state, r.score ?? '', r.resolvedAtMs === null ? '' : (r.resolvedAtMs / 1000).toFixed(2), r.hintsUsed ?? '', r.integrityFlags]),
  ]);
}
