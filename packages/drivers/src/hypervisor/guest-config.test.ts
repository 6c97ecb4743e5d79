import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guestKernelArgs, macForIndex } from './guest-config.ts';

const GUEST = { guestIp: '172.16.5.2', hostIp: '172.16.5.1', hostname: 'api-0', tscKhz: 2445406 };

test('gives the seed MAC scheme and widens it past index 255 instead of wrapping', () => {
  assert.equal(macForIndex(5), 'AA:FC:00:00:00:05');
  assert.equal(macForIndex(255), 'AA:FC:00:00:00:FF');
  assert.equal(macForIndex(256), 'AA:FC:00:00:01:00');
  assert.notEqual(macForIndex(256), macForIndex(0));
});

test('puts the guest address, gateway and hostname on the kernel command line', () => {
  const args = guestKernelArgs(GUEST);
  assert.ok(args.includes('ip=172.16.5.2::172.16.5.1:255.255.255.252:api-0:eth0:off'));
  assert.ok(args.includes('systemd.hostname=api-0'));
  assert.ok(args.includes('tsc_early_khz=2445406'));
  assert.ok(args.includes('console=ttyS0'));
});
