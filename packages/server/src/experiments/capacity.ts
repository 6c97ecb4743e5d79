/**
 * The pre-check's capacity line: can this host hold the experiment's fleet? The fleet
 * manager enforces the real limit when the run starts; this tells the proposer early.
 */
import { freemem } from 'node:os';
import type { CompiledScenario } from '@pudu/engine';
import type { PreCheck } from './experiment-doc.ts';

/** Memory the host keeps for itself besides the VMs. */
const HOST_RESERVE_MB = 1024;

export function checkCapacity(plan: CompiledScenario, freeMb = Math.floor(freemem() / 1024 / 1024)): PreCheck {
  const needMb = plan.vms.reduce((n, v) => n + v.memMb, 0);
  const ok = needMb + HOST_RESERVE_MB <= freeMb;
  return { name: 'capacity', ok, detail: `${plan.vms.length} VM(s) need ${needMb} MB; the host has ${freeMb} MB free now (${HOST_RESERVE_MB} MB kept for itself)` };
}
