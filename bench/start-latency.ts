/**
 * Start → incident live (the run is running and its first fault is active), cold (the
 * fleet boots for the run) vs warm (`--warm-pool`: a booted, verified fleet is taken), for
 * a 1-VM scenario (monolith/disk-full) and a 3-VM one (microservices/db-connection-exhaustion).
 * Real server in this process, sandbox driver, runs aborted once live. Needs root.
 * Run: node --import tsx bench/start-latency.ts [runs per case, default 5] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { createDriver } from '@pudu/drivers';
import { PuduClient } from '@pudu/client';
import { startServer, type RunningServer } from '../packages/server/src/server.ts';
import { agentClientFactory } from '../packages/server/src/runner/agent-port.ts';
import { REPO_ROOT } from '../test/server/harness.ts';
import { waitFor } from '../test/server/vm-shell.ts';

const RUNS = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 5);
const JSON_OUT = process.argv.includes('--json');
const CASES = [
  { scenario: 'monolith/disk-full', vms: 1 },
  { scenario: 'microservices/db-connection-exhaustion', vms: 3 },
];

const driver = await createDriver('sandbox', { log: () => undefined });

async function serve(dir: string, warmPool?: string): Promise<RunningServer> {
  return startServer({
    host: '127.0.0.1', port: 0, database: join(dir, 'pudu.db'), driver, agentFactory: agentClientFactory,
    libraryDir: join(REPO_ROOT, 'scenarios'), webDir: join(dir, 'web'), log: () => undefined, warmPool,
  });
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** One run: ms from POST to running-with-a-fault-active; then aborted (fleet destroyed). */
async function once(client: PuduClient, scenario: string): Promise<number> {
  const t0 = performance.now();
  const { run } = await client.runScenario({ name: scenario });
  await waitFor('incident live', async () => {
    const r = await client.getRun(run.id);
    if (/failed|aborted/.test(r.state)) throw new Error(`run ${run.id} ${r.state}`);
    return r.state === 'running' && r.faults.some((f) => f.state === 'active') ? true : undefined;
  }, 300_000, 10);
  const ms = performance.now() - t0;
  await client.abortRun(run.id);
  return ms;
}

const rows: { case: string; vms: number; mode: string; p50: number; p95: number; runs: number }[] = [];
for (const c of CASES) {
  for (const mode of ['cold', 'warm'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'pudu-bench-start-'));
    const server = await serve(dir, mode === 'warm' ? `${c.scenario}:1` : undefined);
    const client = new PuduClient({ baseUrl: server.url, token: server.adminToken! });
    const times: number[] = [];
    try {
      for (let i = 0; i < RUNS; i++) {
        // Each warm measurement takes a fleet the pool has finished refilling: no run waits on another's boot.
        if (mode === 'warm') await waitFor('the pool refilled', async () => (server.ctx.warmPool?.state().every((s) => s.ready >= 1) ? true : undefined), 300_000, 50);
        times.push(await once(client, c.scenario));
      }
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
    rows.push({ case: c.scenario, vms: c.vms, mode, p50: Math.round(pct(times, 50)), p95: Math.round(pct(times, 95)), runs: times.length });
  }
}
if (JSON_OUT) {
  console.log(JSON.stringify({ rows, load1: loadavg()[0] }, null, 2));
} else {
  console.log(`start → incident live, sandbox driver, ${RUNS} runs per case, host load1 ${loadavg()[0]!.toFixed(1)}`);
  console.log('scenario                                  VMs  mode  p50 (ms)  p95 (ms)');
  for (const r of rows) console.log(`${r.case.padEnd(42)}${String(r.vms).padStart(3)}  ${r.mode.padEnd(4)}  ${String(r.p50).padStart(8)}  ${String(r.p95).padStart(8)}`);
}
process.exit(0);
