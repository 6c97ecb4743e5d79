import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@pudu/engine';
import { periods } from './service-logs.ts';
import { MONITOR, pastRequests } from './traffic.ts';

const DAY = 86_400_000;

test('rotation periods end at the live moment and step back by whole days from midnight', () => {
  const to = Date.parse('2026-11-29T18:20:00Z');
  const spans = periods(to - 3.5 * DAY, to, DAY, 0, 7);
  assert.deepEqual(spans.map((s) => [new Date(s.start).toISOString(), new Date(s.end).toISOString()]), [
    ['2026-11-29T00:00:00.000Z', '2026-11-29T18:20:00.000Z'],
    ['2026-11-28T00:00:00.000Z', '2026-11-29T00:00:00.000Z'],
    ['2026-11-27T00:00:00.000Z', '2026-11-28T00:00:00.000Z'],
    ['2026-11-26T06:20:00.000Z', '2026-11-27T00:00:00.000Z'],
  ], 'the oldest period starts at the boot');
  assert.equal(periods(to - 30 * DAY, to, DAY, 0, 7).length, 8, 'the live file and 7 rotated generations');
});

test('past traffic is the same for the same seed, in time order, inside its window, busier by day', () => {
  const from = Date.parse('2026-11-20T00:00:00Z');
  const a = pastRequests(from, from + DAY, seededRandom(7));
  assert.deepEqual(a, pastRequests(from, from + DAY, seededRandom(7)));
  assert.ok(a.every((r, i) => r.t >= from && r.t < from + DAY && (i === 0 || a[i - 1]!.t <= r.t)));
  assert.equal(a.filter((r) => r.path === MONITOR.path).length, 1440, 'the monitor polls once a minute');
  const users = a.filter((r) => r.path !== MONITOR.path);
  const night = users.filter((r) => new Date(r.t).getUTCHours() < 6).length;
  const day = users.filter((r) => { const h = new Date(r.t).getUTCHours(); return h >= 9 && h < 15; }).length;
  assert.ok(day > night * 4, `day ${day} vs night ${night}`);
});
