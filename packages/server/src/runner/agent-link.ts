/**
 * One run's way to its agents: the VMs of the run's current fleet and one AgentPort each.
 * It follows the fleet id the run's progress holds (`sync`), so a replacement fleet after
 * a restart can never be reached through the old fleet's addresses or token.
 */
import { PuduError } from '@pudu/schema';
import type { FleetManager } from '../fleets/fleet-manager.ts';
import type { AgentFactory, AgentPort, AgentTarget } from './agent-port.ts';

export class AgentLink {
  private fleetId: string | null = null;
  private readonly targets = new Map<string, AgentTarget>();
  private readonly ports = new Map<string, AgentPort>();

  constructor(private readonly fleets: Pick<FleetManager, 'vmsOf'>, private readonly factory: AgentFactory) {}

  /** Points the link at `fleetId` (the run's current fleet, or none); a change drops every port. */
  async sync(fleetId: string | null): Promise<void> {
    if (fleetId === this.fleetId && (fleetId === null || this.targets.size > 0)) return;
    this.targets.clear();
    this.ports.clear();
    this.fleetId = fleetId;
    if (fleetId === null) return;
    const { vms, agentKey, open } = await this.fleets.vmsOf(fleetId);
    for (const v of vms) {
      this.targets.set(v.name, {
        vmName: v.name, guestIp: v.guestIp, agentPort: v.agentPort, agentSocket: v.agentSocket, hostLink: v.hostLink, agentKey, audience: `${fleetId}/${v.name}`,
        ...(open ? { stream: (to) => open(v.name, to) } : {}),
      });
    }
  }

  vmNames(): string[] {
    return [...this.targets.keys()];
  }

  target(vm: string): AgentTarget | undefined {
    return this.targets.get(vm);
  }

  /** The agent of one VM of the fleet; VM_NOT_FOUND for a name the fleet does not have. */
  agent(vm: string): AgentPort {
    let port = this.ports.get(vm);
    if (!port) {
      const t = this.targets.get(vm);
      if (!t) throw new PuduError('VM_NOT_FOUND', `fleet ${this.fleetId ?? '(none)'} has no VM ${vm}`);
      port = this.factory(t);
      this.ports.set(vm, port);
    }
    return port;
  }
}
