/**
 * The persisted state of one scenario run, and its projection to the API's RunStatus.
 * Times are wall-clock epoch ms so the run's clock survives a server restart intact.
 */
import { scoreRun, type CompiledScenario } from '@pudu/engine';
import type { RunState, RunStatus } from '@pudu/schema';
import type { RunGovernance } from '../policy/enforce.ts';

export interface FaultProgress {
  state: 'pending' | 'active' | 'reverted' | 'failed';
  error: string | null;
  /** Failed apply attempts so far; the run fails after FAULT_APPLY_ATTEMPTS. */
  attempts?: number;
}

export interface ObjectiveProgress {
  passing: boolean;
  detail: string;
  checkedAt: string | null;
}

export interface RunDoc {
  id: string;
  state: RunState;
  createdAt: string;
  file: string;
  yaml: string;
  compiled: CompiledScenario;
  keepFleet: boolean;
  fleetId: string | null;
  startedAtMs: number | null;
  endedAtMs: number | null;
  resolvedAtMs: number | null;
  alertsFired: string[];
  /** Keyed `<faultId>@<vm>`. */
  faults: Record<string, FaultProgress>;
  objectives: Record<string, ObjectiveProgress>;
  hintsUsed: number;
  /** Some objective failed after every fault had struck: only then can passing objectives mean a fix. */
  incidentSeen?: boolean;
  error: string | null;
  /** Set once faults are reverted and the fleet destroyed (or kept) after the run ended. */
  tornDown: boolean;
  createdBy: string;
  /** The policy's decision at run start: environment, experiment, whose permissions (absent on runs from before policies). */
  governance?: RunGovernance;
}

export const faultKey = (f: { id: string; vm: string }): string => `${f.id}@${f.vm}`;

/** Milliseconds on the run's clock: from start to now, or to its end. */
export function elapsedOf(doc: RunDoc, nowMs: number): number {
  if (doc.startedAtMs === null) return 0;
  return Math.max(0, (doc.endedAtMs ?? nowMs) - doc.startedAtMs);
}

/** The score as it stands: final once resolved, else "if resolved now". */
export function scoreOf(doc: RunDoc, nowMs: number): ReturnType<typeof scoreRun> {
  return scoreRun({ scoring: doc.compiled.scoring, resolvedAtMs: doc.resolvedAtMs ?? elapsedOf(doc, nowMs), hintsTaken: doc.hintsUsed });
}

/** Projects the stored document to the API shape. */
export function toRunStatus(doc: RunDoc, vms: { name: string; index: number; guestIp: string; hostLink: string }[], nowMs = Date.now()): RunStatus {
  const c = doc.compiled;
  const s = scoreOf(doc, nowMs);
  const elapsedMs = elapsedOf(doc, nowMs);
  return {
    id: doc.id,
    scenarioId: c.id,
    title: c.title,
    difficulty: c.difficulty,
    state: doc.state,
    createdAt: doc.createdAt,
    startedAt: doc.startedAtMs === null ? null : new Date(doc.startedAtMs).toISOString(),
    endedAt: doc.endedAtMs === null ? null : new Date(doc.endedAtMs).toISOString(),
    elapsedMs,
    score: doc.state === 'resolved' ? s.score : doc.state === 'running' ? s.score : doc.state === 'provisioning' ? null : 0,
    description: c.description,
    symptoms: c.symptoms,
    seed: c.seed,
    fleetId: doc.fleetId,
    keepFleet: doc.keepFleet,
    timeLimitMs: c.timeLimitMs,
    resolvedAtMs: doc.resolvedAtMs,
    error: doc.error,
    alerts: c.alerts.map((a) => ({ name: a.name, severity: a.severity, message: a.message, firedAtMs: a.firedAtMs, fired: doc.alertsFired.includes(a.name) })),
    objectives: c.objectives.map((o) => {
      const p = doc.objectives[o.id];
      return { id: o.id, description: o.description, passing: p?.passing ?? false, detail: p?.detail ?? 'not evaluated yet', checkedAt: p?.checkedAt ?? null };
    }),
    faults: c.faults.map((f) => {
      const p = doc.faults[faultKey(f)];
      return { id: f.id, type: f.type, vm: f.vm, atMs: f.atMs, durationMs: f.durationMs, state: p?.state ?? 'pending', error: p?.error ?? null };
    }),
    vms,
    hintsUsed: doc.hintsUsed,
    hintsTotal: c.hints.length,
    objectivesPassing: c.objectives.filter((o) => doc.objectives[o.id]?.passing).length,
    objectivesTotal: c.objectives.length,
    hints: c.hints.slice(0, doc.hintsUsed).map((h) => h.text),
    scoreDetail: { score: s.score, base: s.base, timePenalty: s.timePenalty, hintPenalty: s.hintPenalty },
    scoring: { ...c.scoring },
    environment: doc.governance?.environment ?? 'training',
    experimentId: doc.governance?.experimentId ?? null,
    charter: c.charter ?? null,
  };
}
