/**
 * QEMU boot-to-ready: for fleets of the given sizes, create → ready per VM (agent /health
 * 200 and sshd banner), the fleet's total, teardown time and qemu RSS per VM. Prints
 * figures, asserts nothing. The accelerator (KVM or TCG, probed) and its reason are printed.
 *
 *   node --import tsx bench/boot-qemu.ts [--counts 1,2] [--runs 1] [--json]
 *
 * Needs root, qemu-system-x86 and the guest image (`./pudu assets`). Uses VM indexes
 * 220–239. Under TCG a guest is CPU-bound: on a 2-core host keep fleets small.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { QemuDriver } from '../packages/drivers/src/qemu/index.ts';
import { guestImageForTests } from '../test/drivers/qemu/guest-image.ts';

const { values } = parseArgs({ options: { counts: { type: 'string', default: '1,2' }, runs: { type: 'string', default: '1' }, json: { type: 'boolean', default: false } } });
const COUNTS = values.counts.split(',').map(Number);
const RUNS = Number(values.runs);

function rssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

const log = (m: string): void => { if (!values.json) process.stderr.write(`${m}\n`); };
const { image, cacheDir } = await guestImageForTests(log);
const stateDir = mkdtempSync(join(tmpdir(), 'pudu-bench-qemu-'));
let accel = '';
const driver = new QemuDriver({ image, stateDir, cacheDir, agentPort: 7777, indexRange: { minIndex: 220, maxIndex: 239 }, log: (m) => { accel = m; log(m); } });
const results: { count: number; run: number; readyMs: number[]; fleetMs: number; teardownMs: number; rssMb: number[]; load1: number; error?: string }[] = [];
try {
  for (const count of COUNTS) {
    for (let run = 1; run <= RUNS; run++) {
      const id = `bq${process.pid % 10000}c${count}r${run}`;
      const vms = Array.from({ length: count }, (_, i) => ({ name: `app-${i}`, tier: 'app', vcpus: 1, memMb: 512, diskMb: 1024, services: ['nginx'] }));
      const readyAt = new Map<string, number>();
      const t0 = Date.now();
      let infos;
      try {
        infos = await driver.createFleet({ id, vms }, {
          onProgress: (m) => {
            const r = /^(\S+): ready in/.exec(m);
            if (r) readyAt.set(r[1]!, Date.now() - t0);
            log(`  ${m}`);
          },
        });
      } catch (e) {
        log(`fleet of ${count} failed: ${(e as Error).message.split('\n')[0]}`);
        results.push({ count, run, readyMs: [...readyAt.values()], fleetMs: NaN, teardownMs: NaN, rssMb: [], load1: loadavg()[0]!, error: (e as Error).message.split('\n')[0] });
        continue;
      }
      const fleetMs = Date.now() - t0;
      const rss = infos.map((v) => rssMb(v.pid));
      const load1 = loadavg()[0]!;
      const t1 = Date.now();
      await driver.destroyFleet(id);
      results.push({ count, run, readyMs: [...readyAt.values()], fleetMs, teardownMs: Date.now() - t1, rssMb: rss, load1 });
    }
  }
} finally {
  for (const v of await driver.listVms()) await driver.destroyFleet(v.fleetId);
  rmSync(stateDir, { recursive: true, force: true });
}

if (values.json) {
  process.stdout.write(`${JSON.stringify({ accelerator: accel, results }, null, 2)}\n`);
} else {
  console.log(`\n${accel}`);
  console.log('VMs  run  ready p50 (s)  ready p95 (s)  fleet ready (s)  teardown (ms)  qemu RSS/VM (MB)  host load1');
  for (const r of results) {
    console.log([
      String(r.count).padStart(3), String(r.run).padStart(4),
      (pct(r.readyMs, 50) / 1000).toFixed(1).padStart(14), (pct(r.readyMs, 95) / 1000).toFixed(1).padStart(14),
      (r.fleetMs / 1000).toFixed(1).padStart(16), String(r.teardownMs).padStart(14),
      String(Math.round(r.rssMb.reduce((a, b) => a + b, 0) / r.rssMb.length)).padStart(17), r.load1.toFixed(1).padStart(11),
      r.error ?? '',
    ].join(' '));
  }
}
