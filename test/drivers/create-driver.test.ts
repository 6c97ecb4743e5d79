import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDriver, probeSandbox } from '../../packages/drivers/src/index.ts';
import { readFileSync } from 'node:fs';
import { TEST_INDEX_RANGE, sandboxSkipReason, testImage } from './helpers.ts';

const skip = sandboxSkipReason();

test('auto picks a driver by probing and logs which one and why', { skip, timeout: 120_000 }, async () => {
  const image = await testImage();
  const lines: string[] = [];
  const driver = await createDriver('auto', { image, log: (m) => lines.push(m) });
  const decision = lines.find((l) => l.startsWith('driver auto → '));
  assert.ok(decision, `a decision line in ${JSON.stringify(lines)}`);
  assert.ok(decision.startsWith(`driver auto → ${driver.name}`), decision);
  assert.match(decision, /\(.+\)/, 'the decision carries its reason');
  if (driver.name === 'sandbox') assert.match(decision, /no hypervisor: /, 'choosing the sandbox says why no hypervisor was used');
  const isolation = lines.find((l) => l.startsWith('isolation: '));
  assert.ok(isolation, `an isolation line in ${JSON.stringify(lines)}`);
  if (driver.name === 'sandbox') assert.match(isolation, /^isolation: user-namespace \(moderate\) — .*unprivileged host uid \d+.*use the qemu or firecracker driver/);
  else assert.match(isolation, /^isolation: hypervisor \(strong\)/);
});

test('the sandbox probe passes here and a driver that is not built in is refused clearly', { skip }, async () => {
  assert.deepEqual(await probeSandbox(), { ok: true, reason: 'user namespaces, idmapped mounts, cgroup v1 and lxcfs available' });
  const image = await testImage();
  await assert.rejects(createDriver('firecracker', { image }), (e: Error & { code: string }) => {
    // Either the firecracker driver is registered (and checks its binary) or it is not in this build.
    assert.ok(['DRIVER_UNAVAILABLE', 'ASSETS_MISSING'].includes(e.code), e.code);
    return true;
  });
});

test('a user rootfs given as an ext4 file boots in the sandbox from a read-only loop mount', { skip, timeout: 120_000 }, async (t) => {
  const image = await testImage();
  const lines: string[] = [];
  const driver = await createDriver('sandbox', { userImage: { rootfs: image.rootfsExt4 }, ...TEST_INDEX_RANGE, log: (m) => lines.push(m) });
  t.after(async () => {
    await driver.destroyFleet('drv-userimg');
  });
  const [vm] = await driver.createFleet({ id: 'drv-userimg', vms: [{ name: 'u-0', tier: 'u', vcpus: 1, memMb: 256, diskMb: 256, services: [] }] });
  assert.equal(vm!.state, 'ready');
  const mount = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.includes(' /var/lib/pudu/images/'));
  assert.ok(mount && / ro[, ]/.test(mount), `read-only mount of the user image: ${mount}`);
  await assert.rejects(createDriver('sandbox', { userImage: { rootfs: '/nonexistent.ext4' } }), /--rootfs \/nonexistent.ext4: no such file/);
});
