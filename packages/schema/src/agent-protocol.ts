/**
 * The wire protocol between the Pudu server and the in-VM pudu-agent.
 * Kept exactly to the seed's curl examples: `POST /fault/start {"id","type","params":{…,"duration"}}`.
 * The agent validates fault params (fault-params.ts) *before* it changes anything in the guest.
 */
import { z } from 'zod';

import { FAULT_TYPES } from './fault-params.ts';

export const AGENT_FAULT_STATES = ['active', 'reverted', 'expired', 'fixed-by-trainee', 'failed'] as const;
export type AgentFaultState = (typeof AGENT_FAULT_STATES)[number];

/** Why a fault left `active`: who or what ended it. */
export const AGENT_FAULT_END_REASONS = ['stop', 'ttl', 'deadman', 'shutdown', 'recovered', 'trainee', 'error'] as const;
export type AgentFaultEndReason = (typeof AGENT_FAULT_END_REASONS)[number];

const faultId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, { message: 'expected an id of letters, digits, "_", "." or "-"' });

/** `POST /fault/start` body; params are checked per type with AGENT_FAULT_PARAM_SCHEMAS (fault-params.ts). */
export const AgentFaultStartRequestSchema = z.strictObject({
  id: faultId,
  type: z.enum(FAULT_TYPES),
  params: z.record(z.string(), z.unknown()).default({}),
});
export type AgentFaultStartRequest = z.input<typeof AgentFaultStartRequestSchema>;

export const AgentFaultStopRequestSchema = z.strictObject({ id: faultId });
export type AgentFaultStopRequest = z.infer<typeof AgentFaultStopRequestSchema>;

export const AgentFaultRecordSchema = z.object({
  id: z.string(),
  type: z.enum(FAULT_TYPES),
  params: z.record(z.string(), z.unknown()),
  state: z.enum(AGENT_FAULT_STATES),
  reason: z.enum(AGENT_FAULT_END_REASONS).optional(),
  error: z.string().optional(),
  mechanism: z.string().optional(),
  started_at: z.string(),
  expires_at: z.string(),
  ended_at: z.string().optional(),
});
export type AgentFaultRecord = z.infer<typeof AgentFaultRecordSchema>;

/** `POST /fault/plan` (same body as start): the fault could be applied and reverted here; nothing was changed. */
export const AgentFaultPlanSchema = z.object({
  id: z.string(),
  type: z.enum(FAULT_TYPES),
  /** How long it would live (its duration, or the agent's maximum). */
  ttl_ms: z.number(),
  /** What was checked: the guest's state, the programs and files apply and revert need. */
  verified: z.array(z.string()),
});
export type AgentFaultPlan = z.infer<typeof AgentFaultPlanSchema>;

export const AgentFaultListResponseSchema = z.object({ faults: z.array(AgentFaultRecordSchema) });
export type AgentFaultListResponse = z.infer<typeof AgentFaultListResponseSchema>;

export const AgentHealthResponseSchema = z.object({ status: z.literal('ok'), version: z.string(), uptime_s: z.number() });
export type AgentHealthResponse = z.infer<typeof AgentHealthResponseSchema>;

export const AgentMetricsResponseSchema = z.object({
  cpu_pct: z.number(),
  mem_used_pct: z.number(),
  mem_used_mb: z.number(),
  mem_total_mb: z.number(),
  disk_used_pct: z.number(),
  disk_free_mb: z.number(),
  disk_total_mb: z.number(),
  load_avg_1: z.number(),
  cpus: z.number(),
  source: z.object({ cpu: z.string(), memory: z.string() }),
  sampled_at: z.string(),
});
export type AgentMetricsResponse = z.infer<typeof AgentMetricsResponseSchema>;

export const AgentServiceStateSchema = z.object({
  name: z.string(),
  active: z.string(),
  sub: z.string(),
  load: z.string(),
  /** How long the unit has been active without a restart (systemd's ActiveEnterTimestampMonotonic); absent while inactive. */
  active_for_ms: z.number().optional(),
  /** Automatic restarts systemd made (NRestarts). */
  restarts: z.number().optional(),
});
export const AgentServicesResponseSchema = z.object({ services: z.array(AgentServiceStateSchema) });
export type AgentServicesResponse = z.infer<typeof AgentServicesResponseSchema>;

export const AgentHeartbeatResponseSchema = z.object({ status: z.literal('ok'), deadman_ms: z.number(), active_faults: z.number() });
export type AgentHeartbeatResponse = z.infer<typeof AgentHeartbeatResponseSchema>;

const historyFile = z.string().regex(/^\/[^\0]*[^/]$/, { message: 'expected an absolute file path' });
const historyLine = z.string().min(1).max(4096).regex(/^[^\n\r]*$/, { message: 'expected one line' });

/**
 * `POST /history`: the VM's past, written once before the run (history-spec.ts). The agent
 * renders Pudu's ordinary history (when `defaults`) from `seed` and its own clocks, the dated
 * `records` (time tokens rendered at `ago_ms` before now), the shell history, and keeps
 * `on_fault` until that fault is first applied: its lines are then written with that time.
 */
