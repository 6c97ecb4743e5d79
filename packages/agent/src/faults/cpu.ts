import { parsePercent, type AgentCpuParams } from '@pudu/schema';
import { readCpu } from '../vm-resources.ts';
import type { FaultDriver } from './fault.ts';
import { helperLifecycle, startHelperUnit } from './helper-process.ts';

/** A nightly batch job that runs hot: the noisy neighbour a trainee meets in `top`. */
const NAME = 'report-generator';
const PERIOD_MS = 100;
const ADJUST_MS = 500;

/**
 * Each worker thread is busy for `duty` of every 100 ms and sleeps the rest. The main
 * thread measures what the process really got (process.cpuUsage) every 500 ms and nudges
 * the duty towards the target, so the VM is held at the requested share even when the
 * hypervisor or a busy host steals time (up to what the scheduler gives).
 */
const BURN_JS = `
process.title = 'report-generator';
const { Worker } = require('node:worker_threads');
const [threads, targetCpus] = process.argv.slice(-2).map(Number);
const shared = new Int32Array(new SharedArrayBuffer(8));
Atomics.store(shared, 1, Math.round(1000 * targetCpus / threads));
const code = \`
  const { workerData } = require('node:worker_threads');
  const s = workerData;
  for (;;) {
    const t0 = Date.now();
    const busy = ${PERIOD_MS} * Atomics.load(s, 1) / 1000;
    while (Date.now() - t0 < busy) {}
    const rest = ${PERIOD_MS} - (Date.now() - t0);
    if (rest > 0) Atomics.wait(s, 0, 0, rest);
  }\`;
for (let i = 0; i < threads; i++) new Worker(code, { eval: true, workerData: shared });
let last = process.cpuUsage();
let lastAt = Date.now();
setInterval(() => {
  const now = process.cpuUsage();
  const used = (now.user + now.system - last.user - last.system) / 1000 / (Date.now() - lastAt);
  last = now;
  lastAt = Date.now();
  const duty = Atomics.load(shared, 1) + Math.round(1000 * (targetCpus - used) / threads / 2);
  Atomics.store(shared, 1, Math.max(10, Math.min(1000, duty)));
}, ${ADJUST_MS});
`;

/** cpu: holds the VM's CPUs at `load` percent with duty-cycled busy threads in a helper process. */
export const cpuFault: FaultDriver<'cpu'> = {
  type: 'cpu',
  conflictKey: () => 'cpu',
  ...helperLifecycle(NAME),
  async apply(_id, p: AgentCpuParams, undo) {
    const cpus = readCpu().cpus;
    const threads = Math.max(1, Math.ceil(cpus));
    const targetCpus = ((parsePercent(p.load) ?? 0) / 100) * cpus;
    undo.pid = await startHelperUnit({ name: NAME, description: 'Report generator', script: BURN_JS, args: [String(threads), String(targetCpus)] });
    return { mechanism: `busy-threads x${threads} for ${targetCpus.toFixed(2)} CPUs` };
  },
};
