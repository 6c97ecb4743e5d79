/**
 * Halt-all: time from the haltAll request to every fault reverted, for N live runs at once
 * (the answer comes once every run's faults are reverted and every agent swept). Real
 * server, sandbox VMs, one light dns fault per run. Needs root.
 * Run: node --import tsx bench/halt.ts [N...]   (default 5 10 20)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDriver } from '@pudu/drivers';
import { PuduClient } from '@pudu/client';
import { startServer } from '../packages/server/src/server.ts';
import { agentClientFactory } from '../packages/server/src/runner/agent-port.ts';
import { REPO_ROOT } from '../test/server/harness.ts';
import { waitFor } from '../test/server/vm-shell.ts';

const SIZES = process.argv.slice(2).map(Number).filter((n) => n > 0);
const yaml = `scenario: { id: halt-bench, title: Halt bench, difficulty: easy, time_limit: 10m }
environment: { tiers: [ { name: app, mem_mb: 128, disk_mb: 256 } ] }
faults: [ { id: hijack, type: dns, target: { tier: app }, params: { record: api.internal, resolve_to: 10.0.0.66 } } ]
objectives: [ { id: cleared, description: entry gone, check: { type: fault-cleared, target: { tier: app }, fault: hijack } } ]
`;
const dir = mkdtempSync(join(tmpdir(), 'pudu-bench-halt-'));
const driver = await createDriver('sandbox', { log: () => undefined });
const server = await startServer({
  host: '127.0.0.1', port: 0, database: join(dir, 'pudu.db'), driver, agentFactory: agentClientFactory,
  libraryDir: join(REPO_ROOT, 'scenarios'), webDir: join(dir, 'web'), log: () => undefined,
});
const client = new PuduClient({ baseUrl: server.url, token: server.adminToken! });
const rows: string[] = [];
try {
  for (const n of SIZES.length ? SIZES : [5, 10, 20]) {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await client.runScenario({ yaml, file: `bench-${i}.yaml` })).run.id);
    await Promise.all(ids.map((id) => waitFor(`run ${id} live`, async () => {
      const r = await client.getRun(id);
      if (r.state !== 'running' && r.state !== 'provisioning') throw new Error(`run ${id} is ${r.state}: ${r.error ?? ''}`);
      return r.state === 'running' && r.faults.every((f) => f.state === 'active') ? true : undefined;
    }, 180_000, 200)));
    const t0 = performance.now();
    const r = await client.call('haltAll', { body: { reason: `bench ${n}` } }, { timeoutMs: 60_000 });
    const answeredMs = performance.now() - t0;
    const reverted = await Promise.all(ids.map((id) => client.getRun(id).then((s) => s.faults.every((f) => f.state === 'reverted'))));
    rows.push(`${String(n).padStart(4)} runs  halt → all reverted ${answeredMs.toFixed(0).padStart(6)} ms  (server: ${r.elapsedMs} ms; ${r.faultsReverted} faults; ${reverted.filter(Boolean).length}/${n} runs reverted; ${r.agentErrors.length} agent errors)`);
    console.log(rows.at(-1));
    await client.call('releaseHalt', {});
  }
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\nhalt-all, sandbox driver, ${new Date().toISOString()}\n${rows.join('\n')}`);
