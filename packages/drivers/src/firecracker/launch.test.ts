import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchArgs, launchLayout } from './launch.ts';

test('runs firecracker directly with its API socket in the VM directory', () => {
  const bin = { firecracker: '/usr/bin/firecracker' };
  const layout = launchLayout(bin, 'pudu-f1-api-0', '/var/lib/pudu/firecracker/f1/api-0');
  assert.equal(layout.apiSocket, '/var/lib/pudu/firecracker/f1/api-0/api.sock');
  assert.equal(layout.apiPath('rootfs.ext4'), '/var/lib/pudu/firecracker/f1/api-0/rootfs.ext4');
  assert.deepEqual(launchArgs(bin, 'pudu-f1-api-0', layout), { cmd: '/usr/bin/firecracker', args: ['--api-sock', '/var/lib/pudu/firecracker/f1/api-0/api.sock', '--id', 'pudu-f1-api-0'] });
});

test('under the jailer, files live in the chroot and the API names them from its root', () => {
  const bin = { firecracker: '/usr/bin/firecracker', jailer: { path: '/usr/bin/jailer', uid: 123, gid: 100, netns: '/var/run/netns/pudu-vm3' } };
  const layout = launchLayout(bin, 'pudu-f1-api-0', '/var/lib/pudu/firecracker/f1/api-0');
  assert.equal(layout.filesDir, '/srv/jailer/firecracker/pudu-f1-api-0/root');
  assert.equal(layout.apiSocket, '/srv/jailer/firecracker/pudu-f1-api-0/root/run/firecracker.socket');
  assert.equal(layout.apiPath('rootfs.ext4'), '/rootfs.ext4');
  assert.deepEqual(launchArgs(bin, 'pudu-f1-api-0', layout).args, [
    '--id', 'pudu-f1-api-0', '--exec-file', '/usr/bin/firecracker', '--uid', '123', '--gid', '100',
    '--chroot-base-dir', '/srv/jailer', '--netns', '/var/run/netns/pudu-vm3', '--', '--api-sock', '/run/firecracker.socket',
  ]);
});
