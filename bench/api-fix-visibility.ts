/**
 * How long after a trainee's fix the run shows `resolved` (target: within 1 s; the original
 * polled every 10 s). Real server, sandbox VMs, disk-full; the fix is `rm` of the culprit
 * over SSH. Also prints fleet boot and start-to-incident-live times. Needs root.
 * Run: node --import tsx bench/api-fix-visibility.ts [runs]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDriver } from '@pudu/drivers';
import { PuduClient } from '@pudu/client';
import { startServer } from '../packages/server/src/server.ts';
import { agentClientFactory } from '../packages/server/src/runner/agent-port.ts';
import { REPO_ROOT } from '../test/server/harness.ts';
import { sshExec, waitFor } from '../test/server/vm-shell.ts';

const RUNS = Number(process.argv[2] ?? 3);
const yaml = readFileSync(join(REPO_ROOT, 'scenarios/monolith/disk-full.yaml'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'pudu-bench-fix-'));
const driver = await createDriver('sandbox', { log: () => undefined });
const server = await startServer({
  host: '127.0.0.1', port: 0, database: join(dir, 'pudu.db'), driver, agentFactory: agentClientFactory,
  libraryDir: join(REPO_ROOT, 'scenarios'), webDir: join(dir, 'web'), log: () => undefined,
});
const client = new PuduClient({ baseUrl: server.url, token: server.adminToken! });
const visible: number[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const t0 = Date.now();
    const { run } = await client.runScenario({ yaml, file: 'disk-full.yaml' });
    const live = await waitFor('live', async () => {
      const r = await client.getRun(run.id);
      return r.state === 'running' && r.faults.every((f) => f.state === 'active') ? r : undefined;
    }, 60_000, 20);
    const liveMs = Date.now() - t0;
    const vm = live.vms[0]!;
    await sshExec(vm.guestIp, vm.hostLink, 'rm -f /var/log/app/debug.log');
    const fixed = Date.now();
    await waitFor('resolved', async () => ((await client.getRun(run.id)).state === 'resolved' ? true : undefined), 10_000, 10);
    visible.push(Date.now() - fixed);
    const fleet = await client.getFleet(live.fleetId!);
    console.log(`run ${i + 1}: fleet boot ${fleet.bootMs} ms, start → incident live ${liveMs} ms, fix → resolved visible ${visible.at(-1)} ms`);
  }
  visible.sort((a, b) => a - b);
  console.log(`fix → resolved visible over ${RUNS} runs: min ${visible[0]} ms, median ${visible[Math.floor(RUNS / 2)]} ms, max ${visible.at(-1)} ms (evaluation every 300 ms)`);
} finally {
  for (const r of await client.listRuns()) if (r.state === 'running' || r.state === 'provisioning') await client.abortRun(r.id).catch(() => undefined);
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
