import {
  AgentErrorBodySchema,
  AgentFaultListResponseSchema,
  AgentFaultRecordSchema,
  AgentHealthResponseSchema,
  AgentHeartbeatResponseSchema,
  AgentMetricsResponseSchema,
  AgentServicesResponseSchema,
  PuduError,
  type AgentFaultListResponse,
  type AgentFaultRecord,
  type AgentFaultStartRequest,
  type AgentHealthResponse,
  type AgentHeartbeatResponse,
  type AgentMetricsResponse,
  type AgentServicesResponse,
  type ErrorCode,
  ERROR_CODES,
} from '@pudu/schema';
import type { z } from 'zod';

export interface AgentClientOptions {
  /** e.g. http://172.16.3.2:7777 */
  baseUrl: string;
  token: string;
  /** Per-request timeout (default 5 s; fault start gets 4× as much: a disk fill takes time). */
  timeoutMs?: number;
}

export interface AgentClient {
  health(): Promise<AgentHealthResponse>;
  metrics(): Promise<AgentMetricsResponse>;
  metricsPrometheus(): Promise<string>;
  startFault(req: AgentFaultStartRequest): Promise<AgentFaultRecord>;
  stopFault(id: string): Promise<AgentFaultRecord>;
  listFaults(): Promise<AgentFaultListResponse>;
  services(): Promise<AgentServicesResponse>;
  heartbeat(): Promise<AgentHeartbeatResponse>;
}

const DEFAULT_TIMEOUT_MS = 5000;

function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/**
 * A typed client for one pudu-agent. Transport failures and timeouts throw
 * PuduError('AGENT_UNREACHABLE'), 401 throws AGENT_AUTH, other agent errors keep the
 * agent's own code (FAULT_INVALID, FAULT_CONFLICT, …) with its message.
 */
export function createAgentClient(opts: AgentClientOptions): AgentClient {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function call<S extends z.ZodType>(method: string, path: string, schema: S | null, body?: unknown, factor = 1): Promise<z.output<S>> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${opts.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs * factor),
      });
    } catch (e) {
      const cause = (e as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs * factor} ms` : ((e as { cause?: Error }).cause?.message ?? (e as Error).message);
      throw new PuduError('AGENT_UNREACHABLE', `agent ${base}: ${method} ${path}: ${cause}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (res.status === 401) throw new PuduError('AGENT_AUTH', `agent ${base} refused the token (401)`);
    if (!res.ok) {
      const err = AgentErrorBodySchema.safeParse(json);
      if (err.success) {
        const code = err.data.error.code;
        throw new PuduError(isErrorCode(code) ? code : 'INTERNAL', `agent ${base}: ${err.data.error.message}`, err.data.error.details);
      }
      throw new PuduError('AGENT_UNREACHABLE', `agent ${base}: ${method} ${path} answered ${res.status}: ${text.slice(0, 200)}`);
    }
    if (schema === null) return text as z.output<S>;
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new PuduError('AGENT_UNREACHABLE', `agent ${base}: ${method} ${path}: unexpected answer: ${parsed.error.message}`);
    return parsed.data;
  }

  return {
    health: () => call('GET', '/health', AgentHealthResponseSchema),
    metrics: () => call('GET', '/metrics', AgentMetricsResponseSchema),
    metricsPrometheus: () => call('GET', '/metrics?format=prometheus', null) as Promise<string>,
    startFault: (req) => call('POST', '/fault/start', AgentFaultRecordSchema, req, 4),
    stopFault: (id) => call('POST', '/fault/stop', AgentFaultRecordSchema, { id }, 4),
    listFaults: () => call('GET', '/faults', AgentFaultListResponseSchema),
    services: () => call('GET', '/services', AgentServicesResponseSchema),
    heartbeat: () => call('POST', '/heartbeat', AgentHeartbeatResponseSchema),
  };
}
