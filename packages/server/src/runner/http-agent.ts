/**
 * The AgentPort over the agent package's client: every request signed with the fleet's key,
 * over the VM's Unix socket when the driver has one, else TCP after the fleet's route is
 * checked before the first byte is sent.
 */
import { createAgentClient, type AgentEndpoint } from '@pudu/agent';
import { isPuduError } from '@pudu/schema';
import type { AgentFactory, AgentFault, AgentPort, AgentTarget } from './agent-port.ts';
import { assertRouteThrough } from '../net/route-guard.ts';

const AGENT_TIMEOUT_MS = 5000;

/** Builds agent ports that sign with the fleet's key. */
export const httpAgentFactory: AgentFactory = (t) => createHttpAgent(t);

function createHttpAgent(t: AgentTarget): AgentPort {
  const endpoint: AgentEndpoint = t.agentSocket ? { kind: 'unix', path: t.agentSocket } : { kind: 'tcp', host: t.guestIp, port: t.agentPort };
  const client = createAgentClient({
    endpoint,
    signingKey: t.agentKey,
    audience: t.audience,
    timeoutMs: AGENT_TIMEOUT_MS,
    beforeConnect: endpoint.kind === 'tcp' ? () => assertRouteThrough(t.guestIp, t.hostLink) : undefined,
  });
  return {
    async startFault(f: AgentFault) {
      const params: Record<string, string> = { ...f.params };
      if (f.durationMs !== null) params.duration = `${Math.max(1000, Math.round(f.durationMs))}ms`;
      await client.startFault({ id: f.id, type: f.type as never, params });
    },
    async stopFault(id) {
      try {
        await client.stopFault(id);
      } catch (e) {
        // Already gone (TTL or dead-man reverted it): the goal, a reverted fault, holds.
        if (isPuduError(e, 'FAULT_NOT_FOUND')) return;
        throw e;
      }
    },
    async listFaults() {
      const r = await client.listFaults();
      return r.faults.filter((f) => f.state === 'active').map((f) => f.id);
    },
    async metrics() {
      const m = await client.metrics();
      return { cpu_pct: m.cpu_pct, mem_used_pct: m.mem_used_pct, disk_used_pct: m.disk_used_pct, disk_free_mb: m.disk_free_mb, load_avg_1: m.load_avg_1 };
    },
    async services() {
      const r = await client.services();
      return Object.fromEntries(r.services.map((s) => [s.name.replace(/\.service$/, ''), s.active === 'active']));
    },
    async heartbeat() {
      await client.heartbeat();
    },
  };
}
