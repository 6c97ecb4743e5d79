/**
 * Before a run's clock starts, each VM of its fleet is given a past (history-spec.ts): the
 * agent writes the scenario's records and Pudu's ordinary history, and keeps each fault's
 * records until it strikes. History is scenery: a VM whose agent cannot write it still runs
 * the scenario, and the failure is logged for staff.
 */
import { historyRequestFor, type CompiledScenario } from '@pudu/engine';
import type { FleetManager } from '../fleets/fleet-manager.ts';
import type { AgentFactory } from './agent-port.ts';
import { AgentLink } from './agent-link.ts';

export async function seedHistory(
  d: { fleets: Pick<FleetManager, 'vmsOf'>; agentFactory: AgentFactory; log: (msg: string) => void },
  run: { id: string; compiled: CompiledScenario },
  fleetId: string,
): Promise<void> {
  const link = new AgentLink(d.fleets, d.agentFactory);
  await link.sync(fleetId);
  await Promise.all(link.vmNames().map(async (vm) => {
    const port = link.agent(vm);
    if (!port.writeHistory) return;
    try {
      await port.writeHistory(historyRequestFor(run.compiled, run.id, vm));
    } catch (e) {
      d.log(`run ${run.id}: ${vm}: history not written: ${(e as Error).message}`);
    }
  }));
}
