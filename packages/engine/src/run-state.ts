/**
 * The run loop's vocabulary: what a run remembers (RunProgress, stored with the run and
 * validated when read back), what the I/O shell tells the step (observations) and what the
 * step asks the shell to do (actions). `step` in run-step.ts is the only place that changes
 * a RunProgress; docs: /work/team/notes/runloop-api.md and docs/ARCHITECTURE.md.
 */
import { z } from 'zod';
import { RunStateSchema, type AgentFaultEndReason, type AgentFaultState, type Capacity, type ErrorCode, type RunState } from '@pudu/schema';
import type { CompiledFault, CompiledScenario } from './compiled-scenario.ts';
import { newSafetyProgress, SafetyProgressFields, type PreflightProblem, type HostSample } from './run-safety-state.ts';

export const FAULT_PROGRESS_STATES = ['pending', 'active', 'reverted', 'failed'] as const;

export const FaultProgressSchema = z.object({
  state: z.enum(FAULT_PROGRESS_STATES),
  error: z.string().nullable(),
  /** Failed apply attempts so far; the run fails after FAULT_APPLY_ATTEMPTS. */
  attempts: z.number().int().min(0).default(0),
  /** Epoch ms before which a failed apply (or revert) is not tried again. */
  retryAtMs: z.number().nullable().default(null),
  /** Lost (its agent ended it for its own reasons) and being injected again. */
  reinjecting: z.boolean().default(false),
  /** Reverted to be applied again with its ramp's next (or previous) step's params. */
  restep: z.boolean().default(false),
});
export type FaultProgress = z.infer<typeof FaultProgressSchema>;

export const ObjectiveProgressSchema = z.object({
  passing: z.boolean(),
  /** What the trainee sees: the symptom ("api-0: GET /healthz → 503"). */
  detail: z.string(),
  /** What staff see besides: the mechanism, when the check knows it. */
  staffDetail: z.string().default(''),
  checkedAt: z.string().nullable(),
  /** Epoch ms since which it has passed without a break (its `for:` window), null while failing. */
  since: z.number().nullable().default(null),
});
export type ObjectiveProgress = z.infer<typeof ObjectiveProgressSchema>;

/** Everything the run's rules decide on. Times are wall-clock epoch ms: they survive a restart. */
export const RunProgressSchema = z.object({
  state: RunStateSchema,
  fleetId: z.string().nullable(),
  startedAtMs: z.number().nullable(),
  endedAtMs: z.number().nullable(),
  /** Ms on the run's clock at which the fix was seen. */
  resolvedAtMs: z.number().nullable(),
  alertsFired: z.array(z.string()),
  /** Keyed `<faultId>@<vm>` (faultKey). */
  faults: z.record(z.string(), FaultProgressSchema),
  objectives: z.record(z.string(), ObjectiveProgressSchema),
  hintsUsed: z.number().int().min(0),
  /** Some objective failed, every fault in place, in two rounds running: only then can passing objectives mean a fix. */
  incidentSeen: z.boolean().default(false),
  /** Objectives that failed in the last round with every fault in place. */
  failedLastRound: z.array(z.string()).default([]),
  /** State-driven alerts: failing since (their `for:` window) and whether they fire now. */
  alerts: z.record(z.string(), z.object({ since: z.number().nullable(), firing: z.boolean() })).default({}),
  /** Penalties charged so far (ids, in the order charged), and since when each one's check fails. */
  penalties: z.array(z.string()).default([]),
  penaltySince: z.record(z.string(), z.number().nullable()).default({}),
  /** The trainee's answer to the root-cause question, once given. */
  rootCause: z.object({ answer: z.union([z.number(), z.string()]), correct: z.boolean() }).nullable().default(null),
  /** A resolved run keeps its fleet for review until then (epoch ms); null: no review (or it ended). */
  reviewUntilMs: z.number().nullable().default(null),
  error: z.string().nullable(),
  /** Faults reverted and the fleet destroyed (or kept) after the run ended. */
  tornDown: z.boolean(),
  /** Faults whose revert (or discard) the teardown is waiting for; the fleet goes once it is empty. */
  reverting: z.array(z.string()).default([]),
  /** After a server restart: the agents must say which faults they still hold before anything else. */
  reconcile: z.boolean().default(false),
  lastEvalAtMs: z.number().default(0),
  lastHeartbeatAtMs: z.number().default(0),
  /** The agent instance (and boot) each VM's faults were applied through: a change is a restart. */
  agents: z.record(z.string(), z.object({ instanceId: z.string(), bootId: z.string(), refused: z.number().default(0) })).default({}),
  /** VMs whose agent is unreachable or unauthenticated right now (one event per change). */
  agentTrouble: z.record(z.string(), z.string()).default({}),
  /** Every integrity event of the run (agent restarted, fault lost, …): staff see them in the result. */
  integrity: z.array(z.object({ kind: z.string(), atMs: z.number(), vm: z.string().nullable(), detail: z.string() })).default([]),
  ...SafetyProgressFields,
});
export type RunProgress = z.infer<typeof RunProgressSchema>;

