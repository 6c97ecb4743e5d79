/** Per-VM metric samples of a run, in the run's database; averaged into fewer points after the run. */
import type { MetricSample } from '@pudu/schema';
import type { SqlDb } from '../store/sql-db.ts';

export interface StoredSample { vm: string; atMs: number; cpuPct: number; memUsedPct: number; diskUsedPct: number; diskFreeMb: number; loadAvg1: number }

type Row = Record<string, unknown>;
const sampleOf = (r: Row): StoredSample => ({
  vm: String(r.vm), atMs: Number(r.t_ms), cpuPct: Number(r.cpu), memUsedPct: Number(r.mem), diskUsedPct: Number(r.disk), diskFreeMb: Number(r.disk_free), loadAvg1: Number(r.load1),
});

const KEYS = ['cpuPct', 'memUsedPct', 'diskUsedPct', 'diskFreeMb', 'loadAvg1'] as const;

/** Averages consecutive samples of one VM into at most `maxPoints` buckets of equal time. */
export function downsample(samples: StoredSample[], maxPoints: number): StoredSample[] {
  if (samples.length <= maxPoints) return samples;
  const first = samples[0]!.atMs;
  const span = samples[samples.length - 1]!.atMs - first + 1;
  const width = Math.ceil(span / maxPoints);
  const buckets = new Map<number, StoredSample[]>();
  for (const s of samples) {
    const k = Math.floor((s.atMs - first) / width);
    buckets.set(k, [...(buckets.get(k) ?? []), s]);
  }
  return [...buckets.values()].map((b) => {
    const avg = Object.fromEntries(KEYS.map((k) => [k, Number((b.reduce((n, s) => n + s[k], 0) / b.length).toFixed(2))])) as Record<(typeof KEYS)[number], number>;
    return { vm: b[0]!.vm, atMs: Math.round(b.reduce((n, s) => n + s.atMs, 0) / b.length), ...avg };
  });
}

export class HistoryStore {
  constructor(private readonly db: SqlDb) {}

  async add(runId: string, s: StoredSample): Promise<void> {
    await this.db.run('INSERT INTO metric_samples (run_id, vm, t_ms, cpu, mem, disk, disk_free, load1) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [runId, s.vm, s.atMs, s.cpuPct, s.memUsedPct, s.diskUsedPct, s.diskFreeMb, s.loadAvg1]);
  }

  async list(runId: string): Promise<StoredSample[]> {
    return (await this.db.all('SELECT * FROM metric_samples WHERE run_id = ? ORDER BY vm, t_ms', [runId])).map(sampleOf);
  }

  /** Replaces each VM's samples by at most `maxPoints` averages. */
  async downsampleRun(runId: string, maxPoints: number): Promise<void> {
    const byVm = new Map<string, StoredSample[]>();
    for (const s of await this.list(runId)) byVm.set(s.vm, [...(byVm.get(s.vm) ?? []), s]);
    for (const [vm, samples] of byVm) {
      if (samples.length <= maxPoints) continue;
      const fewer = downsample(samples, maxPoints);
      await this.db.run('DELETE FROM metric_samples WHERE run_id = ? AND vm = ?', [runId, vm]);
      for (const s of fewer) await this.add(runId, s);
    }
  }

  async deleteRun(runId: string): Promise<void> {
    await this.db.run('DELETE FROM metric_samples WHERE run_id = ?', [runId]);
  }
}

/** Samples as the API serves them: on the run's clock. */
export function toRunClock(samples: StoredSample[], startedAtMs: number): { vm: string; samples: MetricSample[] }[] {
  const byVm = new Map<string, MetricSample[]>();
  for (const s of samples) {
    const list = byVm.get(s.vm) ?? [];
    list.push({ tMs: s.atMs - startedAtMs, cpuPct: s.cpuPct, memUsedPct: s.memUsedPct, diskUsedPct: s.diskUsedPct, diskFreeMb: s.diskFreeMb, loadAvg1: s.loadAvg1 });
    byVm.set(s.vm, list);
  }
  return [...byVm.entries()].map(([vm, list]) => ({ vm, samples: list }));
}
