import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDriver, probeSandbox } from '../../packages/drivers/src/index.ts';
import { sandboxSkipReason, testImage } from './helpers.ts';

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
});

test('the sandbox probe passes here and a driver that is not built in is refused clearly', { skip }, async () => {
  assert.deepEqual(await probeSandbox(), { ok: true, reason: 'namespaces, cgroup v1 and lxcfs available' });
  const image = await testImage();
  await assert.rejects(createDriver('firecracker', { image }), (e: Error & { code: string }) => {
    // Either the firecracker driver is registered (and checks its binary) or it is not in this build.
    assert.ok(['DRIVER_UNAVAILABLE', 'ASSETS_MISSING'].includes(e.code), e.code);
    return true;
  });
});
