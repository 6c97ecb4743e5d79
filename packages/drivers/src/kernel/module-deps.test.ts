import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveLoadOrder, moduleNameOf } from './module-deps.ts';
import { isPuduError } from '@pudu/schema';

const DEP = [
  'kernel/drivers/virtio/virtio.ko:',
  'kernel/drivers/virtio/virtio_ring.ko:',
  'kernel/net/core/failover.ko:',
  'kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko',
  'kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
  'kernel/net/sched/sch_netem.ko:',
].join('\n');

test('loads every dependency before the module that needs it, each once', () => {
  const order = resolveLoadOrder(['virtio_blk', 'virtio_net', 'sch-netem'], DEP);
  assert.deepEqual(order, [
    'kernel/drivers/virtio/virtio_ring.ko',
    'kernel/drivers/virtio/virtio.ko',
    'kernel/drivers/block/virtio_blk.ko',
    'kernel/net/core/failover.ko',
    'kernel/drivers/net/net_failover.ko',
    'kernel/drivers/net/virtio_net.ko',
    'kernel/net/sched/sch_netem.ko',
  ]);
});

test('skips modules built into the kernel and rejects unknown ones', () => {
  assert.deepEqual(resolveLoadOrder(['ext4'], DEP, new Set(['ext4'])), []);
  assert.throws(() => resolveLoadOrder(['nope'], DEP), (e) => isPuduError(e, 'ASSETS_MISSING') && /"nope"/.test(e.message));
});

test('names modules the way the kernel does', () => {
  assert.equal(moduleNameOf('kernel/net/sched/sch_netem.ko.xz'), 'sch_netem');
  assert.equal(moduleNameOf('kernel/drivers/hid/hid-generic.ko'), 'hid_generic');
});
