/**
 * The persisted document of one scenario run (validated when read back), and its
 * projection to the API's RunStatus. Times are wall-clock epoch ms so the run's clock
 * survives a server restart intact.
 */
import { z } from 'zod';
import { CompiledScenarioSchema, elapsedOf, faultKey, RunProgressSchema, scoreOfProgress, type RunProgress, type ScoreBreakdown } from '@pudu/engine';
import { PuduError, type RunStatus, type TrafficReport } from '@pudu/schema';
import type { RunGovernance } from '../policy/enforce.ts';

/** The policy's decision at run start, as stored (checked against policy/enforce.ts's type). */
const RunGovernanceSchema = z.object({
  environment: z.string(),
  experimentId: z.string().nullable(),
  actor: z.object({ role: z.string(), groups: z.array(z.string()), names: z.array(z.string()) }),
  outcome: z.enum(['allow', 'approval']),
  reasons: z.array(z.string()),
  policySha256: z.string(),
  decidedAt: z.string(),
}) satisfies z.ZodType<RunGovernance>;

/** A run as stored: what it was started with, and its progress (the run loop's state). */
export const RunDocSchema = RunProgressSchema.extend({
  id: z.string(),
  createdAt: z.string(),
  file: z.string(),
  yaml: z.string(),
  compiled: CompiledScenarioSchema,
  keepFleet: z.boolean(),
  createdBy: z.string(),
  /** The policy's decision at run start: environment, experiment, whose permissions (absent on runs from before policies). */
  governance: RunGovernanceSchema.optional(),
});
export type RunDoc = z.infer<typeof RunDocSchema>;

/** The progress part of a document (what `step` reads and writes). */
export function progressOf(doc: RunDoc): RunProgress {
  const { id: _id, createdAt: _c, file: _f, yaml: _y, compiled: _s, keepFleet: _k, createdBy: _b, governance: _g, ...progress } = doc;
  return progress;
}

/** A document read back from the store: validated, never cast; a broken one is named, not used. */
export function parseRunDoc(id: string, raw: unknown): RunDoc {
  const r = RunDocSchema.safeParse(raw);
  if (r.success) return r.data;
  const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new PuduError('INTERNAL', `run ${id}: its stored document is not valid (${issues})`);
}

/** The score as it stands: final once resolved, else "if resolved now". */
export function scoreOf(doc: RunDoc, nowMs: number): ScoreBreakdown {
  return scoreOfProgress(doc.compiled, progressOf(doc), nowMs);
}

/** Objectives are "waiting" until every fault has struck: passing before the incident means nothing. */
function struck(doc: RunDoc): boolean {
  return doc.state !== 'provisioning' && doc.state !== 'queued' && doc.state !== 'preflight' && Object.values(doc.faults).every((f) => f.state === 'active' || f.state === 'reverted');
}

/** Projects the stored document to the API shape. */
export function toRunStatus(doc: RunDoc, vms: { name: string; index: number; guestIp: string; hostLink: string }[], nowMs = Date.now(), traffic: TrafficReport | null = null): RunStatus {
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
    score: doc.state === 'resolved' ? s.score : doc.state === 'running' ? s.score : doc.state === 'provisioning' || doc.state === 'queued' || doc.state === 'preflight' ? null : 0,
    description: c.description,
    symptoms: c.symptoms,
    seed: c.seed,
    fleetId: doc.fleetId,
    keepFleet: doc.keepFleet,
    timeLimitMs: c.timeLimitMs,
    resolvedAtMs: doc.resolvedAtMs,
    error: doc.error,
    alerts: c.alerts.map((a) => {
      const fired = doc.alertsFired.includes(a.name);
      return { name: a.name, severity: a.severity, message: a.message, firedAtMs: a.firedAtMs, fired, firing: a.when ? doc.alerts[a.name]?.firing === true : fired };
    }),
    objectives: c.objectives.map((o) => {
      const p = doc.objectives[o.id];
      const state = !p || !struck(doc) ? 'waiting' as const : p.passing ? 'passing' as const : 'failing' as const;
      return {
        id: o.id, description: o.description, passing: state === 'passing', state, forMs: o.forMs,
        detail: p?.detail ?? 'waiting for the incident', ...(p?.staffDetail ? { staffDetail: p.staffDetail } : {}), checkedAt: p?.checkedAt ?? null,
      };
    }),
    faults: c.faults.map((f) => {
      const p = doc.faults[faultKey(f)];
      return { id: f.id, type: f.type, vm: f.vm, atMs: f.atMs, durationMs: f.durationMs, state: p?.state ?? 'pending', error: p?.error ?? null };
    }),
    vms,
    hintsUsed: doc.hintsUsed,
    hintsTotal: c.hints.length,
    objectivesPassing: struck(doc) ? c.objectives.filter((o) => doc.objectives[o.id]?.passing).length : 0,
    objectivesTotal: c.objectives.length,
    hints: c.hints.slice(0, doc.hintsUsed).map((h) => h.text),
    scoreDetail: { score: s.score, base: s.base, timePenalty: s.timePenalty, hintPenalty: s.hintPenalty, actionPenalty: s.actionPenalty, rootCausePenalty: s.rootCausePenalty },
    penalties: doc.penalties.flatMap((id) => c.penalties.filter((p) => p.id === id).map((p) => ({ id, description: p.description, points: p.points, fail: p.fail }))),
    rootCause: c.rootCause
      ? { question: c.rootCause.question, choices: c.rootCause.choices, answered: doc.rootCause !== null, correct: doc.rootCause?.correct ?? null, points: c.rootCause.points }
      : null,
    reviewUntil: doc.reviewUntilMs === null || doc.tornDown ? null : new Date(doc.reviewUntilMs).toISOString(),
    traffic,
    scoring: { ...c.scoring },
    environment: doc.governance?.environment ?? 'training',
    experimentId: doc.governance?.experimentId ?? null,
    charter: c.charter ?? null,
    integrity: doc.integrity,
    mode: c.mode,
    verdict: doc.verdict,
  };
}
