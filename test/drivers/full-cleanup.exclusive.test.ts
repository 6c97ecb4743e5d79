/**
 * `./pudu cleanup` removes every Pudu object on the host — including other tests' running
 * fleets — so this file is *exclusive*: scripts/test.mjs runs it alone, after every other
 * test file, and only with PUDU_TEST_FULL_CLEANUP=1 (set by CI, which owns its machine).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { once } from 'node:events';
import { run } from '../../packages/drivers/src/util/exec.ts';
import { sandboxSkipReason, testImage } from './helpers.ts';
import { leftovers } from './leftovers.ts';

const skip = sandboxSkipReason();
const fullSkip = skip ?? (process.env.PUDU_TEST_FULL_CLEANUP === '1' ? undefined : 'removes every Pudu object on the host; set PUDU_TEST_FULL_CLEANUP=1 on a machine nobody else uses');

test('./pudu cleanup after a SIGKILLed owner leaves no Pudu object at all', { skip: fullSkip, timeout: 300_000 }, async (t) => {
  const img = await testImage();
  const owner = spawn(process.execPath, ['--import', 'tsx', 'test/drivers/fixtures/hold-fleet.ts', img.rootfsDir, 'cyc-full', '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => { if (owner.exitCode === null) owner.kill('SIGKILL'); });
  await once(owner.stdout!, 'data');
  owner.kill('SIGKILL');
  await once(owner, 'exit');
  const r = spawnSync('./pudu', ['cleanup'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(await leftovers(0, 1_000_000, ['cyc-full']), []);
  assert.deepEqual(readdirSync('/run/netns').filter((n) => n.startsWith('pudu')), []);
  assert.deepEqual(readdirSync('/sys/class/net').filter((n) => n.startsWith('pudu')), []);
  assert.doesNotMatch((await run('iptables', ['-S'])).stdout, /pudu/i);
});
