/**
 * What the runner needs from the agent inside a VM. The implementation adapts the agent
 * package's client; tests and the runner depend only on this interface.
 */
export interface AgentFault {
  /** Unique on the agent: `<runId>.<faultId>`. */
  id: string;
  type: string;
  params: Record<string, string>;
  /** The agent reverts on its own after this (dead-man backstop); null = until stopped. */
  durationMs: number | null;
}

export interface AgentPort {
  startFault(f: AgentFault): Promise<void>;
  stopFault(id: string): Promise<void>;
  /** Ids of the faults the agent holds active. */
  listFaults(): Promise<string[]>;
  metrics(): Promise<Record<string, number>>;
  /** systemd units' active state by name. */
  services(): Promise<Record<string, boolean>>;
  heartbeat(): Promise<void>;
}

/** The address and credentials of one VM's agent. */
export interface AgentTarget {
  vmName: string;
  guestIp: string;
  agentPort: number;
  /** Host path of the agent's Unix socket (sandbox); absent: TCP at guestIp:agentPort. */
  agentSocket?: string;
  hostLink: string;
  /** The fleet's Ed25519 private key (PEM) that signs every request. */
  agentKey: string;
  /** `<fleet>/<vm>`: the agent refuses requests signed for another VM. */
  audience: string;
}

export type AgentFactory = (t: AgentTarget) => AgentPort;
