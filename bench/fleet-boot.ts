/**
 * Fleet boot benchmark (sandbox driver by default): create → ready p50/p95 for fleets of
 * 1, 3 and 10 VMs, teardown time, host memory per idle VM, and how many idle VMs fit
 * before a new VM's ready time doubles. Prints figures; asserts nothing.
 *
 *   node --import tsx bench/fleet-boot.ts [--runs N] [--density-max N] [--json]
 *
 * Needs root and the guest image (`./pudu assets`). Uses VM indexes 100–199.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { buildGuestImage, createSandboxDriver, type FleetSpec, type VmDriver } from '../packages/drivers/src/index.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'density-max': { type: 'string', default: '40' },
    json: { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const DENSITY_MAX = Number(values['density-max']);
const SIZES = [1, 3, 10];
const INDEXES = { minIndex: 100, maxIndex: 199 };

function spec(id: string, n: number): FleetSpec {
  return { id, vms: Array.from({ length: n }, (_, i) => ({ name: `b-${i}`, tier: 'b', vcpus: 1, memMb: 256, diskMb: 512, services: [] })) };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Resident memory charged to a VM's memory cgroup (rss + page cache of its own files), in MB. */
function vmMemoryMb(index: number): { rssMb: number; cacheMb: number } {
  const own = /^\d+:memory:(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
  const stat = readFileSync(`/sys/fs/cgroup/memory${own === '/' ? '' : own}/pudu-vm${index}/memory.stat`, 'utf8');
  const get = (k: string) => Number(new RegExp(`^${k} (\\d+)$`, 'm').exec(stat)?.[1] ?? 0) / 1024 / 1024;
  return { rssMb: get('total_rss'), cacheMb: get('total_cache') };
}

function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

async function timeFleet(driver: VmDriver, id: string, n: number): Promise<{ readyMs: number; teardownMs: number }> {
  const t0 = performance.now();
  await driver.createFleet(spec(id, n));
  const readyMs = performance.now() - t0;
  const t1 = performance.now();
  await driver.destroyFleet(id);
  return { readyMs, teardownMs: performance.now() - t1 };
}

const log = (m: string) => { if (!values.json) console.log(m); };
const image = await buildGuestImage({ onProgress: (m) => log(`# ${m}`) });
const driver = await createSandboxDriver({ rootfsDir: image.rootfsDir, ...INDEXES });
// Ctrl-C mid-run: tear down what is running instead of leaving it to the next start's reconcile.
process.once('SIGINT', () => {
  void driver.listVms()
    .then((vms) => Promise.all([...new Set(vms.map((v) => v.fleetId))].map((f) => driver.destroyFleet(f))))
    .finally(() => process.exit(130));
});
const results: Record<string, unknown> = { host: { cpus: (await import('node:os')).cpus().length, loadavgAtStart: loadavg() } };

// One unmeasured fleet warms the page cache and starts lxcfs.
await timeFleet(driver, 'bench-warm', 1);

const fleets: Record<string, unknown> = {};
for (const n of SIZES) {
  const runs = n >= 10 ? Math.max(2, Math.ceil(RUNS / 2)) : RUNS;
  const ready: number[] = [];
  const teardown: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = await timeFleet(driver, `bench-${n}-${r}`, n);
    ready.push(t.readyMs);
    teardown.push(t.teardownMs);
  }
  const row = { runs, readyP50Ms: Math.round(pct(ready, 50)), readyP95Ms: Math.round(pct(ready, 95)), teardownP50Ms: Math.round(pct(teardown, 50)), teardownP95Ms: Math.round(pct(teardown, 95)) };
  fleets[`${n}`] = row;
  log(`fleet of ${String(n).padStart(2)}: ready p50 ${row.readyP50Ms} ms, p95 ${row.readyP95Ms} ms; teardown p50 ${row.teardownP50Ms} ms, p95 ${row.teardownP95Ms} ms (${runs} runs, load ${loadavg()})`);
}
results.fleets = fleets;

// Density: keep idle single-VM fleets running and time one more VM each step.
const baseline = pct((await Promise.all([0, 1, 2].map(async (i) => (await timeFleet(driver, `bench-base-${i}`, 1)).readyMs))), 50);
const idle: string[] = [];
const idleIndexes: number[] = [];
let fitted = 0;
let lastReady = baseline;
try {
  for (let i = 0; i < DENSITY_MAX; i++) {
    const id = `bench-idle-${i}`;
    const [vm] = await driver.createFleet(spec(id, 1));
    idle.push(id);
    idleIndexes.push(vm!.index);
    const probe = await timeFleet(driver, `bench-probe-${i}`, 1);
    lastReady = probe.readyMs;
    if (probe.readyMs > 2 * baseline) break;
    fitted = idle.length;
  }
} finally {
  const mem = idleIndexes.map(vmMemoryMb);
  const memPerVm = mem.length ? mem.reduce((a, m) => a + m.rssMb, 0) / mem.length : 0;
  const cachePerVm = mem.length ? mem.reduce((a, m) => a + m.cacheMb, 0) / mem.length : 0;
  results.density = {
    baselineReadyMs: Math.round(baseline), idleVmsBeforeReadyDoubles: fitted, limitReached: fitted >= DENSITY_MAX,
    lastProbeReadyMs: Math.round(lastReady), hostMemoryPerIdleVmMb: { rss: Math.round(memPerVm), pageCache: Math.round(cachePerVm) },
  };
  log(`host memory per idle VM: ${Math.round(memPerVm)} MB resident + ${Math.round(cachePerVm)} MB page cache (memory cgroups of ${idle.length} idle VMs)`);
  log(`idle VMs before a new VM's ready time doubles (baseline ${Math.round(baseline)} ms): ${fitted >= DENSITY_MAX ? `≥ ${fitted} (stopped at --density-max)` : fitted}`);
  const t0 = performance.now();
  await Promise.all(idle.map((id) => driver.destroyFleet(id)));
  log(`teardown of ${idle.length} idle VMs: ${Math.round(performance.now() - t0)} ms`);
}
results.loadavgAtEnd = loadavg();
if (values.json) console.log(JSON.stringify(results, null, 2));
