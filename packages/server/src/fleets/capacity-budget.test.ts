import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PuduError } from '@pudu/schema';
import { CapacityBudget, defaultBudget, needOf, parseBudget } from './capacity-budget.ts';

const vm = (vcpus = 1, memMb = 512) => ({ vcpus, memMb });

test('the default budget follows the host: 16 VMs and 8 vCPUs per CPU, 80 % of its memory', () => {
  assert.deepEqual(defaultBudget({ cpus: 2, memMb: 24_000 }), { vms: 32, vcpus: 16, memMb: 19_200 });
});

test('--capacity takes any subset of vms, vcpus and memory_mb and names a bad part', () => {
  assert.deepEqual(parseBudget('vms=40, memory_mb=16384'), { vms: 40, memMb: 16384 });
  for (const bad of ['vms=0', 'vms=x', 'cpus=4', 'vms=1=2']) {
    assert.throws(() => parseBudget(bad), (e: PuduError) => e.code === 'CONFIG_INVALID' && e.message.includes(`"${bad}"`), bad);
  }
});

test('past the budget a fleet is refused with what is free, and freed capacity is taken again', () => {
  const b = new CapacityBudget({ vms: 3, vcpus: 4, memMb: 2048 });
  b.reserve('a', needOf([vm(2), vm(1)]));
  assert.throws(() => b.reserve('b', needOf([vm(2)])), (e: PuduError) => {
    assert.equal(e.code, 'CAPACITY_EXHAUSTED');
    assert.deepEqual((e.details as { capacity: unknown }).capacity, {
      budget: { vms: 3, vcpus: 4, memMb: 2048 }, used: { vms: 2, vcpus: 3, memMb: 1024 }, free: { vms: 1, vcpus: 1, memMb: 1024 },
      queued: 0, requested: { vms: 1, vcpus: 2, memMb: 512 },
    });
    return true;
  });
  b.reserve('ticket', needOf([vm(1)]));
  b.rekey('ticket', 'c');
  b.release('ticket');
  assert.equal(b.snapshot().used.vms, 3, 'a rekeyed reservation is held under its new key');
  b.release('a');
  b.reserve('b', needOf([vm(2)]));
  assert.deepEqual(b.snapshot().used, { vms: 2, vcpus: 3, memMb: 1024 });
});

test('queued requests get capacity first come first served, and nobody jumps the line', async () => {
  const b = new CapacityBudget({ vms: 2, vcpus: 2, memMb: 4096 });
  b.reserve('a', needOf([vm(), vm()]));
  const order: string[] = [];
  const queued: number[] = [];
  const first = b.waitFor('x', needOf([vm(), vm()]), { onQueued: (c) => queued.push(c.queued) }).then(() => order.push('x'));
  const second = b.waitFor('y', needOf([vm()]), { onQueued: (c) => queued.push(c.queued) }).then(() => order.push('y'));
  assert.deepEqual(queued, [1, 2]);
  assert.equal(b.snapshot().queued, 2);
  // A direct request may not take what waiting runs are owed.
  b.release('a');
  await first;
  assert.throws(() => b.reserve('z', needOf([vm()])), (e: PuduError) => e.code === 'CAPACITY_EXHAUSTED' && /waiting for capacity first/.test(e.message));
  b.release('x');
  await second;
  assert.deepEqual(order, ['x', 'y']);
});

test('a request larger than the whole budget is refused at once, and an aborted wait gives its place up', async () => {
  const b = new CapacityBudget({ vms: 2, vcpus: 2, memMb: 1024 });
  await assert.rejects(b.waitFor('big', needOf([vm(), vm(), vm()])), (e: PuduError) => e.code === 'CAPACITY_EXHAUSTED' && /larger than the whole budget/.test(e.message));
  b.reserve('a', needOf([vm(), vm()]));
  const ac = new AbortController();
  const waiting = b.waitFor('w', needOf([vm()]), { signal: ac.signal });
  const behind = b.waitFor('v', needOf([vm()]));
  ac.abort(new Error('run aborted'));
  await assert.rejects(waiting, /run aborted/);
  b.release('a');
  await behind;
  assert.deepEqual(b.snapshot(), { budget: { vms: 2, vcpus: 2, memMb: 1024 }, used: { vms: 1, vcpus: 1, memMb: 512 }, free: { vms: 1, vcpus: 1, memMb: 512 }, queued: 0 });
});
