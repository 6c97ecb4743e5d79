/**
 * The one `for:` window: a condition counts only once it has held without a break for a
 * while. Objectives (resolution), state-driven alerts (firing), penalties and experiments'
 * steady_state/abort_when all keep a `since` (epoch ms the condition last started holding,
 * null while it does not) and ask whether it has held long enough.
 */

/** The new `since` after one observation at `atMs`: kept while it holds, reset when it breaks. */
export function sustain(since: number | null | undefined, holds: boolean, atMs: number): number | null {
  if (!holds) return null;
  return since ?? atMs;
}

/** How long the condition has held at `atMs` (0 when it does not hold). */
export function heldFor(since: number | null | undefined, atMs: number): number {
  return since === null || since === undefined ? 0 : Math.max(0, atMs - since);
}

/** True once the condition has held for `forMs` (a zero window: as soon as it holds). */
export function sustained(since: number | null | undefined, forMs: number, atMs: number): boolean {
  return since !== null && since !== undefined && atMs - since >= forMs;
}
