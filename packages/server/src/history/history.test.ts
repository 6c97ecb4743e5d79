import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent } from '@pudu/schema';
import { downsample, type StoredSample } from './history-store.ts';
import { markersOf } from './markers.ts';

const sample = (atMs: number, disk: number): StoredSample => ({ vm: 'app-0', atMs, cpuPct: 10, memUsedPct: 20, diskUsedPct: disk, diskFreeMb: 5, loadAvg1: 0.5 });

test('downsampling keeps short series whole and averages long ones into equal spans', () => {
  const short = [sample(0, 1), sample(1000, 2)];
  assert.equal(downsample(short, 10), short);
  const long = Array.from({ length: 100 }, (_, i) => sample(i * 1000, i < 50 ? 10 : 100));
  const out = downsample(long, 10);
  assert.equal(out.length, 10);
  assert.deepEqual(out.map((s) => s.diskUsedPct), [10, 10, 10, 10, 10, 100, 100, 100, 100, 100]);
  assert.equal(out[0]!.atMs, 4500);
});

test('markers put events on the run clock and hide faults unless revealed', () => {
  const start = Date.parse('2026-01-01T00:00:00Z');
  const ev = (sec: number, kind: string, data: Record<string, unknown>): RunEvent => ({ seq: sec, runId: 'r1', at: new Date(start + sec * 1000).toISOString(), kind, data });
  const events = [
    ev(0, 'fault.applied', { id: 'disk-fill', type: 'disk', vm: 'app-0' }),
    ev(0, 'alert.fired', { name: 'DiskSpaceCritical', severity: 'critical' }),
    ev(30, 'hint.taken', { index: 0 }),
    ev(60, 'run.resolved', {}),
  ];
  assert.deepEqual(markersOf(events, start, false).map((m) => [m.tMs, m.kind]), [[0, 'alert'], [30_000, 'hint'], [60_000, 'resolved']]);
  const all = markersOf(events, start, true);
  assert.deepEqual(all[0], { tMs: 0, kind: 'fault', label: 'fault disk-fill (disk) on app-0', vm: 'app-0' });
});