export const AgentHistoryRequestSchema = z.strictObject({
  seed: z.int().min(0).max(2 ** 32 - 1),
  defaults: z.boolean().default(true),
  records: z.array(z.strictObject({ file: historyFile, line: historyLine, ago_ms: z.number().min(0) })).max(1000).default([]),
  shell: z.array(historyLine).max(1000).default([]),
  on_fault: z.record(faultId, z.array(z.strictObject({ file: historyFile, line: historyLine })).max(100)).default({}),
});
export type AgentHistoryRequest = z.input<typeof AgentHistoryRequestSchema>;
/** A request with every field present (what the server builds). */
export type AgentHistoryPlan = z.output<typeof AgentHistoryRequestSchema>;

export const AgentHistoryResponseSchema = z.object({
  /** False when an earlier request already wrote this VM's history (the call is idempotent). */
  written: z.boolean(),
  /** When the VM booted, as its own clocks say (now minus its uptime). */
  boot_time: z.string(),
  files: z.array(z.string()),
  /** Faults whose records still wait for them to strike. */
  pending_faults: z.number(),
});
export type AgentHistoryResponse = z.infer<typeof AgentHistoryResponseSchema>;

/** Every agent error is the API's problem+json (RFC 9457) with a shared code (errors.ts). */
export { ProblemSchema as AgentErrorBodySchema, type Problem as AgentErrorBody } from './api.ts';

/** Default fault time-to-live when a request gives no `duration`: nothing stays forever. */
export const AGENT_DEFAULT_MAX_TTL_MS = 30 * 60_000;
export const AGENT_DEFAULT_PORT = 7777;

/**
 * Request signing (server → agent). The server holds an Ed25519 private key per fleet; the
 * guest holds only its public key, so nothing readable in the VM can mint a request. Every
 * request but `GET /health` carries the time, a fresh nonce and a signature over
 * {@link agentRequestSigningText}; the agent refuses a stale time (± window), a nonce it has
 * seen, and a signature for another VM (the audience is `<fleet>/<vm>`).
 */
export const AGENT_SIG_HEADERS = {
  time: 'x-pudu-time',
  nonce: 'x-pudu-nonce',
  signature: 'x-pudu-signature',
  /** Reply: the agent's identity (base64url JSON of {@link AgentIdentity}). */
  identity: 'x-pudu-agent',
  /** Reply: Ed25519 signature by the instance key over {@link agentReplySigningText}. */
  replySignature: 'x-pudu-agent-signature',
} as const;

/** How far a request's time may be from the agent's clock. */
export const AGENT_SIG_WINDOW_MS = 30_000;

/** The exact bytes the server signs for one request. */
export function agentRequestSigningText(r: { method: string; path: string; audience: string; timeMs: number; nonce: string; bodySha256Hex: string }): string {
  return ['pudu-agent-request v1', r.method.toUpperCase(), r.path, r.audience, String(r.timeMs), r.nonce, r.bodySha256Hex].join('\n');
}

/** The exact bytes the agent signs for one reply: bound to the request's nonce, the status, who answers and the body. */
export function agentReplySigningText(r: { nonce: string; status: number; identityB64: string; bodySha256Hex: string }): string {
  return ['pudu-agent-reply v1', r.nonce, String(r.status), r.identityB64, r.bodySha256Hex].join('\n');
}

/**
 * Who answered: every reply carries it. A new `instance_id` means a new agent process (its
 * key pair lives only in that process's memory); a new `boot_id` a rebooted VM. `journal`
 * says what the agent found at start: `new` (first start), `intact`, or `lost` (a journal
 * file existed but held no valid record: someone emptied or corrupted it).
 */
export const AgentIdentitySchema = z.object({
  instance_id: z.string(),
  /** The instance's Ed25519 public key (raw 32 bytes, base64url); instance_id is derived from it. */
  key: z.string(),
  boot_id: z.string(),
  started_at: z.string(),
  uptime_ms: z.number(),
  journal: z.enum(['new', 'intact', 'lost']),
  /** Faults the agent reverted at start because a previous instance left them half-applied or expired. */
  recovered: z.number(),
  /** Faults a previous instance left applied that this one kept (their effect still there, window not over). */
  adopted: z.number().default(0),
  /** Requests this instance refused (bad, stale or replayed signature, or a disallowed source). */
  refused: z.number().default(0),
});
export type AgentIdentity = z.infer<typeof AgentIdentitySchema>;

/** `GET /log`: the agent's own log lines (kept off the guest's journal, read by the server). */
export const AgentLogResponseSchema = z.object({
  entries: z.array(z.object({ seq: z.number(), time: z.string(), msg: z.string(), fields: z.record(z.string(), z.unknown()) })),
  next: z.number(),
});
export type AgentLogResponse = z.infer<typeof AgentLogResponseSchema>;
