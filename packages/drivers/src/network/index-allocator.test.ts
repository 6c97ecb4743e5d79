import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { allocateIndexes, hostObjectFor, isIndexLeased, type HostNetworkSnapshot } from './index-allocator.ts';

// A high private range so concurrent tests of other engineers (who use low indexes) are not disturbed.
const RANGE = { minIndex: 3000, maxIndex: 3063 };

test('allocates the lowest free indexes and never the same one twice while leased', async () => {
  const a = await allocateIndexes(3, RANGE);
  try {
    assert.deepEqual(a.map((l) => l.index), [3000, 3001, 3002]);
    const b = await allocateIndexes(2, RANGE);
    assert.deepEqual(b.map((l) => l.index), [3003, 3004]);
    await a[1]!.release();
    const c = await allocateIndexes(1, RANGE);
    assert.deepEqual(c.map((l) => l.index), [3001]);
    await Promise.all([...b, ...c].map((l) => l.release()));
  } finally {
    await Promise.all(a.map((l) => l.release()));
  }
});

test('concurrent allocations in one process get distinct indexes', async () => {
  const all = await Promise.all(Array.from({ length: 8 }, () => allocateIndexes(2, RANGE)));
  try {
    const idx = all.flat().map((l) => l.index);
    assert.equal(new Set(idx).size, 16);
  } finally {
    await Promise.all(all.flat().map((l) => l.release()));
  }
});

test('a lease held by another process is skipped and freed when that process is SIGKILLed', async (t) => {
  const child = spawn(process.execPath, ['-e', `
    const s = require('node:net').createServer();
    s.listen('\\0pudu-vm-index-3010', () => console.log('held'));
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  await once(child.stdout!, 'data');
  assert.equal(await isIndexLeased(3010), true);
  const got = await allocateIndexes(1, { minIndex: 3010, maxIndex: 3011 });
  assert.equal(got[0]!.index, 3011);
  await got[0]!.release();
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.equal(await isIndexLeased(3010), false);
});

test('running out of indexes is a FLEET_CAPACITY error that leaves nothing leased', async () => {
  await assert.rejects(allocateIndexes(3, { minIndex: 3020, maxIndex: 3021 }), { code: 'FLEET_CAPACITY' });
  assert.equal(await isIndexLeased(3020), false);
  assert.equal(await isIndexLeased(3021), false);
});

test('indexes with a leftover netns, link or overlapping address count as taken', () => {
  const snap = (p: Partial<HostNetworkSnapshot>): HostNetworkSnapshot => ({ netns: new Set(), links: new Set(), cidrs: [], ...p });
  assert.match(hostObjectFor(205, snap({ netns: new Set(['pudu-vm205']) }))!, /netns pudu-vm205/);
  assert.match(hostObjectFor(205, snap({ links: new Set(['vh205']) }))!, /link vh205/);
  assert.match(hostObjectFor(5, snap({ cidrs: ['172.16.5.1/30'] }))!, /overlaps/);
  assert.equal(hostObjectFor(6, snap({ cidrs: ['172.16.5.1/30', '192.0.2.0/24'] })), undefined);
});

test('a process outside the host network namespace is refused instead of seeing every lease as free', { skip: process.getuid?.() !== 0 ? 'needs root' : undefined }, async () => {
  const { spawnSync } = await import('node:child_process');
  const code = `import('${new URL('./index-allocator.ts', import.meta.url).pathname}').then((m) => m.allocateIndexes(1, { minIndex: 3040, maxIndex: 3041 })).then(() => console.log('allocated'), (e) => console.log(e.code))`;
  const r = spawnSync('unshare', ['--net', process.execPath, '--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), 'DRIVER_UNAVAILABLE', r.stderr);
});