/** What the step reads besides the progress: the compiled scenario and the run's id. */
export interface RunPlan {
  runId: string;
  compiled: CompiledScenario;
}

/** An error as a wire reported it: a shared code (errors.ts) and a message for people. */
export interface ObservedError {
  code: ErrorCode;
  message: string;
}

/** One fault as the agent reports it (its own state and, once ended, why). */
export interface AgentFaultReport {
  /** The agent-side id, `<runId>.<faultId>` (agentFaultId). */
  id: string;
  state: AgentFaultState;
  reason?: AgentFaultEndReason;
}

/**
 * One VM's agent's answer: the faults it holds and their states, or why it could not say
 * (then it is taken to hold nothing). The agent's instance/boot ids belong here too.
 */
export interface AgentReport {
  vm: string;
  faults: AgentFaultReport[] | null;
  error?: ObservedError;
  /** Who answered (from the signed reply): a new instance id is a restarted or replaced agent. */
  identity?: { instanceId: string; bootId: string; journal: 'new' | 'intact' | 'lost'; recovered: number; refused?: number };
}

/** One check's result: the symptom for everyone and, when the check knows it, the mechanism for staff. */
export interface CheckOutcome {
  passing: boolean;
  detail: string;
  staffDetail?: string;
  /** The check could not tell (agent or VM did not answer): never enough to charge a penalty. */
  inconclusive?: boolean;
}

export type Observation =
  /** The clock moved: due alerts and faults, expiry, evaluation and heartbeat cadence. */
  | { kind: 'tick' }
  | { kind: 'fleet-ready'; fleetId: string }
  /** The host budget cannot take the fleet yet: the run waits in line (state `queued`). */
  | { kind: 'fleet-queued'; capacity: Capacity }
  /** The budget took the fleet: it is booting (state `provisioning` again). */
  | { kind: 'fleet-admitted' }
  /** After a server restart the fleet's running VMs were adopted; `replaced` were gone and booted afresh. */
  | { kind: 'fleet-adopted'; fleetId: string; replaced: string[] }
  /** No fleet (or no replacement fleet): the run fails with `error` as its reason. */
  | { kind: 'fleet-failed'; error: string }
  /** The run's VMs did not survive a server restart; a replacement is being booted. */
  | { kind: 'fleet-lost' }
  | { kind: 'fleet-destroyed' }
  | { kind: 'fleet-destroy-failed'; error: string }
  /** The server restarted with this run running. */
  | { kind: 'resumed' }
  | { kind: 'fault-applied'; key: string; identity?: AgentReport['identity'] }
  | { kind: 'fault-apply-failed'; key: string; error: ObservedError }
  /** The blast-radius policy, asked just before the apply, refused this fault (rule changed mid-run). */
  | { kind: 'fault-denied'; key: string; reason: string; rule: string | null }
  | { kind: 'fault-reverted'; key: string; why: string }
  | { kind: 'fault-revert-failed'; key: string; error: ObservedError }
  | { kind: 'fault-discarded'; key: string }
  /** What the agents hold, one report per VM asked. */
  | { kind: 'agent-faults'; reports: AgentReport[] }
  /** One evaluation round: every objective's result, seen at `atMs` (epoch). */
  | {
      kind: 'checks';
      atMs: number;
      results: Record<string, CheckOutcome>;
      /** Agents' claims the host's own view contradicts (sandbox: disk, processes). */
      contradictions?: { vm: string; objective: string; detail: string }[];
    }
  | { kind: 'hint-requested' }
  /** The trainee answers the root-cause question (a choice's index or free text). */
  | { kind: 'root-cause-answer'; answer: number | string }
  /** The trainee (or staff) ends the review: the fleet may go now. */
  | { kind: 'end-review' }
  | { kind: 'abort'; reason: string }
  /** Halt-all: end the run `halted`, reverting everything (a no-op on an ended run). */
  | { kind: 'halt'; reason: string }
  /** Pre-flight's answer: every agent healthy and authenticated, every fault planned; what did not hold. */
  | { kind: 'preflight-planned'; problems: PreflightProblem[] }
  /** The host and each VM's resource use (containment guardrails), sampled at `atMs`. */
  | { kind: 'host-sample'; atMs: number; sample: HostSample };

