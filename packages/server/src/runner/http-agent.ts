/**
 * The AgentPort over the agent's HTTP API (agent-protocol in @pudu/schema): bearer token
 * on every call, the fleet's route checked before the first byte is sent.
 */
import { AgentFaultListResponseSchema as FaultListResponseSchema, AgentMetricsResponseSchema as MetricsResponseSchema, PuduError, AgentServicesResponseSchema as ServicesResponseSchema } from '@pudu/schema';
import type { AgentFactory, AgentFault, AgentPort, AgentTarget } from './agent-port.ts';
import { assertRouteThrough } from '../net/route-guard.ts';

const AGENT_TIMEOUT_MS = 5000;

/** Builds agent ports that authenticate with the fleet's agent token. */
export const httpAgentFactory: AgentFactory = (t) => createHttpAgent(t, t.agentToken);

function createHttpAgent(t: AgentTarget, token: string | undefined): AgentPort {
  const base = `http://${t.guestIp}:${t.agentPort}`;
  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    await assertRouteThrough(t.guestIp, t.hostLink);
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(AGENT_TIMEOUT_MS),
      });
    } catch (e) {
      throw new PuduError('AGENT_UNREACHABLE', `agent on ${t.vmName} (${base}) unreachable: ${(e as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) {
      let msg = text.slice(0, 300);
      try {
        const err = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
        if (err) msg = `${err.code}: ${err.message}`;
      } catch {
        /* plain text */
      }
      throw new PuduError(res.status === 401 ? 'AGENT_AUTH' : 'FAULT_APPLY_FAILED', `agent on ${t.vmName}: ${method} ${path} → ${res.status} ${msg}`);
    }
    return text ? JSON.parse(text) : {};
  }
  return {
    async startFault(f: AgentFault) {
      const params: Record<string, string> = { ...f.params };
      if (f.durationMs !== null) params.duration = `${Math.max(1000, Math.round(f.durationMs))}ms`;
      await call('POST', '/fault/start', { id: f.id, type: f.type, params });
    },
    async stopFault(id) {
      try {
        await call('POST', '/fault/stop', { id });
      } catch (e) {
        // Already gone (TTL or dead-man reverted it): the goal, a reverted fault, holds.
        if (e instanceof PuduError && / 404 /.test(e.message)) return;
        throw e;
      }
    },
    async listFaults() {
      const r = FaultListResponseSchema.parse(await call('GET', '/faults'));
      return r.faults.filter((f) => f.state === 'active').map((f) => f.id);
    },
    async metrics() {
      const m = MetricsResponseSchema.parse(await call('GET', '/metrics'));
      return { cpu_pct: m.cpu_pct, mem_used_pct: m.mem_used_pct, disk_used_pct: m.disk_used_pct, disk_free_mb: m.disk_free_mb, load_avg_1: m.load_avg_1 };
    },
    async services() {
      const r = ServicesResponseSchema.parse(await call('GET', '/services'));
      return Object.fromEntries(r.services.map((s) => [s.name.replace(/\.service$/, ''), s.active === 'active']));
    },
    async heartbeat() {
      await call('POST', '/heartbeat');
    },
  };
}
