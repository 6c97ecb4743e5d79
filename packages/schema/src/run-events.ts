/**
 * The data of each run event kind: what the engine and the server publish, and what the web
 * UI, reports and webhooks may read. `RunEvent.data` stays an open record on the wire (a
 * kind added later still reaches an old reader); {@link parseRunEvent} gives a reader the
 * typed data of a kind it knows, and the publishers are typed from this table
 * ({@link RunEventDataInput}), so a key cannot be spelled two ways.
 * Objects are loose: a publisher may add a field before a reader uses it.
 */
import { z } from 'zod';
import { CapacitySchema, type RunEvent } from './api.ts';
import { RunVerdictSchema } from './guardrail-spec.ts';

const str = z.string();
const num = z.number();
const fault = { id: str, type: str, vm: str };
const terminal = { session: str, vm: str, by: str, role: str };
/** Every run end: how long it ran, and why when it was not the trainee's fix. */
const runEnd = z.looseObject({ elapsedMs: num, error: str.optional(), verdict: RunVerdictSchema.optional() });
/** A ramp's step (1-based) of how many. */
const rampStep = { fault: str, step: num, steps: num };
/** Staff only: something happened that could let a score rest on what Pudu did not do (run-integrity.ts). */
const integrity = z.looseObject({ atMs: num, vm: str.optional(), detail: str.optional() });

export const RUN_EVENT_DATA = {
  'run.created': z.looseObject({ scenarioId: str, title: str, seed: num, by: str }),
  'run.queued': z.looseObject({ capacity: CapacitySchema }),
  'run.admitted': z.looseObject({}),
  'run.started': z.looseObject({ timeLimitMs: num }),
  'run.resumed': z.looseObject({ elapsedMs: num }),
  'run.resolved': runEnd.extend({
    resolvedAtMs: num, score: num, timePenalty: num, hintPenalty: num, actionPenalty: num,
    reviewUntilMs: num.optional(), rootCauseQuestion: str.optional(),
  }),
  'run.aborted': runEnd,
  'run.expired': runEnd,
  'run.failed': runEnd,
  'run.halted': runEnd,
  'run.preflight-failed': runEnd,
  'run.preflight': z.looseObject({ checks: z.array(str) }),
  'preflight.planned': z.looseObject({}),
  'preflight.passed': z.looseObject({}),
  'preflight.failed': z.looseObject({ problems: z.array(z.looseObject({ check: str, reason: str })) }),
  'guardrail.breached': z.looseObject({ guardrail: str, detail: str, action: str }),
  'guardrail.cleared': z.looseObject({ guardrail: str }),
  'ramp.breach': z.looseObject({ fault: str, step: num, why: str }),
  'ramp.step': z.looseObject({ ...rampStep, params: z.record(str, z.union([str, num])), vms: z.array(str) }),
  'ramp.held': z.looseObject(rampStep),
  'ramp.rolled-back': z.looseObject({ ...rampStep, params: z.record(str, z.union([str, num])) }),
  'experiment.held': z.looseObject({}),
  'experiment.refuted': z.looseObject({ check: str, passPct: num.nullable(), atMs: num, detail: str }),
  'fleet.provisioning': z.looseObject({ vms: z.array(str) }),
  'fleet.progress': z.looseObject({ message: str }),
  'fleet.ready': z.looseObject({ fleetId: str, bootMs: num.nullable(), replacement: z.boolean().optional(), vms: z.array(z.looseObject({ name: str, index: num, guestIp: str })) }),
  'fleet.adopted': z.looseObject({ fleetId: str, replaced: z.array(str) }),
  'fleet.lost': z.looseObject({ fleetId: str.nullable(), why: str }),
  'fleet.destroyed': z.looseObject({ fleetId: str }),
  'fleet.destroy-failed': z.looseObject({ error: str }),
  'fault.applied': z.looseObject(fault),
  'fault.skipped': z.looseObject({ id: str, vm: str, why: str }),
  'fault.denied': z.looseObject({ ...fault, rule: str.nullable(), reason: str }),
  'fault.retrying': z.looseObject({ ...fault, attempt: num, error: str }),
  'fault.failed': z.looseObject({ ...fault, error: str }),
  'fault.reverted': z.looseObject({ ...fault, why: str }),
  'fault.revert-failed': z.looseObject({ ...fault, error: str }),
  'fault.lost': z.looseObject({ id: str, vm: str, why: str }),
  'alert.fired': z.looseObject({ name: str, severity: str, message: str, atMs: num, detail: str.optional() }),
  'alert.resolved': z.looseObject({ name: str, severity: str, atMs: num }),
  'objective.passed': z.looseObject({ id: str, detail: str, staffDetail: str.optional() }),
  'objective.failing': z.looseObject({ id: str, detail: str, staffDetail: str.optional() }),
  'incident.seen': z.looseObject({ objectives: z.array(str) }),
  'hint.taken': z.looseObject({ index: z.number().int().min(0), hintsUsed: z.number().int(), penalty: num }),
  'penalty.charged': z.looseObject({ id: str, description: str, points: num, fail: z.boolean(), detail: str }),
  'root-cause.answered': z.looseObject({ correct: z.boolean(), points: num }),
  'review.ended': z.looseObject({ why: str }),
  'trainee.terminal': z.looseObject({ vm: str, elapsedMs: num, first: z.boolean() }),
  'terminal.opened': z.looseObject({ ...terminal, recorded: z.boolean() }),
  'terminal.watched': z.looseObject(terminal),
  'terminal.keyboard-taken': z.looseObject(terminal),
  'terminal.keyboard-released': z.looseObject(terminal),
  'terminal.closed': z.looseObject({ session: str, vm: str }),
  'integrity.agent_restarted': integrity,
  'integrity.agent_unreachable': integrity,
  'integrity.reply_unauthenticated': integrity,
  'integrity.requests_refused': integrity,
  'integrity.claim_contradicted': integrity,
  'integrity.fault_lost': integrity,
  'integrity.fault_reinjected': integrity,
} as const satisfies Record<string, z.ZodType<Record<string, unknown>>>;

export type RunEventKind = keyof typeof RUN_EVENT_DATA;
export type RunEventData<K extends RunEventKind> = z.output<(typeof RUN_EVENT_DATA)[K]>;
/**
 * What a publisher of `kind` must pass: the table's shape for a known kind (a literal or a
 * union of literals such as `run.${state}`), any record for a kind the table does not list yet.
 */
export type RunEventDataInput<K extends string> = K extends RunEventKind ? z.input<(typeof RUN_EVENT_DATA)[K]> : Record<string, unknown>;

/** A run event of a kind this version knows, its data typed and checked. */
export type KnownRunEvent = { [K in RunEventKind]: Omit<RunEvent, 'kind' | 'data'> & { kind: K; data: RunEventData<K> } }[RunEventKind];

export const RUN_EVENT_KINDS = Object.keys(RUN_EVENT_DATA) as RunEventKind[];

export function isRunEventKind(kind: string): kind is RunEventKind {
  return Object.hasOwn(RUN_EVENT_DATA, kind);
}

/** The event with its data checked against its kind's schema; null for a kind not in the table or data off it. */
export function parseRunEvent(e: RunEvent): KnownRunEvent | null {
  if (!isRunEventKind(e.kind)) return null;
  const data = RUN_EVENT_DATA[e.kind].safeParse(e.data);
  return data.success ? ({ ...e, data: data.data } as KnownRunEvent) : null;
}

