/** QEMU's and Firecracker's TAPs get the sandbox veths' IPv6 closure: checked on a real TAP, no guest needed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { addressForIndex, allocateIndex, ensureBaseFirewall, hostNamesForIndex } from '../../packages/drivers/src/index.ts';
import { createTap, deleteTap } from '../../packages/drivers/src/network/tap.ts';
import { run } from '../../packages/drivers/src/util/exec.ts';
import { TEST_INDEX_RANGE } from './helpers.ts';

const skip = process.getuid?.() === 0 ? undefined : 'needs root';

test('a VM TAP comes up with IPv6 disabled and no address, and ip6tables drops TAP traffic both ways', { skip }, async (t) => {
  const lease = await allocateIndex(TEST_INDEX_RANGE);
  const tap = hostNamesForIndex(lease.index).tap;
  t.after(async () => {
    await deleteTap(tap);
    await lease.release();
  });
  await createTap(tap, `${addressForIndex(lease.index).hostIp}/30`);
  assert.equal(readFileSync(`/proc/sys/net/ipv6/conf/${tap}/disable_ipv6`, 'utf8').trim(), '1');
  assert.equal((await run('ip', ['-6', 'addr', 'show', 'dev', tap])).stdout.trim(), '', 'no IPv6 address, not even link-local');
  await ensureBaseFirewall();
  const rules = (await run('ip6tables', ['-w', '5', '-S'])).stdout;
  for (const r of ['-A PUDU-INPUT -i pudu-t+ -j DROP', '-A PUDU-OUTPUT -o pudu-t+ -j DROP', '-A PUDU-FORWARD -i pudu-t+ -j DROP', '-A PUDU-FORWARD -o pudu-t+ -j DROP', '-A INPUT -j PUDU-INPUT', '-A OUTPUT -j PUDU-OUTPUT', '-A FORWARD -j PUDU-FORWARD']) {
    assert.ok(rules.includes(r), `ip6tables has "${r}"`);
  }
});
