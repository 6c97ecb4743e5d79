import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cleanupHost, createSandboxDriver, type FleetSpec } from '../../packages/drivers/src/index.ts';
import { TEST_INDEX_RANGE, sandboxSkipReason, testImage } from './helpers.ts';
import { leftovers } from './leftovers.ts';

const skip = sandboxSkipReason();
const CYCLES = Number(process.env.PUDU_CYCLES ?? 100);
const { minIndex, maxIndex } = TEST_INDEX_RANGE;

function fleet(id: string, n: number): FleetSpec {
  return { id, vms: Array.from({ length: n }, (_, i) => ({ name: `c-${i}`, tier: 'c', vcpus: 1, memMb: 256, diskMb: 256, services: [] })) };
}

test(`${CYCLES} fleet create/destroy cycles, then a SIGKILLed owner and cleanup, leave 0 objects behind`, { skip, timeout: 900_000 }, async (t) => {
  const img = await testImage();
  const ids: string[] = [];
  t.after(async () => { await cleanupHost({ orphansOnly: true }); });
  const driver = await createSandboxDriver({ rootfsDir: img.rootfsDir, ...TEST_INDEX_RANGE });
  const started = Date.now();
  for (let i = 0; i < CYCLES; i++) {
    const id = `cyc-${i}`;
    ids.push(id);
    // Mostly single VMs to keep the run short; every 10th cycle a pair so fleet rules are exercised.
    const vms = await driver.createFleet(fleet(id, i % 10 === 9 ? 2 : 1));
    assert.ok(vms.every((v) => v.state === 'ready'));
    await driver.destroyFleet(id);
  }
  console.log(`# ${CYCLES} cycles in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.deepEqual(await leftovers(minIndex, maxIndex, ids), [], 'after the cycles');

  const owner = spawn(process.execPath, ['--import', 'tsx', 'test/drivers/fixtures/hold-fleet.ts', img.rootfsDir, 'cyc-killed', '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => { if (owner.exitCode === null) owner.kill('SIGKILL'); });
  const [line] = (await once(owner.stdout!, 'data')) as [Buffer];
  const vms = JSON.parse(line.toString()) as { index: number }[];
  assert.equal(vms.length, 2);
  owner.kill('SIGKILL');
  await once(owner, 'exit');
  ids.push('cyc-killed');
  const left = await leftovers(minIndex, maxIndex, ids);
  for (const kind of ['netns', 'link', 'cgroup', 'process', 'loop', 'iptables chain']) {
    assert.ok(left.some((l) => l.startsWith(kind)), `a SIGKILLed owner leaves ${kind} behind (that cleanup must remove): ${left.join(', ')}`);
  }
  const report = await cleanupHost({ orphansOnly: true });
  assert.deepEqual(report.errors, []);
  assert.equal(report.removed.length, 2, report.removed.join('\n'));
  assert.deepEqual(await leftovers(minIndex, maxIndex, ids), [], 'after cleanup');
});
