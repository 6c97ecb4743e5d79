import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPuduError } from '@pudu/schema';
import { parseWarmPoolSpec, shapeKey } from './warm-pool.ts';

test('a warm pool spec is scenario[:count] pairs; a bare name means one', () => {
  assert.deepEqual(parseWarmPoolSpec('disk-full:3, microservices/db-connection-exhaustion:2,memory-leak'), [
    { scenario: 'disk-full', size: 3 }, { scenario: 'microservices/db-connection-exhaustion', size: 2 }, { scenario: 'memory-leak', size: 1 },
  ]);
  for (const bad of ['disk-full:0', 'disk-full:x', 'disk full:2', 'disk-full:101']) {
    assert.throws(() => parseWarmPoolSpec(bad), (e: unknown) => isPuduError(e, 'CONFIG_INVALID'), bad);
  }
});

test('two runs share warm fleets only when their VMs are the same in name, size and services', () => {
  const vm = { name: 'app-0', tier: 'app', vcpus: 1, memMb: 512, diskMb: 1024, services: ['nginx', 'app-server'] };
  assert.equal(shapeKey([vm]), shapeKey([{ ...vm, services: ['app-server', 'nginx'] }]));
  assert.notEqual(shapeKey([vm]), shapeKey([{ ...vm, memMb: 1024 }]));
  assert.notEqual(shapeKey([vm]), shapeKey([{ ...vm, name: 'app-1' }]));
});
