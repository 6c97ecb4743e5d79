/**
 * What the runner needs from the agent inside a VM, whatever carries the calls (a Unix
 * socket in a host-owned directory for the sandbox, a stream the driver carries for
 * kubernetes, TCP over the fleet's link otherwise). Every method throws PuduError with a shared code (errors.ts):
 * AGENT_UNREACHABLE, AGENT_AUTH, FAULT_INVALID, FAULT_CONFLICT, NETWORK_UNSAFE… — callers
 * branch on the code, never on the message.
 */
import { createAgentClient, type AgentEndpoint } from '@pudu/agent';
import type { AgentFaultReport, AgentReport } from '@pudu/engine';
import { isPuduError, type AgentHistoryRequest, type FaultType, type MetricName } from '@pudu/schema';
import type { Duplex } from 'node:stream';
import type { VmStreamTarget } from '@pudu/drivers';
import { assertRouteThrough } from '../net/route-guard.ts';

export interface AgentFault {
  /** Unique on the agent: `<runId>.<faultId>` (agentFaultId). */
  id: string;
  type: FaultType;
  params: Record<string, string | number>;
  /** The agent reverts on its own after this (dead-man backstop); null = until stopped. */
  durationMs: number | null;
}

export interface AgentPort {
  /** Pre-flight: the agent proves it could apply and revert `f` here, changing nothing; returns what it verified. */
  planFault(f: AgentFault): Promise<string[]>;
  startFault(f: AgentFault): Promise<void>;
  /** Resolves when the fault is gone, also when the agent had already ended it (TTL, dead-man). */
  stopFault(id: string): Promise<void>;
  /** Every fault the agent knows, with its state and, once ended, why. */
  faults(): Promise<AgentFaultReport[]>;
  metrics(): Promise<Record<MetricName, number>>;
  /** systemd units' active state by name (without `.service`). */
  services(): Promise<Record<string, boolean>>;
  /** One unit's state: active, and how long it has been up without a restart (null while not active). */
  unit(name: string): Promise<{ active: boolean; activeForMs: number | null; restarts: number }>;
  heartbeat(): Promise<void>;
  /** Who answered the last authenticated call (instance id, boot id, journal state). */
  identity(): AgentReport['identity'];
  /** Writes the VM's past before the run (history-spec.ts); ports that cannot leave it out. */
  writeHistory?(req: AgentHistoryRequest): Promise<void>;
}

/** The address and credentials of one VM's agent. */
export interface AgentTarget {
  vmName: string;
  guestIp: string;
  agentPort: number;
  /** Host path of the agent's Unix socket (sandbox); absent: TCP at guestIp:agentPort. */
  agentSocket?: string;
  hostLink: string;
  /** The driver carries streams to this VM (kubernetes exec): used instead of guestIp and the route check. */
  stream?: (to: VmStreamTarget) => Promise<Duplex>;
  /** The fleet's Ed25519 private key (PEM) that signs every request. */
  agentKey: string;
  /** `<fleet>/<vm>`: the agent refuses requests signed for another VM. */
  audience: string;
}

export type AgentFactory = (t: AgentTarget) => AgentPort;

const AGENT_TIMEOUT_MS = 5000;

/**
 * The agent package's own typed client: every request signed with the fleet's key, over
 * the VM's Unix socket when the driver has one, else TCP once the route to the VM is checked.
 */
export const agentClientFactory: AgentFactory = (t) => {
  const stream = t.stream;
  const endpoint: AgentEndpoint = stream ? { kind: 'stream', label: `${t.audience} (driver stream)`, open: () => stream({ agent: true }) }
    : t.agentSocket ? { kind: 'unix', path: t.agentSocket } : { kind: 'tcp', host: t.guestIp, port: t.agentPort };
  const client = createAgentClient({
    endpoint,
    signingKey: t.agentKey,
    audience: t.audience,
    timeoutMs: AGENT_TIMEOUT_MS,
    beforeConnect: endpoint.kind === 'tcp' ? () => assertRouteThrough(t.guestIp, t.hostLink) : undefined,
  });
  const wire = (f: AgentFault): { id: string; type: FaultType; params: Record<string, string | number> } => {
    const params: Record<string, string | number> = { ...f.params };
    if (f.durationMs !== null) params.duration = `${Math.max(1000, Math.round(f.durationMs))}ms`;
    return { id: f.id, type: f.type, params };
  };
  return {
    async planFault(f) {
      return (await client.planFault(wire(f))).verified;
    },
    async startFault(f) {
      await client.startFault(wire(f));
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
    async faults() {
      return (await client.listFaults()).faults.map((f) => ({ id: f.id, state: f.state, ...(f.reason ? { reason: f.reason } : {}) }));
    },
    async metrics() {
      const m = await client.metrics();
      return { cpu_pct: m.cpu_pct, mem_used_pct: m.mem_used_pct, disk_used_pct: m.disk_used_pct, disk_free_mb: m.disk_free_mb, load_avg_1: m.load_avg_1 };
    },
    async services() {
      const r = await client.services();
      return Object.fromEntries(r.services.map((s) => [s.name.replace(/\.service$/, ''), s.active === 'active']));
    },
    async unit(name) {
      const u = (await client.services()).services.find((s) => s.name.replace(/\.service$/, '') === name);
      const active = u?.active === 'active';
      return { active, activeForMs: active ? u?.active_for_ms ?? null : null, restarts: u?.restarts ?? 0 };
    },
    async heartbeat() {
      await client.heartbeat();
    },
    async writeHistory(req) {
      await client.writeHistory(req);
    },
    identity() {
      const id = client.lastIdentity();
      return id && { instanceId: id.instance_id, bootId: id.boot_id, journal: id.journal, recovered: id.recovered, refused: id.refused };
    },
  };
};
