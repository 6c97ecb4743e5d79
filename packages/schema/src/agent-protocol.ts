/**
 * The wire protocol between the Pudu server and the in-VM pudu-agent.
 * Kept exactly to the seed's curl examples: `POST /fault/start {"id","type","params":{…,"duration"}}`.
 * The agent validates fault params here *before* it changes anything in the guest.
 */
import { z } from 'zod';

import { FAULT_TYPES, configParams, dbConnectionsParams } from './scenario-spec.ts';
import { parseDurationMs, parsePercent, parseRateBytesPerSecond } from './units.ts';

export const AGENT_FAULT_STATES = ['active', 'reverted', 'expired', 'fixed-by-trainee', 'failed'] as const;
export type AgentFaultState = (typeof AGENT_FAULT_STATES)[number];

/** Why a fault left `active`: who or what ended it. */
export const AGENT_FAULT_END_REASONS = ['stop', 'ttl', 'deadman', 'shutdown', 'recovered', 'trainee', 'error'] as const;
export type AgentFaultEndReason = (typeof AGENT_FAULT_END_REASONS)[number];

/** A percentage as "80%" or a bare number; null when malformed. */
export function parseAgentPercent(v: string | number): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 && v <= 100 ? v : null;
  return parsePercent(v) ?? parsePercent(`${v}%`);
}

const duration = z.string().refine((s) => parseDurationMs(s) !== null, {
  message: 'expected a duration like "500ms", "30s", "10m" or "1h"',
});
const positiveDuration = duration.refine((s) => (parseDurationMs(s) ?? 0) > 0, { message: 'must be longer than 0' });
const percent = (min: number, max: number) =>
  z.union([z.string(), z.number()]).refine(
    (v) => {
      const p = parseAgentPercent(v);
      return p !== null && p >= min && p <= max;
    },
    { message: `expected a percentage between ${min}% and ${max}% like "80%"` },
  );
const hostname = z.string().regex(/^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/, {
  message: 'expected a DNS name like "db.internal"',
});
const ipv4 = z.string().regex(/^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)$/, { message: 'expected an IPv4 address' });
const ipv6 = z.string().regex(/^[0-9A-Fa-f:]+$/).refine((s) => s.includes(':'), { message: 'expected an IPv6 address' });
const unitName = z.string().regex(/^[A-Za-z0-9@_.:-]{1,128}$/, { message: 'expected a systemd unit name like "nginx"' });

const common = { duration: positiveDuration.optional() };

export const AgentCpuParamsSchema = z.strictObject({ load: percent(1, 100), ...common });
export const AgentMemoryParamsSchema = z.strictObject({
  rate: z.string().refine((s) => (parseRateBytesPerSecond(s) ?? 0) > 0, { message: 'expected a rate like "30mb/min"' }),
  ceiling: percent(1, 95).default('85%'),
  ...common,
});
export const AgentDiskParamsSchema = z.strictObject({
  path: z.string().startsWith('/', { message: 'expected an absolute path' }).default('/'),
  ...common,
});
export const AgentNetworkParamsSchema = z
  .strictObject({
    action: z.enum(['delay', 'loss', 'corrupt']),
    latency: positiveDuration.optional(),
    jitter: duration.optional(),
    packet_loss: percent(0.01, 100).optional(),
    corrupt: percent(0.01, 100).optional(),
    interface: z.string().regex(/^[A-Za-z0-9_.@-]{1,15}$/).optional(),
    ...common,
  })
  .superRefine((p, ctx) => {
    if (p.action === 'delay' && p.latency === undefined) ctx.addIssue({ code: 'custom', path: ['latency'], message: 'required for action "delay"' });
    if (p.action === 'loss' && p.packet_loss === undefined) ctx.addIssue({ code: 'custom', path: ['packet_loss'], message: 'required for action "loss"' });
    if (p.action === 'corrupt' && p.corrupt === undefined) ctx.addIssue({ code: 'custom', path: ['corrupt'], message: 'required for action "corrupt"' });
    if (p.jitter !== undefined && p.latency !== undefined && (parseDurationMs(p.jitter) ?? 0) > (parseDurationMs(p.latency) ?? 0)) {
      ctx.addIssue({ code: 'custom', path: ['jitter'], message: 'must not exceed latency' });
    }
  });
export const AgentProcessParamsSchema = z.strictObject({
  service: unitName,
  action: z.enum(['stop', 'restart', 'degrade']),
  ...common,
});
export const AgentDnsParamsSchema = z.strictObject({ record: hostname, resolve_to: z.union([ipv4, ipv6]), ...common });
export const AgentDbConnectionsParamsSchema = dbConnectionsParams.extend(common);
export const AgentConfigParamsSchema = configParams.extend(common);

export const AGENT_FAULT_PARAM_SCHEMAS = {
  cpu: AgentCpuParamsSchema,
  memory: AgentMemoryParamsSchema,
  disk: AgentDiskParamsSchema,
  network: AgentNetworkParamsSchema,
  process: AgentProcessParamsSchema,
  dns: AgentDnsParamsSchema,
  'db-connections': AgentDbConnectionsParamsSchema,
  config: AgentConfigParamsSchema,
} as const;

export type AgentCpuParams = z.output<typeof AgentCpuParamsSchema>;
export type AgentMemoryParams = z.output<typeof AgentMemoryParamsSchema>;
export type AgentDiskParams = z.output<typeof AgentDiskParamsSchema>;
export type AgentNetworkParams = z.output<typeof AgentNetworkParamsSchema>;
export type AgentProcessParams = z.output<typeof AgentProcessParamsSchema>;
export type AgentDnsParams = z.output<typeof AgentDnsParamsSchema>;
export type AgentDbConnectionsParams = z.output<typeof AgentDbConnectionsParamsSchema>;
export type AgentConfigParams = z.output<typeof AgentConfigParamsSchema>;
export interface AgentFaultParamsByType {
  cpu: AgentCpuParams;
  memory: AgentMemoryParams;
  disk: AgentDiskParams;
  network: AgentNetworkParams;
  process: AgentProcessParams;
  dns: AgentDnsParams;
  'db-connections': AgentDbConnectionsParams;
  config: AgentConfigParams;
}

const faultId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, { message: 'expected an id of letters, digits, "_", "." or "-"' });

/** `POST /fault/start` body; params are checked per type with {@link FAULT_PARAM_SCHEMAS}. */
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
});
export const AgentServicesResponseSchema = z.object({ services: z.array(AgentServiceStateSchema) });
export type AgentServicesResponse = z.infer<typeof AgentServicesResponseSchema>;

export const AgentHeartbeatResponseSchema = z.object({ status: z.literal('ok'), deadman_ms: z.number(), active_faults: z.number() });
export type AgentHeartbeatResponse = z.infer<typeof AgentHeartbeatResponseSchema>;

/** Every agent error: `{"error": {"code", "message", "details"?}}`. */
export const AgentErrorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
export type AgentErrorBody = z.infer<typeof AgentErrorBodySchema>;

/** Default fault time-to-live when a request gives no `duration`: nothing stays forever. */
export const AGENT_DEFAULT_MAX_TTL_MS = 30 * 60_000;
export const AGENT_DEFAULT_PORT = 7777;
