/**
 * API latency on real SQLite: p50/p95/p99 and throughput of the hot read routes and of a
 * mutation (token create: one insert + one audit append). Prints figures, asserts nothing.
 * Run: node --import tsx bench/api-latency.ts [requests-per-route]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiPath } from '@pudu/schema';
import { startServer } from '../packages/server/src/server.ts';
import { agentClientFactory } from '../packages/server/src/runner/agent-port.ts';
import { noVmDriver, REPO_ROOT } from '../test/server/harness.ts';

const N = Number(process.argv[2] ?? 2000);
const CONCURRENCY = 8;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(name: string, fn: () => Promise<Response>): Promise<void> {
  const times: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < N) {
      next += 1;
      const t0 = performance.now();
      const res = await fn();
      await res.arrayBuffer();
      if (res.status >= 400) throw new Error(`${name}: HTTP ${res.status}`);
      times.push(performance.now() - t0);
    }
  }));
  const total = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  console.log(`${name.padEnd(28)} p50 ${pct(times, 50).toFixed(2)} ms  p95 ${pct(times, 95).toFixed(2)} ms  p99 ${pct(times, 99).toFixed(2)} ms  ${(times.length / total).toFixed(0)} req/s`);
}

const dir = mkdtempSync(join(tmpdir(), 'pudu-bench-'));
const server = await startServer({
  host: '127.0.0.1', port: 0, database: join(dir, 'pudu.db'), driver: noVmDriver(), agentFactory: agentClientFactory,
  libraryDir: join(REPO_ROOT, 'scenarios'), webDir: join(dir, 'web'), log: () => undefined,
});
try {
  const auth = { authorization: `Bearer ${server.adminToken}` };
  console.log(`pudu API latency, ${N} requests per route, concurrency ${CONCURRENCY}, SQLite WAL`);
  const health = apiPath('health');
  const runs = apiPath('listRuns');
  const audit = apiPath('listAudit', {}, { limit: 50 });
  const tokens = apiPath('createToken');
  const whoami = apiPath('whoami');
  await measure(`GET ${health}`, () => fetch(server.url + health, { headers: auth }));
  await measure(`GET ${runs}`, () => fetch(server.url + runs, { headers: auth }));
  await measure(`GET ${audit}`, () => fetch(server.url + audit, { headers: auth }));
  await measure(`POST ${tokens}`, () => fetch(server.url + tokens, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"role":"observer"}' }));
  await measure(`GET ${whoami} (401)`, async () => {
    const r = await fetch(server.url + whoami, { headers: { authorization: 'Bearer pudu_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    return new Response(await r.arrayBuffer(), { status: r.status === 401 ? 200 : 500 });
  });
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
