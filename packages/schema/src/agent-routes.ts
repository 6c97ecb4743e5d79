/**
 * The agent protocol's route table: the one place an agent path is written. The agent's
 * HTTP server dispatches by {@link matchAgentRoute} (TypeScript refuses a missing
 * handler), its client builds every request with {@link agentPath} and checks every
 * answer against the route's `response` (`agentRoute(op).response`). The paths are the
 * seed's (`/health`, `/metrics`, `/fault/start`, `/fault/stop`, …).
 */
import { z } from 'zod';
import * as p from './agent-protocol.ts';
import { withQuery } from './route-path.ts';

export interface AgentRoute {
  method: 'GET' | 'POST';
  path: string;
  summary: string;
  /** Answered without a signature (readiness probes ask it before the fleet's key is known). */
  unsigned?: true;
  query?: z.ZodType;
  body?: z.ZodType;
  status: number;
  /** The JSON success body. */
  response: z.ZodType;
  /** Another success media type the route answers when `query` asks for it (Prometheus text). */
  media?: Readonly<Record<string, string>>;
  /** The client's timeout is this many times its default (a disk fill takes time). */
  slow?: number;
}

export const AGENT_ROUTES = {
  health: { method: 'GET', path: '/health', summary: 'Liveness and version (no signature: readiness probes)', unsigned: true, status: 200, response: p.AgentHealthResponseSchema },
  metrics: {
    method: 'GET', path: '/metrics', summary: 'CPU, memory, disk and load of the VM', status: 200, response: p.AgentMetricsResponseSchema,
    query: z.object({ format: z.enum(['json', 'prometheus']).optional() }), media: { 'text/plain; version=0.0.4': 'Prometheus text exposition format (format=prometheus)' },
  },
  planFault: { method: 'POST', path: '/fault/plan', summary: 'Could this fault be applied and reverted here? Changes nothing', body: p.AgentFaultStartRequestSchema, status: 200, response: p.AgentFaultPlanSchema, slow: 2 },
  startFault: { method: 'POST', path: '/fault/start', summary: 'Apply a fault', body: p.AgentFaultStartRequestSchema, status: 201, response: p.AgentFaultRecordSchema, slow: 4 },
  stopFault: { method: 'POST', path: '/fault/stop', summary: 'Revert a fault', body: p.AgentFaultStopRequestSchema, status: 200, response: p.AgentFaultRecordSchema, slow: 4 },
  listFaults: { method: 'GET', path: '/faults', summary: 'Every fault this agent holds or held', status: 200, response: p.AgentFaultListResponseSchema },
  services: { method: 'GET', path: '/services', summary: 'The VM\'s systemd services', status: 200, response: p.AgentServicesResponseSchema },
  heartbeat: { method: 'POST', path: '/heartbeat', summary: 'Feeds the dead-man switch', status: 200, response: p.AgentHeartbeatResponseSchema },
  log: {
    method: 'GET', path: '/log', summary: 'The agent\'s own log lines after `since`', status: 200, response: p.AgentLogResponseSchema,
    query: z.object({ since: z.coerce.number().int().min(0).catch(0).default(0) }),
  },
  writeHistory: {
    method: 'POST', path: '/history', summary: 'Write the VM\'s past once, before the run (history-spec.ts); a second call writes nothing',
    body: p.AgentHistoryRequestSchema, status: 200, response: p.AgentHistoryResponseSchema, slow: 6,
  },
} as const satisfies Record<string, AgentRoute>;

export type AgentOp = keyof typeof AGENT_ROUTES;
type RouteOf<K extends AgentOp> = (typeof AGENT_ROUTES)[K];
type Part<R, K extends string, D extends 'input' | 'output'> = R extends Record<K, z.ZodType> ? (D extends 'input' ? z.input<R[K]> : z.output<R[K]>) : never;
export type AgentRouteBody<K extends AgentOp> = Part<RouteOf<K>, 'body', 'input'>;
export type AgentRouteQuery<K extends AgentOp> = Part<RouteOf<K>, 'query', 'input'>;
export type AgentRouteResponse<K extends AgentOp> = z.output<RouteOf<K>['response']>;

export function agentRoute<K extends AgentOp>(op: K): RouteOf<K> & AgentRoute {
  return AGENT_ROUTES[op];
}

/** The request target of `op` (path and query string), as signed and sent. */
export function agentPath(op: AgentOp, query: Record<string, string | number | boolean | undefined> = {}): string {
  return withQuery(AGENT_ROUTES[op].path, query);
}

/** The operation a request names (method and path, no query); null when none. */
export function matchAgentRoute(method: string, pathname: string): AgentOp | null {
  const m = method.toUpperCase();
  for (const [op, r] of Object.entries(AGENT_ROUTES) as [AgentOp, AgentRoute][]) if (r.method === m && r.path === pathname) return op;
  return null;
}
