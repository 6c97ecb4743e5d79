/**
 * Faults held past their window (the PuduFaultHeldPastWindow alert): a fault still `active`
 * in a run whose fleet still exists, more than a grace period after its window ended. A
 * revert that keeps failing, an agent that stopped answering: the guest's own TTL is the
 * next backstop, and an operator should know before it has to act.
 */
import { faultKey } from '@pudu/engine';
import type { RunDoc } from './runner/run-doc.ts';

/** Time a revert may take (agent round trip, a slow TCG guest) before a held fault counts as overdue. */
export const OVERDUE_GRACE_MS = 60_000;

/** How many faults of `docs` are overdue at `nowMs`. */
export function countOverdueFaults(docs: RunDoc[], nowMs: number, graceMs = OVERDUE_GRACE_MS): number {
  let n = 0;
  for (const d of docs) {
    if (d.fleetId === null || d.startedAtMs === null) continue;
    for (const f of d.compiled.faults) {
      if (d.faults[faultKey(f)]?.state !== 'active') continue;
      // A fault whose window is open-ended ends with the run.
      const endMs = f.durationMs === null ? d.endedAtMs : d.startedAtMs + f.atMs + f.durationMs;
      if (endMs !== null && nowMs > endMs + graceMs) n++;
    }
  }
  return n;
}