export type Action =
  /** Persisted with the progress before it is pushed to subscribers. */
  | { kind: 'publish'; event: string; data: Record<string, unknown> }
  /** Results come back as fault-applied / fault-apply-failed. */
  | { kind: 'apply-fault'; key: string; agentId: string; fault: CompiledFault; remainingMs: number | null }
  /** Results come back as fault-reverted / fault-revert-failed. */
  | { kind: 'revert-fault'; key: string; agentId: string; fault: CompiledFault; why: string }
  /** A failed apply may have half-happened: stop it, ignoring errors; comes back as fault-discarded. */
  | { kind: 'discard-fault'; key: string; agentId: string; fault: CompiledFault }
  /** Results come back as one agent-faults observation per VM. */
  | { kind: 'list-agent-faults'; vms: string[] }
  /** Run every objective's check; the results come back as a checks observation. */
  | { kind: 'evaluate' }
  /** Fire and forget: keeps the agents' dead-man switches from reverting. */
  | { kind: 'heartbeat' }
  /** Results come back as fleet-destroyed / fleet-destroy-failed. */
  | { kind: 'destroy-fleet' }
  /** The run reached an end state (metrics, audit). */
  | { kind: 'finished'; state: RunState }
  | { kind: 'hint'; index: number; text: string; penalty: number }
  /** The reply to a root-cause answer. */
  | { kind: 'answered'; correct: boolean; points: number }
  /** A request the run cannot honour in its state. */
  | { kind: 'refuse'; code: ErrorCode; message: string }
  /** Pre-flight: ask every agent who it is and plan every fault (nothing applied); the answer is preflight-planned. */
  | { kind: 'preflight'; vms: string[]; faults: { agentId: string; fault: CompiledFault }[] }
  /** Sample the host and the fleet's VMs for the containment guardrails; the answer is host-sample. */
  | { kind: 'sample-host' };

export interface StepResult {
  state: RunProgress;
  /** Carried out in order; the ones with results are awaited together and fed back as one batch. */
  actions: Action[];
  /** Something that must survive a restart changed: store it before carrying out the actions. */
  persist: boolean;
}

export const faultKey = (f: { id: string; vm: string }): string => `${f.id}@${f.vm}`;

/** The id under which a run's fault lives on the agent: unique across runs sharing nothing else. */
export const agentFaultId = (runId: string, faultId: string): string => `${runId}.${faultId}`;

/** The progress of a run that was just created: provisioning, every fault pending. */
export function newRunProgress(compiled: CompiledScenario): RunProgress {
  return {
    state: 'provisioning', fleetId: null, startedAtMs: null, endedAtMs: null, resolvedAtMs: null, alertsFired: [],
    faults: Object.fromEntries(compiled.faults.map((f) => [faultKey(f), { state: 'pending' as const, error: null, attempts: 0, retryAtMs: null, reinjecting: false, restep: false }])),
    objectives: {}, hintsUsed: 0, incidentSeen: false, failedLastRound: [], error: null, tornDown: false, reverting: [],
    alerts: {}, penalties: [], penaltySince: {}, rootCause: null, reviewUntilMs: null,
    reconcile: false, lastEvalAtMs: 0, lastHeartbeatAtMs: 0, agents: {}, agentTrouble: {}, integrity: [],
    ...newSafetyProgress(),
  };
}

/** Ms on the run's clock: from start to `nowMs`, or to its end. */
export function elapsedOf(p: Pick<RunProgress, 'startedAtMs' | 'endedAtMs'>, nowMs: number): number {
  if (p.startedAtMs === null) return 0;
  return Math.max(0, (p.endedAtMs ?? nowMs) - p.startedAtMs);
}

export const isLive = (p: Pick<RunProgress, 'state'>): boolean => p.state === 'running' || p.state === 'preflight' || p.state === 'provisioning' || p.state === 'queued';
