import { parseAgentPercent, type AgentCpuParams } from '@pudu/schema';
import { readCpu } from '../vm-resources.ts';
import type { FaultDriver, Undo } from './fault.ts';
import { isHelperAlive, killHelper, spawnNodeHelper } from './helper-process.ts';

const MARKER = 'pudu-cpu-burn';
const PERIOD_MS = 100;

/**
 * Each worker thread is busy for `duty` of every 100 ms and sleeps the rest; with one
 * thread per VM CPU that holds the VM at the requested share.
 */
const BURN_JS = `
process.title = 'report-generator';
const { Worker } = require('node:worker_threads');
const [threads, duty] = process.argv.slice(-2).map(Number);
const code = \`
  const { workerData } = require('node:worker_threads');
  const sab = new Int32Array(new SharedArrayBuffer(4));
  const busy = ${PERIOD_MS} * workerData;
  for (;;) {
    const t0 = Date.now();
    while (Date.now() - t0 < busy) {}
    const rest = ${PERIOD_MS} - (Date.now() - t0);
    if (rest > 0) Atomics.wait(sab, 0, 0, rest);
  }\`;
for (let i = 0; i < threads; i++) new Worker(code, { eval: true, workerData: duty });
`;

/** cpu: holds the VM's CPUs at `load` percent with duty-cycled busy threads in a helper process. */
export const cpuFault: FaultDriver<'cpu'> = {
  type: 'cpu',
  conflictKey: () => 'cpu',
  async plan(): Promise<Undo> {
    return { pid: null };
  },
  async apply(_id, p: AgentCpuParams, undo) {
    const cpus = readCpu().cpus;
    const threads = Math.max(1, Math.ceil(cpus));
    const duty = Math.min(1, ((parseAgentPercent(p.load) ?? 0) / 100) * (cpus / threads));
    undo.pid = await spawnNodeHelper(MARKER, BURN_JS, [String(threads), String(duty)]);
    return { mechanism: `busy-threads x${threads} duty ${Math.round(duty * 100)}%` };
  },
  async revert(undo) {
    await killHelper(undo.pid, MARKER);
  },
  async isActive(undo) {
    return isHelperAlive(undo.pid, MARKER);
  },
};
